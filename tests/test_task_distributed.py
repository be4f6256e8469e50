"""The ``distributed`` task, in one process tree: rank 1 is forked by the task as in a grade, the judge compares
both ranks' weights and the samples of each step, and the mentor tells a copy from a split."""

from __future__ import annotations

import types

import pytest
import torch

from dlpath.grading.tasks import JudgeContext, LearnerError, get_task
from dlpath.grading.tasks.distributed import _shared_data, _StepRecorder, _weight_gap
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor

SPIRALS = dict(id="t", task="distributed", lesson="distributed-training", calibration=None,
               thresholds=(Threshold("test_accuracy", 0.8), Threshold("weight_gap", max=1e-4),
                           Threshold("shared_data", max=0.05)),
               dataset=DatasetSpec("rings", {"classes": 2, "noise": 0.08}, 600, 200, 600))


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """The task runs each rank on one thread; restore the test process's threads afterwards."""


DDP = """
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
def build_model(info):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))
def train(model, data, rank, world_size, log):
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    ddp = DistributedDataParallel(model)
    opt = torch.optim.Adam(ddp.parameters(), lr=0.02)
    x, y = data.x_train[rank::world_size], data.y_train[rank::world_size]
    for epoch in range(40):
        for start in range(0, len(x), 100):
            loss = nn.functional.cross_entropy(ddp(x[start:start + 100]), y[start:start + 100])
            opt.zero_grad(); loss.backward(); opt.step()
        log(epoch=epoch, train_loss=loss.item(), rank=rank)
    dist.destroy_process_group()
    model.eval()
"""


def test_data_parallel_training_passes_with_one_model_on_two_ranks():
    diagnoses, got = mentor(DDP, SPIRALS)
    metrics, extra = got["metrics"], got["facts"].extra
    assert metrics["weight_gap"] == 0.0 and metrics["shared_data"] == 0.0 and metrics["test_accuracy"] > 0.8
    assert extra["samples_per_step"] == [100.0, 100.0] and extra["steps_seen"] == 120
    assert extra["ranks_joined"] == 2 and extra["ranks_wrapped"] == 2
    assert {point["rank"] for point in got["curves"]} == {0}  # log works on rank 0 and does nothing on rank 1
    assert got["asked"] == ["outputs", "weights", "steps", "usage"]
    assert diagnoses == []


def test_two_independent_copies_diverge_and_one_copy_twice_does_not_split():
    independent = DDP.replace("    dist.init_process_group(\"gloo\", rank=rank, world_size=world_size)\n", "") \
        .replace("ddp = DistributedDataParallel(model)", "ddp = model").replace("    dist.destroy_process_group()\n", "")
    diagnoses, got = mentor(independent, SPIRALS)
    # each rank took its own half, but without a process group nothing is data parallelism: shared_data counts
    # as unsplit (two ranks that each train alone on all the rows would pass it otherwise)
    assert got["metrics"]["weight_gap"] > 0.1 and got["metrics"]["shared_data"] == 1.0
    assert diagnoses[0].code == "ranks-diverged" and "Neither rank joined a process group" in diagnoses[0].message
    assert got["facts"].extra["ranks_joined"] == 0

    everything = DDP.replace("data.x_train[rank::world_size], data.y_train[rank::world_size]",
                             "data.x_train, data.y_train")
    diagnoses, got = mentor(everything, SPIRALS)
    assert got["metrics"]["weight_gap"] == 0.0 and got["metrics"]["shared_data"] == 1.0
    assert diagnoses[0].code == "data-not-split" and "DistributedSampler" in diagnoses[0].message


def test_an_error_in_rank_1_is_reported_with_its_line():
    failing = DDP.replace("            opt.zero_grad(); loss.backward(); opt.step()\n",
                          "            opt.zero_grad(); loss.backward(); opt.step()\n"
                          "            if rank == 1 and epoch == 2: raise ValueError('only on rank 1')\n")
    _, got = mentor(failing, SPIRALS)
    failure = got["failure"]
    assert failure.exc_type == "ValueError"
    assert "in rank 1" in failure.message and "ValueError: only on rank 1" in failure.message


def test_the_recorder_knows_the_training_samples_by_their_values():
    x = torch.randn(50, 2)
    recorder = _StepRecorder(x)
    module = torch.nn.Identity()
    module.register_forward_pre_hook(recorder)
    module(x[[3, 7, 7, 9]])
    module(torch.randn(4, 2))  # not training samples: recorded as an empty step
    module.eval()
    module(x[:10])  # evaluation: not a training step
    indices, lengths = recorder.packed()
    assert indices.tolist() == [3, 7, 9] and lengths.tolist() == [3, 0]


def _ctx(answers: dict) -> JudgeContext:
    def ask(name, values=None, tensors=None):
        if name not in answers:
            raise LearnerError("no")
        return {}, answers[name]

    return JudgeContext(project=None, public=None, test=None, ask=ask, folder=None)


def test_the_judge_compares_weights_itself():
    same = {"0:w": torch.ones(3), "1:w": torch.ones(3), "0:b": torch.zeros(1), "1:b": torch.zeros(1)}
    assert _weight_gap(_ctx({"weights": same}), {}) == 0.0
    apart = dict(same, **{"1:w": torch.tensor([1.0, 1.5, 0.0])})
    assert _weight_gap(_ctx({"weights": apart}), {}) == 1.0
    extra: dict = {}
    assert _weight_gap(_ctx({"weights": {"0:w": torch.ones(3), "1:v": torch.ones(3)}}), extra) == 1e12
    assert "do not have the same weights" in extra["weights_problem"]


def _steps(*per_rank: list[list[int]]) -> dict:
    out = {}
    for rank, steps in enumerate(per_rank):
        out[f"{rank}:indices"] = torch.tensor([i for step in steps for i in step], dtype=torch.int32)
        out[f"{rank}:lengths"] = torch.tensor([len(step) for step in steps])
    return out


def test_the_judge_counts_the_samples_shared_at_the_same_step():
    extra: dict = {}
    assert _shared_data(_ctx({"steps": _steps([[0, 1], [2, 3]], [[2, 3], [0, 1]])}), extra, 10) == 0.0
    assert extra["steps_seen"] == 2 and extra["samples_per_step"] == [2.0, 2.0]
    assert _shared_data(_ctx({"steps": _steps([[0, 1], [2, 3]], [[0, 1], [2, 3]])}), {}, 10) == 1.0
    assert _shared_data(_ctx({"steps": _steps([[0, 1]], [[1, 2], [5]])}), {}, 10) == pytest.approx(1 / 3)
    extra = {}
    assert _shared_data(_ctx({"steps": _steps([[]], [[]])}), extra, 10) == 1.0 and extra["steps_seen"] == 0
    assert _shared_data(_ctx({"steps": _steps([[0, 11]], [[1]])}), {}, 10) == 1.0  # an index out of range
    assert _shared_data(_ctx({}), {}, 10) == 1.0


def test_the_task_declares_two_processes():
    task = get_task("distributed")
    assert task.requires.processes == 2 and task.primary == "test_accuracy"
    assert types.SimpleNamespace(**SPIRALS).dataset.name == "rings"


def test_two_ranks_that_each_train_alone_on_every_row_do_not_pass_as_data_parallelism():
    """No process group and no DistributedDataParallel: each rank trains one copy on all the rows (the same seed,
    the same weights, so no gap), then runs a forward pass in training mode on its own half for the recorder."""
    alone = """
import torch
from torch import nn
def build_model(info):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))
def train(model, data, rank, world_size, log):
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    model.eval()  # the recorder counts training-mode passes only
    for epoch in range(150):
        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
    log(epoch=1, train_loss=loss.item(), rank=rank)
    model.train()
    with torch.no_grad():
        model(data.x_train[rank::world_size])
    model.eval()
"""
    diagnoses, got = mentor(alone, SPIRALS)
    assert got["metrics"]["weight_gap"] == 0.0 and got["metrics"]["test_accuracy"] > 0.8  # what it fooled before
    assert got["facts"].extra["ranks_joined"] == 0 and got["metrics"]["shared_data"] == 1.0
    assert diagnoses[0].code == "data-not-split"
