"""Rendering of `dlpath gpu`, and the real report on the machine the tests run on."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from rich.console import Console

from dlpath.cli import app
from dlpath.hardware import gpu_report
from dlpath.render.hardware import gpu_report as render
from tests.fakes import machines
from tests.fakes.fake_pynvml import NVML_ERROR_GPU_IS_LOST, OPTIONAL_FUNCTIONS, FakeGpu, FakePynvml


def _text(report: Any) -> str:
    out = io.StringIO()
    render(report, Console(file=out, width=100))
    return out.getvalue()


def _report(gpus: list[FakeGpu], torch: Any) -> Any:
    return gpu_report(nvml=FakePynvml(gpus), torch_info=torch, cpu=machines.cpu(), environ={},
                      deprecated_pynvml=None)


def test_unsupported_fields_show_na() -> None:
    text = _text(_report([FakeGpu("NVIDIA GeForce RTX 3060", 12288, unsupported=set(OPTIONAL_FUNCTIONS))],
                         machines.torch_cuda(capability="8.6")))
    for row in ("uuid", "temperature", "power", "MIG", "processes"):
        line = next(x for x in text.splitlines() if x.strip().startswith(row))
        assert "n/a" in line, line
    assert "\x1b[" not in text  # a file is not a terminal: no escape codes


def test_errors_come_first_and_notes_last() -> None:
    text = _text(_report([FakeGpu("A", 16384), FakeGpu("B", 16384, fail_with=NVML_ERROR_GPU_IS_LOST)],
                         machines.torch_cpu()))
    assert text.index("Problems to fix") < text.index("Driver (NVML)") < text.index("Notes")
    assert "torch-cpu-build-with-nvidia-gpu" in text and "failed: GPU is lost" in text
    assert "fix:" in text


def test_no_errors_no_problem_panel() -> None:
    text = _text(_report([FakeGpu("NVIDIA H100 80GB HBM3", 81559, compute_capability=(9, 0))],
                         machines.torch_cuda()))
    assert "Problems to fix" not in text
    assert "What this means for you" in text and "bf16" in text and "18 bytes per parameter" in text


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch's own "Failed to initialize NumPy"
def test_the_real_report_on_this_machine(runner: Any) -> None:
    """Whatever the machine, `dlpath gpu` exits 0 and its JSON matches what torch itself says."""
    import torch

    result = runner.invoke(app, ["gpu", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["torch"]["installed"] is True
    assert data["torch"]["version"] == torch.__version__
    codes = {d["code"] for d in data["diagnoses"]}
    if torch.version.cuda is None and torch.version.hip is None and not data["gpus"]:
        # this project's CI: no GPU, CPU torch
        assert data["torch"]["build"] == "cpu" and data["torch"]["cuda_available"] is False
        assert data["recommendations"]["device"] == "cpu"
        assert "no-gpu" in codes or "nvml-library-missing" in codes
    rendered = runner.invoke(app, ["gpu"])
    assert rendered.exit_code == 0 and "Traceback" not in rendered.output
    assert "PyTorch" in rendered.output and "What this means for you" in rendered.output


def test_gpu_help(runner: Any) -> None:
    result = runner.invoke(app, ["gpu", "--help"])
    assert result.exit_code == 0 and "--json" in result.output


def test_unknown_option_is_a_usage_error(runner: Any) -> None:
    assert runner.invoke(app, ["gpu", "--jsn"]).exit_code == 2


def test_what_it_means_aligns_its_rows_names_every_column_and_reads_the_ceiling_as_a_ceiling() -> None:
    from pathlib import Path

    from dlpath.course.loading import load_curriculum

    course = load_curriculum(Path(__file__).parent / "fixtures" / "hardware" / "curriculum")
    report = gpu_report(course, nvml=FakePynvml([]), torch_info=machines.torch_cpu(), cpu=machines.cpu(),
                        environ={}, deprecated_pynvml=None)
    text = _text(report)
    block = text[text.index("What this means for you"):text.index("CUDA kernels in Python")].splitlines()
    firsts = ("device", "precision", "largest model", "DataLoader", "GPU-only lesson", "Training on a GPU",
              "Fine-tuning a large model")
    starts = {line.index(first) for line in block for first in firsts if line[1:].lstrip().startswith(first)}
    assert len(starts) == 1, block  # the lessons' table begins where the rows above do
    head = next(line for line in block if "GPU-only lesson" in line)
    assert head.strip("│ ").split() == ["GPU-only", "lesson", "here", "why"]  # every column named
    assert any("Training on a GPU (cuda-basics)" in line and " closed " in line for line in block)
    said = " ".join(" ".join(line.strip("│ ") for line in block).split())
    assert "at most about " in said and "A ceiling, not a promise" in said
    assert "on a CPU, training time runs out long before memory does" in said
    kernels = text[text.index("CUDA kernels in Python"):].splitlines()
    assert kernels[3].strip("│ ").startswith("how ")  # the route's explanation has its label too
