"""``compressed_model`` in one process: a teacher shipped with the project, compressed, exported, compared.

The teacher here is a small MLP trained on rings once for the module (a second or
two); the shipped project's own teacher is checked in test_pretrained.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dlpath.envs import pretrained
from dlpath.grading.tasks import ContractError
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor, run_task

LAYERS = [["linear", 2, 256], ["relu"], ["linear", 256, 256], ["relu"], ["linear", 256, 3]]
DATA = DatasetSpec("rings", {"classes": 3, "noise": 0.04}, 300, 100, 1000)
THRESHOLDS = (Threshold("size_ratio", max=0.25), Threshold("accuracy_drop", max=0.02))

EXPORT = """
def export(model, example, path):
    program = torch.export.export(model, (example,), dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.export.save(program, path)
"""
INT8 = """
import torch
import torch.nn.functional as F
from torch import nn
class Int8Linear(nn.Module):
    def __init__(self, linear):
        super().__init__()
        w = linear.weight.detach()
        scale = w.abs().amax(dim=1, keepdim=True) / 127
        self.register_buffer("q", torch.round(w / scale).clamp(-127, 127).to(torch.int8))
        self.register_buffer("scale", scale)
        self.register_buffer("bias", linear.bias.detach().clone())
    def forward(self, x):
        return F.linear(x, self.q.float() * self.scale, self.bias)
def int8(model):
    return nn.Sequential(*[Int8Linear(m) if isinstance(m, nn.Linear) else m for m in model])
def keep(model, units):
    a, b, c = [m for m in model if isinstance(m, nn.Linear)]
    first, second = nn.Linear(2, units), nn.Linear(units, units)
    last = nn.Linear(units, c.out_features)
    with torch.no_grad():
        first.weight.copy_(a.weight[:units]); first.bias.copy_(a.bias[:units])
        second.weight.copy_(b.weight[:units, :units]); second.bias.copy_(b.bias[:units])
        last.weight.copy_(c.weight[:, :units]); last.bias.copy_(c.bias)
    return nn.Sequential(first, nn.ReLU(), second, nn.ReLU(), last)
""" + EXPORT


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from dlpath.datasets import generate

    folder = tmp_path_factory.mktemp("project")
    data = generate("rings", 1000, 5, **DATA.params)
    threads = torch.get_num_threads()
    with torch.random.fork_rng():
        torch.set_num_threads(1)
        torch.manual_seed(0)
        teacher = pretrained.build(LAYERS)
        optimizer = torch.optim.Adam(teacher.parameters(), lr=0.01)
        for _ in range(80):
            loss = torch.nn.functional.cross_entropy(teacher(data.x), data.y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        torch.set_num_threads(threads)
    pretrained.save(teacher, LAYERS, folder / "teacher", {"made_by": "tests/test_task_compressed.py"})
    (folder / "teacher" / "SOURCE.txt").write_text("made by a test; MIT\n")
    return dict(id="t", task="compressed_model", thresholds=THRESHOLDS, dataset=DATA, path=folder)


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here trains on one thread (see conftest)."""


def grade(compress: str, project: dict, tmp_path: Path) -> tuple[dict, list, dict]:
    diagnoses, got = mentor(INT8 + compress, project, folder=tmp_path)
    assert got["failure"] is None, got["failure"]
    return got["metrics"], diagnoses, got


def test_the_teacher_itself_loses_nothing_but_is_its_own_size(project: dict, tmp_path: Path) -> None:
    metrics, diagnoses, got = grade("def compress(teacher, data, device, log):\n    return teacher\n", project,
                                    tmp_path)
    teacher = got["facts"].extra["teacher"]
    assert teacher["test_accuracy"] > 0.95 and metrics["accuracy_drop"] == 0.0
    assert metrics["teacher_agreement"] == 1.0 and teacher["probe_points"] == 4096  # itself, off the data too
    assert metrics["size_ratio"] == pytest.approx(1.0, abs=0.01)
    assert [d.code for d in diagnoses] == ["file-too-large"]
    assert "32-bit floats, 4 bytes each" in diagnoses[0].message and diagnoses[0].lesson == "model-compression"


def test_int8_alone_keeps_the_accuracy_and_is_told_the_program_does_not_shrink(project: dict, tmp_path: Path) -> None:
    metrics, diagnoses, _ = grade("def compress(teacher, data, device, log):\n    return int8(teacher)\n", project,
                                  tmp_path)
    assert abs(metrics["accuracy_drop"]) <= 0.005 and 0.25 < metrics["size_ratio"] < 0.5
    assert metrics["teacher_agreement"] >= 0.98  # int8 weights are the teacher's: its answers off the data too
    assert [d.code for d in diagnoses] == ["file-too-large"]
    assert "already take 1 byte each" in diagnoses[0].message and "program" in diagnoses[0].message


def test_pruning_without_fine_tuning_loses_accuracy_and_is_told_to_train(project: dict, tmp_path: Path) -> None:
    metrics, diagnoses, _ = grade("def compress(teacher, data, device, log):\n    return int8(keep(teacher, 8))\n",
                                  project, tmp_path)
    assert metrics["size_ratio"] <= 0.25 and metrics["accuracy_drop"] > 0.05
    assert [d.code for d in diagnoses] == ["accuracy-lost"]
    assert "never trained anything" in diagnoses[0].message


def test_compress_must_return_a_module(project: dict, tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="returned a dict; it must return the compressed torch.nn.Module"):
        run_task(INT8 + "def compress(teacher, data, device, log):\n    return {}\n", project, folder=tmp_path)
