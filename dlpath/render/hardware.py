"""Rendering of `dlpath gpu`: the report as panels and tables.

Errors come first (they are what the learner must act on), then the driver,
the GPUs, PyTorch, the CPU, what it all means, and the remaining notes.
Unsupported fields show as "n/a". rich writes plain text when the output is
not a terminal and follows NO_COLOR.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from dlpath.render.console import console as default_console

__all__ = ["gpu_report"]

NA = "n/a"
_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_MARK = {"error": "✗", "warning": "!", "info": "i"}


def _na(value: Any, unit: str = "") -> str:
    if value is None:
        return NA
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value}{unit}"


def _mib(total: int | None, part: int | None = None) -> str:
    if total is None:
        return NA
    if part is None:
        return f"{total:,} MiB ({total / 1024:.1f} GiB)"
    return f"{part:,} / {total:,} MiB"


def _diagnoses(items: list[Any]) -> Group:
    rows = []
    for d in items:
        head = Text.assemble((f"{_MARK.get(d.severity, '-')} {d.severity}: ", _STYLE.get(d.severity, "")),
                             (d.message, ""), (f"  [{d.code}]", "dim"))
        rows.append(head)
        rows.append(Text.assemble(("  fix: ", "bold"), d.fix))
    return Group(*rows)


def _kv(rows: list[tuple[str, Any]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, value in rows:
        table.add_row(key, value)
    return table


def _driver(report: Any) -> Panel:
    n = report.nvml
    if n.available:
        body = _kv([
            ("driver", _na(n.driver_version)),
            ("CUDA (driver max)", _na(n.cuda_driver_version)),
            ("GPUs seen", str(len(report.gpus))),
            ("nvidia-ml-py", _na(n.bindings_version)),
        ])
    else:
        body = _kv([("status", f"not available: {n.error or 'unknown reason'}"),
                    ("nvidia-ml-py", _na(n.bindings_version))])
    return Panel(body, title="Driver (NVML)", title_align="left", box=box.ROUNDED)


def _gpus(report: Any) -> Table:
    table = Table(title="GPUs", title_justify="left", box=box.SIMPLE_HEAD, show_lines=False)
    table.add_column("", style="bold", no_wrap=True)
    for gpu in report.gpus:
        table.add_column(f"GPU {gpu.index}", overflow="fold")

    def row(label: str, fn: Any) -> None:
        table.add_row(label, *[fn(g) for g in report.gpus])

    def failed(fn: Any) -> Any:
        return lambda g: fn(g) if g.ok else "—"

    row("status", lambda g: "ok" if g.ok else Text(f"failed: {g.error}", style="red"))
    row("name", lambda g: _na(g.name))
    row("uuid", failed(lambda g: _na(g.uuid)))
    row("memory used/total", failed(lambda g: _mib(g.memory_total_mib, g.memory_used_mib)))
    row("memory free", failed(lambda g: _na(g.memory_free_mib, " MiB") if g.memory_free_mib is None
                              else f"{g.memory_free_mib:,} MiB"))
    row("compute capability", failed(lambda g: _na(g.compute_capability)))
    row("in torch build", failed(lambda g: _na(g.arch_in_torch_build)))
    row("visible to CUDA", failed(lambda g: _na(g.visible_to_cuda)))
    row("utilization", failed(lambda g: NA if g.utilization_gpu_pct is None
                              else f"{g.utilization_gpu_pct}% (memory {_na(g.utilization_memory_pct, '%')})"))
    row("temperature", failed(lambda g: _na(g.temperature_c, " °C")))
    row("power", failed(lambda g: f"{_na(g.power_draw_w, ' W')} / {_na(g.power_limit_w, ' W')}"))
    row("MIG", failed(lambda g: NA if g.mig_enabled is None else
                      (f"on, {len(g.mig_devices)} instance(s)" if g.mig_enabled else "off")))
    row("processes", failed(lambda g: _na(g.process_count)))
    return table


def _torch(t: Any) -> Panel:
    if not t.installed:
        body: Any = Text("not installed", style="red")
    elif t.error:
        body = Text(t.error, style="red")
    else:
        rows = [
            ("version", _na(t.version)),
            ("build", t.build if t.imported else f"{t.build} (read from torch/version.py; "
                                                 "`dlpath gpu --check-import` also imports it)"),
            ("CUDA available", _na(t.cuda_available)),
            ("devices", str(t.device_count)),
        ]
        if t.is_cuda_build or t.is_rocm_build:
            rows.append(("architectures", ", ".join(t.arch_list) or NA))
            rows.append(("cuDNN", _na(t.cudnn_version)))
            rows.append(("bf16 / TF32 / FP8", " / ".join(_na(v) for v in (t.bf16_supported, t.tf32_supported,
                                                                         t.fp8_supported))))
        if t.cuda_error:
            rows.append(("CUDA said", t.cuda_error))
        if t.mps_built is not None:
            rows.append(("Apple MPS", "available" if t.mps_available else
                         ("built, not available" if t.mps_built else "not built")))
        for d in t.devices:
            rows.append((f"cuda:{d.index}", f"{_na(d.name)}, cc {_na(d.compute_capability)}, "
                                            f"{_mib(d.memory_total_mib)}"))
        body = _kv(rows)
    return Panel(body, title="PyTorch", title_align="left", box=box.ROUNDED)


def _cpu(c: Any) -> Panel:
    cores = _na(c.logical_cores)
    if c.usable_cores is not None and c.usable_cores != c.logical_cores:
        cores += f" ({c.usable_cores} usable here)"
    ram = _mib(c.ram_total_mib)
    if c.ram_available_mib is not None:
        ram += f", {c.ram_available_mib:,} MiB available"
    body = _kv([("model", _na(c.model)), ("cores", cores), ("RAM", ram), ("system", f"{c.os}, Python {c.python}")])
    return Panel(body, title="CPU and memory", title_align="left", box=box.ROUNDED)


def _meaning(r: Any) -> Panel:
    parts: list[Any] = [
        _kv([
            ("device", f"{r.device}: {r.device_reason}"),
            ("precision", f"{r.precision}: {r.precision_reason}"),
            ("largest model", r.parameter_arithmetic),
            ("DataLoader", r.workers_reason),
        ])
    ]
    if r.lessons:
        # the same padding as the rows above, so that its columns start where theirs do; every column named
        table = Table(box=None, padding=(0, 1), header_style="bold")
        table.add_column("GPU-only lesson", no_wrap=True)
        table.add_column("here", no_wrap=True)
        table.add_column("why")
        for lesson in r.lessons:
            mark = Text("open", style="green") if lesson.open else Text("closed", style="red")
            table.add_row(Text.assemble(lesson.title, (f" ({lesson.id})", "dim")), mark, Text(lesson.reason))
        parts += [Text(""), table]
    if r.lessons_note:
        parts.append(Padding(Text(r.lessons_note, style="italic"), (0, 1)))
    return Panel(Group(*parts), title="What this means for you", title_align="left", box=box.ROUNDED)


_ROUTES = {"cuda": "real CUDA", "simulator": "simulator", "none": "not yet"}


def _kernels(k: Any) -> Panel:
    rows: list[tuple[str, Any]] = [
        ("route", _ROUTES.get(k.route, k.route)),
        ("numba-cuda", _na(k.numba_cuda) + ("" if k.tested in (None, True) else " (untested version)"))]
    if k.compiler:
        rows.append(("compiler", Text(k.compiler)))
    rows.append(("how", Text(k.message)))
    if k.install:
        rows.append(("add it", Text(k.install, style="bold")))  # Text: [kernels] is not markup
    return Panel(_kv(rows), title="CUDA kernels in Python", title_align="left", box=box.ROUNDED)


def gpu_report(report: Any, out: Console | None = None) -> None:
    """Print the `dlpath gpu` report."""
    out = out or default_console()
    errors = [d for d in report.diagnoses if d.severity == "error"]
    others = [d for d in report.diagnoses if d.severity != "error"]
    if errors:
        out.print(Panel(_diagnoses(errors), title="Problems to fix", title_align="left",
                        border_style="red", box=box.ROUNDED))
    out.print(_driver(report))
    if report.gpus:
        out.print(_gpus(report))
    out.print(_torch(report.torch))
    out.print(_cpu(report.cpu))
    out.print(_meaning(report.recommendations))
    out.print(_kernels(report.kernels))
    if others:
        out.print(Panel(_diagnoses(others), title="Notes", title_align="left", box=box.ROUNDED))
