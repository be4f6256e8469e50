"""What one simulated launch of a learner's kernel came to, and the mentor's words for it.

`run_case` launches the kernel on one case on dlpath's simulator (`_kernel_sim`)
and sums what it saw (traffic, out-of-bounds accesses, races, barriers) into a
summary of numbers and short texts that crosses a process boundary as JSON;
`Tally` adds the cases up for the judge and words each fault with the thread,
the block and the line. Part of the `cuda_kernel` task kind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["run_case", "short_repr", "Tally", "wrong_words", "CASE_LIMIT_S", "TEXTS"]

CASE_LIMIT_S = 30.0  # one simulated launch
TEXTS = 5  # examples of each kind of fault kept in the report


# ------------------------------------------------------------------ words for threads, arrays, lines


def _who(thread: Any, block: Any) -> str:
    t, b = list(thread), list(block)
    if t[1:] == [0, 0] and b[1:] == [0, 0]:
        return f"thread {t[0]} of block {b[0]}"
    dims = 3 if t[2] or b[2] else 2
    return f"thread {tuple(t[:dims])} of block {tuple(b[:dims])}"


def _index(index: Any) -> str:
    return ", ".join(str(i) for i in index)


def _shape_words(shape: Any) -> str:
    shape = list(shape)
    if len(shape) == 1:
        return f"{shape[0]} values, 0 to {shape[0] - 1}"
    return f"shape ({', '.join(str(d) for d in shape)})"


def _at(module: Any, line: int | None) -> str:
    quote = module.quote(line) if line else ""
    return f"line {line}" + (f" ({quote})" if quote else "") if line else "an unknown line"


# ------------------------------------------------------------------ one case on the simulator (learner side, loader)


def run_case(module: Any, problem: Any, inputs: list[Any], dims: tuple[int, ...]) -> tuple[dict[str, Any], Any]:
    """Launch ``module``'s kernel on one case on the simulator: (summary, output array or None).

    The summary holds numbers and short texts only (it crosses a process boundary as JSON)."""
    import numpy as np

    from dlpath.grading.tasks._kernel_sim import SEGMENT_BYTES, LaunchError, simulate

    out_shape = tuple(problem.output_shape(dims))
    summary: dict[str, Any] = {"dims": list(dims)}
    try:
        config = module.function("launch")(out_shape)
    except Exception as exc:  # noqa: BLE001 - the learner's launch()
        summary["launch_error"] = f"launch({out_shape}) raised {type(exc).__name__}: {str(exc)[:160]}"
        return summary, None
    if not isinstance(config, tuple) or len(config) != 2:
        summary["launch_error"] = (f"launch({out_shape}) returned {short_repr(config)}; it must return a pair "
                                   "(blocks, threads)")
        return summary, None
    out = np.full(out_shape, np.nan, dtype=np.float32)
    try:
        launch, after = simulate(module, list(inputs) + [out], list(module.parameters), config[0], config[1],
                                 CASE_LIMIT_S)
    except LaunchError as exc:
        summary["launch_error"] = f"launch({out_shape}) returned {short_repr(config)}: {exc}"
        return summary, None
    summary.update(_summary(module, launch))
    summary["moved_bytes"] = launch.traffic.segments * SEGMENT_BYTES
    return summary, after[-1]


def short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _summary(module: Any, launch: Any) -> dict[str, Any]:
    traffic = launch.traffic
    lines = sorted(traffic.by_line.items(), key=lambda item: -item[1][1] / max(item[1][0], 1))
    summary: dict[str, Any] = {
        "grid": list(launch.grid), "block": list(launch.block),
        "threads": math.prod(launch.grid) * math.prod(launch.block),
        "loads": traffic.loads, "stores": traffic.stores, "requests": traffic.requests,
        "segments": traffic.segments, "useful_bytes": traffic.useful_bytes,
        "work": launch.work, "span": launch.span,
        "busiest": _who(*launch.busiest) if launch.busiest else "",
        "lines": [[line, req, seg, module.quote(line)] for line, (req, seg) in lines[:4]],
        "out_of_bounds": launch.out_of_bounds, "races": launch.races + launch.divergent,
        "farthest": launch.farthest, "before_start": launch.before_start,
        "seconds": round(launch.seconds, 3), "timed_out": launch.timed_out,
        "oob": [_oob_text(module, a) for a in launch.out_of_bounds_seen],
        "race": [_race_text(module, r) for r in launch.races_seen],
        "divergent": [_divergent_text(module, b, lines, ended) for b, lines, ended in launch.divergent_seen],
        "uninitialized": [f"{_who(a.thread, a.block)} read {a.array}[{_index(a.index)}] at {_at(module, a.line)} "
                          "before any thread of its block wrote it" for a in launch.uninitialized],
    }
    if launch.crash:
        summary["crash"] = (f"{_who(launch.crash_thread, launch.crash_block)} raised {launch.crash[:160]} at "
                            f"{_at(module, launch.crash_line)}")
    return summary


def _divergent_text(module: Any, block: Any, lines: list[int], ended: int) -> str:
    where = f"block {block[0]}" if tuple(block)[1:] == (0, 0) else f"block {_index(block)}"
    if ended:
        return (f"in {where}, {ended} thread(s) ended without reaching the cuda.syncthreads() at "
                f"{_at(module, lines[0])} that the others waited at")
    return (f"in {where}, threads waited at different barriers: "
            + " and ".join(_at(module, line) for line in lines))


def _oob_text(module: Any, a: Any) -> str:
    verb = "read" if a.kind == "read" else "wrote"
    where = "before the start" if any(i < 0 for i in a.index) else "past the end"
    return (f"{_who(a.thread, a.block)} {verb} {a.array}[{_index(a.index)}], {where} of {a.array} "
            f"({_shape_words(a.shape)}), at {_at(module, a.line)}")


def _race_text(module: Any, r: Any) -> str:
    (k1, t1, b1, l1), (k2, t2, b2, l2) = r.first, r.second
    verb = {"read": "read", "write": "wrote"}
    if r.space == "shared":
        same_block = f" of block {_index(b1)}" if tuple(b1)[1:] != (0, 0) else f" of block {b1[0]}"
        one = f"thread {_index(t1) if tuple(t1)[1:] != (0, 0) else t1[0]}"
        two = f"thread {_index(t2) if tuple(t2)[1:] != (0, 0) else t2[0]}"
        return (f"{one} {verb[k1]} {r.array}[{_index(r.index)}] at line {l1} and {two} {verb[k2]} it at line "
                f"{l2}{same_block}, with no cuda.syncthreads() between (shared memory)")
    return (f"{_who(t1, b1)} {verb[k1]} {r.array}[{_index(r.index)}] at line {l1} and {_who(t2, b2)} "
            f"{verb[k2]} it at line {l2} (global memory: "
            + ("blocks never wait for each other)" if tuple(b1) != tuple(b2) else "no cuda.syncthreads() between)"))


# ------------------------------------------------------------------ adding cases up (judge, learner side)


@dataclass
class Tally:
    """The cases of one grade (or of one public run) added up into metrics and the mentor's facts."""

    problem: Any
    outputs: int = 0
    correct: int = 0
    ran_outputs: int = 0  #: outputs of the cases the kernel ran through (traffic is per these)
    loads: int = 0
    stores: int = 0
    requests: int = 0
    segments: int = 0
    useful_bytes: int = 0  #: distinct bytes the warps' requests used
    moved_bytes: int = 0  #: bytes of the segments they moved
    threads: int = 0
    parallel: float = 0.0  #: one thread's work over the span (threads' worth running side by side), summed over cases
    least_parallel: tuple[float, str] | None = None  #: (threads per output, its words) of the case with fewest
    out_of_bounds: int = 0
    farthest: int = 0  #: how far past an array's end the farthest stray access went (1: just past it)
    before_start: int = 0
    races: int = 0
    ran: int = 0
    ideal_reads: float = 0.0
    seconds: float = 0.0
    texts: dict[str, list[str]] = field(default_factory=dict)
    lines: dict[int, list[Any]] = field(default_factory=dict)
    cases: list[str] = field(default_factory=list)

    def note(self, key: str, text: str | None) -> None:
        if text and len(self.texts.setdefault(key, [])) < TEXTS and text not in self.texts[key]:
            self.texts[key].append(text[:300])

    def add(self, dims: tuple[int, ...], summary: Mapping[str, Any], output: Any, inputs: list[Any]) -> None:
        import numpy as np

        problem = self.problem
        where = problem.describe(dims)
        self.cases.append(where)
        total = int(math.prod(problem.output_shape(dims)))
        self.outputs += total
        for key in ("oob", "race", "divergent", "uninitialized"):
            for text in summary.get(key) or []:
                self.note(key, f"{where}: {text}")
        self.out_of_bounds += int(summary.get("out_of_bounds") or 0)
        self.farthest = max(self.farthest, int(summary.get("farthest") or 0))
        self.before_start += int(summary.get("before_start") or 0)
        self.races += int(summary.get("races") or 0)
        self.seconds += float(summary.get("seconds") or 0.0)
        if summary.get("launch_error"):
            self.note("launch_error", summary["launch_error"])
            return
        if summary.get("crash"):
            self.note("crash", f"{where}: {summary['crash']}")
        if summary.get("timed_out"):
            self.note("timed_out", f"{where}: the simulated launch of {summary.get('threads', 0):,} threads did not "
                                   f"finish in {CASE_LIMIT_S:g} s")
        if not summary.get("crash") and not summary.get("timed_out"):
            self.ran += 1
            self.ran_outputs += total
            self.ideal_reads += problem.ideal_reads(dims) * total
            for key in ("loads", "stores", "requests", "segments", "useful_bytes", "moved_bytes", "threads"):
                setattr(self, key, getattr(self, key) + int(summary.get(key) or 0))
            work, span = int(summary.get("work") or 0), int(summary.get("span") or 0)
            if span:
                # the work of one thread computing every output alone: a value read for each operation of the
                # formula (a multiply-add reads its operands), and each output written once
                alone = problem.flops(dims) + total
                self.parallel += alone / span
                text = (f"{where}: launch returned {_grid_words(summary)} for {total:,} outputs; the busiest "
                        f"thread, {summary.get('busiest') or 'one thread'}, made {span:,} of the launch's {work:,} "
                        f"array accesses, where one thread computing every output alone needs {alone:,.0f}")
                self.note("busiest", text)
                if self.least_parallel is None or alone / span / total < self.least_parallel[0]:
                    self.least_parallel = (alone / span / total, text)
            for line, req, seg, quote in summary.get("lines") or []:
                row = self.lines.setdefault(int(line), [0, 0, str(quote)])
                row[0] += int(req)
                row[1] += int(seg)
        if output is None:
            self.note("wrong", f"{where}: no outputs")
            return
        reference = problem.reference(inputs)
        got = np.asarray(output, dtype=np.float64).reshape(reference.shape)
        ok = np.isfinite(got) & (np.abs(got - reference) <= problem.tolerance(inputs))
        self.correct += int(ok.sum())
        if not ok.all():
            self.note("wrong", f"{where}: {wrong_words(ok, got, summary)}")

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.outputs:
            out["correct_outputs"] = self.correct / self.outputs
        if self.ran or self.out_of_bounds or self.races:
            out["out_of_bounds"] = float(self.out_of_bounds)
            out["races"] = float(self.races)
        if self.ran_outputs:
            out["global_reads_per_output"] = self.loads / self.ran_outputs
        if self.requests:
            out["segments_per_request"] = self.segments / self.requests
        if self.moved_bytes:
            out["segment_efficiency"] = self.useful_bytes / self.moved_bytes
        if self.ran_outputs:
            out["threads_per_output"] = self.parallel / self.ran_outputs
        return out

    def extra(self) -> dict[str, Any]:
        worst = sorted(self.lines.items(), key=lambda item: -item[1][1] / max(item[1][0], 1))
        extra: dict[str, Any] = {
            "problem": self.problem.name, "cases": self.cases[:20],
            "traffic": {"loads": self.loads, "stores": self.stores, "requests": self.requests,
                        "segments": self.segments, "useful_bytes": self.useful_bytes,
                        "moved_bytes": self.moved_bytes, "outputs": self.ran_outputs, "threads": self.threads,
                        "ideal_reads": self.ideal_reads / self.ran_outputs if self.ran_outputs else 0.0},
            "lines": [f"line {line}{f' ({q})' if q else ''}: {seg / max(req, 1):.1f} segments per request over "
                      f"{req} requests" for line, (req, seg, q) in worst[:3]],
            "worst_line_segments": worst[0][1][1] / max(worst[0][1][0], 1) if worst else 0.0,
            "least_parallel": self.least_parallel[1] if self.least_parallel else "",
            "just_past_the_end": self.out_of_bounds > 0 and self.farthest == 1 and not self.before_start,
            "simulated_s": round(self.seconds, 2),
        }
        extra.update({key: list(values) for key, values in self.texts.items()})
        return extra


def _grid_words(summary: Mapping[str, Any]) -> str:
    """The launch's grid in words: "(1, 1, 1) blocks of (1, 1, 1) threads (1 thread)"."""
    grid, block = summary.get("grid") or [], summary.get("block") or []
    threads = int(summary.get("threads") or 0)
    return f"{tuple(grid)} blocks of {tuple(block)} threads ({threads:,} thread{'s' if threads != 1 else ''})"


def wrong_words(ok: Any, got: Any, summary: Mapping[str, Any]) -> str:
    """Which outputs are wrong, in words: how many, whether they were never written, and where."""
    import numpy as np

    bad = ~ok
    count, total = int(bad.sum()), int(bad.size)
    unwritten = int((bad & np.isnan(got)).sum())
    parts = [f"{count} of {total} outputs wrong"]
    if unwritten:
        parts.append(f"{unwritten} of them never written (still NaN)")
    if bad.ndim == 1:
        where = np.flatnonzero(bad)
        runs, start = [], int(where[0])
        for previous, current in zip(where[:-1], where[1:]):
            if current != previous + 1:
                runs.append((start, int(previous)))
                start = int(current)
        runs.append((start, int(where[-1])))
        shown = ", ".join(f"{a}" if a == b else f"{a} to {b}" for a, b in runs[:3])
        parts.append(f"at {shown}{' ...' if len(runs) > 3 else ''}")
    else:
        rows, cols = np.flatnonzero(bad.any(axis=1)), np.flatnonzero(bad.any(axis=0))
        parts.append(f"in rows {rows[0]} to {rows[-1]} and columns {cols[0]} to {cols[-1]}")
    threads = summary.get("threads")
    if threads:
        parts.append(f"({threads:,} threads were launched for {total:,} outputs)")
    return ", ".join(parts)
