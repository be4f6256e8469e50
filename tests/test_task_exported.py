"""``exported_model`` in one process: the file is read and named by the judge, served by a loader, diagnosed.

`tests.taskrun` wires the judge's requests to the learner side and to an in-process
loader (a side with no learner module), so each case runs in a few seconds; the
end-to-end test with real processes is in test_grading_fixtures.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch
from torch import nn

from dlpath.grading.tasks.exported import FILE_NAME, SERVING_BATCHES, inspect_file
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor

RINGS = dict(id="t", task="exported_model",
             thresholds=(Threshold("test_accuracy", 0.9), Threshold("output_difference", max=1e-4),
                         Threshold("latency_ms", max=10_000)),
             dataset=DatasetSpec("rings", {"classes": 2, "noise": 0.05}, 300, 100, 400))

MODEL = """
import torch
from torch import nn
def build_model(info):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, info["num_classes"]))
def train(model, data, device, log):
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for epoch in range(60):
        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
        log(epoch=epoch, train_loss=loss.item(), val_accuracy=1.0)
    model.eval()
"""
DYNAMIC = MODEL + """
def export(model, example, path):
    program = torch.export.export(model, (example,), dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.export.save(program, path)
"""


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here trains on one thread (see conftest)."""


def grade(source: str, tmp_path: Path, project: dict = RINGS) -> tuple[dict[str, float], list, dict]:
    diagnoses, got = mentor(source, project, folder=tmp_path)
    assert got["failure"] is None, got["failure"]
    return got["metrics"], diagnoses, got


def codes(diagnoses: list) -> list[str]:
    return [d.code for d in diagnoses]


def test_a_torch_export_file_is_served_in_batches_of_several_sizes_and_measured(tmp_path: Path) -> None:
    metrics, diagnoses, got = grade(DYNAMIC, tmp_path)
    assert metrics["test_accuracy"] >= 0.9 and metrics["output_difference"] < 1e-6 and metrics["latency_ms"] > 0
    assert metrics["artifact_kb"] == pytest.approx((tmp_path / FILE_NAME).stat().st_size / 1024)
    served = [name for name in got["asked"] if name == "loader:outputs"]
    assert got["asked"][0] == "loader:load" and len(served) >= len(SERVING_BATCHES) + 1
    assert got["facts"].extra["file"]["format"] == "exported-program"
    assert got["facts"].extra["file"]["bytes_per_value"] == 4.0
    assert diagnoses == []


def test_a_program_exported_for_one_batch_size_is_named(tmp_path: Path) -> None:
    source = MODEL + """
def export(model, example, path):
    torch.export.save(torch.export.export(model, (example,)), path)
"""
    metrics, diagnoses, got = grade(source, tmp_path)
    assert metrics["test_accuracy"] == 0.0
    assert got["facts"].extra["export"]["problem"] == "fixed-batch"
    assert codes(diagnoses) == ["fixed-batch-size"]
    assert "answered a batch of 64 inputs" in diagnoses[0].message and "failed on a batch of 1" in diagnoses[0].message
    assert "dynamic_shapes=({0: batch},)" in diagnoses[0].message


def test_an_export_that_writes_nothing_or_raises_is_named_with_the_reason(tmp_path: Path) -> None:
    _, diagnoses, _ = grade(MODEL + "\ndef export(model, example, path):\n    pass\n", tmp_path)
    assert codes(diagnoses) == ["export-failed"]  # and not suspicious-validation, although val_accuracy was 1
    assert "returned without writing model.pt2 at the path it was given" in diagnoses[0].message
    source = MODEL.replace('    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, info["num_classes"]))', '''
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, info["num_classes"]))
        def forward(self, x):
            return self.net(x) if x.sum() > 0 else -self.net(x)
    return Branchy()''') + DYNAMIC[len(MODEL):]
    _, diagnoses, _ = grade(source, tmp_path)
    assert codes(diagnoses) == ["export-failed"]
    assert "raised GuardOnDataDependentSymNode" in diagnoses[0].message and "torch.where" in diagnoses[0].message


@pytest.mark.parametrize(("save", "form"), [
    ("torch.save(model.state_dict(), path)", "pickled-weights"),
    ("torch.save(model, path)", "pickled-module"),
])
def test_a_pickle_needs_the_learners_code_and_is_named(tmp_path: Path, save: str, form: str) -> None:
    _, diagnoses, got = grade(MODEL + f"\ndef export(model, example, path):\n    {save}\n", tmp_path)
    assert got["facts"].extra["file"]["format"] == form
    assert codes(diagnoses) == ["needs-your-code"]
    assert diagnoses[0].lesson == "deploying-models" and "torch.export.export" in diagnoses[0].message


def test_a_file_that_is_not_the_trained_model_differs_from_it(tmp_path: Path) -> None:
    source = MODEL + """
def export(model, example, path):
    fresh = build_model({"num_classes": 2})  # a new, untrained model: not the one trained
    program = torch.export.export(fresh, (example,), dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.export.save(program, path)
"""
    metrics, diagnoses, _ = grade(source, tmp_path)
    assert metrics["output_difference"] > 0.01
    assert "outputs-differ" in codes(diagnoses)


def test_a_model_slower_than_the_budget_is_told_so(tmp_path: Path) -> None:
    project = dict(RINGS, thresholds=(Threshold("latency_ms", max=1e-9),))
    metrics, diagnoses, _ = grade(DYNAMIC, tmp_path, project)
    assert codes(diagnoses) == ["too-slow"] and f"{metrics['artifact_kb']:.3g} KB" in diagnoses[0].message


def _exported(model: nn.Module, example: torch.Tensor) -> bytes:
    buffer = io.BytesIO()
    torch.export.save(torch.export.export(model, (example,)), buffer)
    return buffer.getvalue()


class _Int8(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("q", torch.ones(16, 8, dtype=torch.int8))
        self.register_buffer("scale", torch.ones(16, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ (self.q.float() * self.scale).T


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit, to make a TorchScript file
def test_inspecting_a_file_reads_its_directory_and_raw_tensors_only() -> None:
    layer = nn.Linear(64, 64)
    with torch.no_grad():
        layer.weight[:, :48] = -0.0 * layer.weight[:, :48]  # pruned weights are often -0.0
    seen = inspect_file(_exported(layer, torch.randn(4, 64)))
    assert seen["format"] == "exported-program" and seen["bytes_per_value"] == 4.0
    assert seen["zero_share"] == pytest.approx(48 * 64 / (64 * 64 + 64))
    assert seen["weights_kb"] == pytest.approx((64 * 64 + 64) * 4 / 1024) and seen["program_kb"] > 0
    assert inspect_file(_exported(_Int8(), torch.randn(4, 8)))["bytes_per_value"] == pytest.approx(
        (16 * 8 + 16 * 4) / (16 * 8 + 16))
    script = io.BytesIO()
    torch.jit.save(torch.jit.trace(layer, torch.randn(4, 64)), script)
    assert inspect_file(script.getvalue())["format"] == "torchscript"
    assert inspect_file(b"\x08\x07\x12\x03onnx")["format"] == "not-zip"
