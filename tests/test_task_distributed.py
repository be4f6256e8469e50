"""The ``distributed`` task, in one process tree: rank 1 is forked by the task as in a grade, the judge compares
both ranks' weights and the samples of each step, and the mentor tells a copy from a split. The red team's
attacks on the step record (tests/fixtures/measure_attacks/ddp_*.py) run on the project's own specification."""

from __future__ import annotations

import dataclasses
import types

import pytest
import torch

from dlpath.grading.project import DatasetSpec, Threshold, load_project
from dlpath.grading.tasks import JudgeContext, LearnerError, get_task
from dlpath.grading.tasks.distributed import _shared_data, _StepRecorder, _Usage, _Watching, _weight_gap
from dlpath.grading.thresholds import compare
from tests.conftest import FIXTURES
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
    module(torch.randn(4, 2))  # no training samples: a step of 4 unknown rows
    nudged = torch.nextafter(x[:3], torch.full_like(x[:3], float("inf")))
    module(torch.cat([x[10:13], nudged]))  # one ulp away is not the same row
    module(x[:6].T.contiguous())  # rows of another shape: all unknown
    with torch.no_grad():
        module(x[20:30])  # no gradients: not a training step
    module.eval()
    module(x[:10])  # evaluation: not a training step
    record = recorder.packed()
    assert record["indices"].tolist() == [3, 7, 9, 10, 11, 12] and record["lengths"].tolist() == [3, 0, 3, 0]
    assert record["rows"].tolist() == [4, 4, 6, 2] and record["unknown"].tolist() == [0, 4, 3, 2]
    assert record["through"].tolist() == [False] * 4


def test_the_recorder_knows_the_steps_that_ran_through_the_ddp_wrapper(monkeypatch):
    """_Watching marks the steps inside DistributedDataParallel.forward of the model's own wrapper, with its
    gradients synchronized (not under no_sync)."""
    from torch.nn.parallel import DistributedDataParallel

    def stand_in(ddp, *inputs):  # DDP's forward without a process group
        return ddp.module(*inputs)

    monkeypatch.setattr(DistributedDataParallel, "forward", stand_in)
    x = torch.randn(20, 2)
    model = torch.nn.Linear(2, 2)
    recorder = _StepRecorder(x)
    model.register_forward_pre_hook(recorder)
    wrapper, around = object.__new__(DistributedDataParallel), object.__new__(DistributedDataParallel)
    object.__setattr__(wrapper, "module", model)  # as __init__ sets it
    object.__setattr__(wrapper, "require_backward_grad_sync", True)
    object.__setattr__(around, "module", torch.nn.Sequential(model))  # a wrapper around another module
    with _Watching(model, _Usage(), recorder):
        DistributedDataParallel.forward(wrapper, x[:4])
        model(x[4:8])  # the bare model: outside the wrapper
        DistributedDataParallel.forward(around, x[8:12])
        object.__setattr__(wrapper, "require_backward_grad_sync", False)  # as ddp.no_sync() sets it
        DistributedDataParallel.forward(wrapper, x[12:16])  # averages nothing: outside
    assert recorder.packed()["through"].tolist() == [True, False, False, False] and recorder.inside_ddp == 0
    assert DistributedDataParallel.forward is stand_in  # put back as it was


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


def _steps(*per_rank: list[list[int]], unknown: tuple = (), outside: tuple = ()) -> dict:
    """Both ranks' step records: each step's sample indices, plus `unknown` rows per step of each rank (rank,
    step, rows) and the steps of each rank that ran outside the DDP wrapper (rank, step)."""
    out = {}
    for rank, steps in enumerate(per_rank):
        extra = [0] * len(steps)
        for r, step, rows in unknown:
            if r == rank:
                extra[step] = rows
        out[f"{rank}:indices"] = torch.tensor([i for step in steps for i in step], dtype=torch.int32)
        out[f"{rank}:lengths"] = torch.tensor([len(step) for step in steps])
        out[f"{rank}:unknown"] = torch.tensor(extra)
        out[f"{rank}:rows"] = out[f"{rank}:lengths"] + out[f"{rank}:unknown"]
        out[f"{rank}:through"] = torch.tensor([(rank, step) not in outside for step in range(len(steps))],
                                              dtype=torch.bool)
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


def test_the_judge_counts_rows_it_cannot_recognize_against_the_split():
    steps = [[0, 1], [2, 3]] * 50, [[4, 5], [6, 7]] * 50  # 100 steps of 2 recognized rows on each rank
    extra: dict = {}
    assert _shared_data(_ctx({"steps": _steps(*steps, unknown=((1, 0, 2),))}), extra, 10) == 0.0  # 1% of rank 1
    assert extra["rows_unrecognized"] == [0.0, round(2 / 202, 4)] and extra["steps_seen"] == 100
    extra = {}
    assert _shared_data(_ctx({"steps": _steps(*steps, unknown=((1, 0, 2), (1, 1, 2)))}), extra, 10) == 1.0
    assert extra["rows_unrecognized"] == [0.0, round(4 / 204, 4)] and "steps_seen" not in extra


def test_the_judge_wants_every_step_through_the_ddp_wrapper_on_both_ranks_in_step():
    steps = [[0, 1], [2, 3]] * 50, [[4, 5], [6, 7]] * 50
    extra: dict = {}
    assert _shared_data(_ctx({"steps": _steps(*steps, outside=((0, 0),))}), extra, 10) == 0.0  # 1 step of 100
    assert extra["rows_outside_ddp"] == [0.01, 0.0] and extra["ddp_steps"] == [99, 100] and extra["steps_seen"] == 99
    extra = {}
    assert _shared_data(_ctx({"steps": _steps(*steps, outside=((0, 0), (0, 1)))}), extra, 10) == 1.0
    assert extra["rows_outside_ddp"] == [0.02, 0.0] and extra["ddp_steps"] == [98, 100]
    extra = {}  # rank 0 trains alone outside the wrapper; rank 1 makes one step
    alone = _steps(steps[0], [[4]], outside=tuple((0, i) for i in range(100)))
    assert _shared_data(_ctx({"steps": alone}), extra, 10) == 1.0
    assert extra["rows_outside_ddp"] == [1.0, 0.0] and extra["ddp_steps"] == [0, 1]
    extra = {}  # every step through the wrapper, but not as many on one rank as on the other
    assert _shared_data(_ctx({"steps": _steps(steps[0], steps[1][:90])}), extra, 10) == 1.0
    assert extra["ddp_steps"] == [100, 90]


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
    # its one pass per rank in training mode ran under no_grad, which trains nothing: no training step was seen
    assert diagnoses[0].code == "samples-not-seen" and got["facts"].extra["steps_seen"] == 0


def _project_attack(name: str) -> tuple[list, dict, dict]:
    """Run the red team's attack `name` on two-processes-one-model's own specification: the diagnoses, the run and
    each threshold's result."""
    project = load_project("two-processes-one-model")
    spec = dict(id=project.id, task=project.task, lesson=project.lesson, calibration=None, path=project.path,
                thresholds=project.thresholds, dataset=dataclasses.replace(project.dataset))
    diagnoses, got = mentor((FIXTURES / "measure_attacks" / f"{name}.py").read_text(), spec)
    assert got["failure"] is None, got["failure"]  # the attack ran to the end: it did its trick
    return diagnoses, got, {r.metric: r.passed for r in compare(project.thresholds, got["metrics"])}


def test_rows_nudged_out_of_recognition_count_as_not_split():
    """Both ranks train on every row through DDP, each nudging the other rank's half by one ulp: it passed with
    shared_data 0, because the recorder dropped the rows it did not recognize."""
    diagnoses, got, passed = _project_attack("ddp_full_data_disguised")
    metrics, extra = got["metrics"], got["facts"].extra
    assert metrics["weight_gap"] == 0.0 and metrics["test_accuracy"] > 0.85  # what it fooled before
    assert extra["rows_unrecognized"] == [0.5, 0.5] and metrics["shared_data"] == 1.0
    assert not passed["shared_data"] and passed["weight_gap"] and passed["test_accuracy"]
    assert diagnoses[0].code == "samples-not-seen" and "50% on rank 1 are no row of data.x_train" in \
        diagnoses[0].message
    assert "data-not-split" not in [d.code for d in diagnoses]


def test_one_rank_training_alone_behind_an_unused_ddp_wrapper_is_not_data_parallel():
    """Both ranks build DDP and never call it; rank 0 trains alone on every row and broadcasts its weights: it
    passed with weight_gap 0 and shared_data 0 (rank 1's one pass used other rows than rank 0's first)."""
    diagnoses, got, passed = _project_attack("ddp_idle_rank_broadcast")
    metrics, extra = got["metrics"], got["facts"].extra
    assert metrics["weight_gap"] == 0.0 and metrics["test_accuracy"] > 0.85  # what it fooled before
    assert extra["ranks_joined"] == 2 and extra["ranks_wrapped"] == 2
    assert extra["rows_outside_ddp"] == [1.0, 0.0] and extra["ddp_steps"] == [0, 0]  # rank 1's pass had no grad
    assert metrics["shared_data"] == 1.0 and not passed["shared_data"] and passed["weight_gap"]
    assert extra["training_rows"] == [60 * 1500 + 1, 0]  # rank 1's one pass ran under no_grad: no training step
    message = diagnoses[0].message
    assert diagnoses[0].code == "data-not-split" and "100% of rank 0's 90001 training rows reached the model " \
        "outside the wrapper, rank 1 trained on no row at all, and the ranks made 0 and 0 steps through it" in message


NO_SYNC = """
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
            with ddp.no_sync():  # no gradient averaged: each rank steps alone on its half
                loss = nn.functional.cross_entropy(ddp(x[start:start + 100]), y[start:start + 100])
                opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        for p in model.parameters():
            dist.broadcast(p.data, src=0)  # rank 0's weights for both
    dist.destroy_process_group()
    model.eval()
"""


def test_steps_under_no_sync_then_a_broadcast_are_not_data_parallel():
    """Every step through the wrapper, split and in step, but under no_sync(): no gradient is ever averaged, each
    rank trains alone on its half and rank 0's weights are broadcast at the end (it passed before no_sync counted
    as outside the wrapper)."""
    diagnoses, got = mentor(NO_SYNC, SPIRALS)
    metrics, extra = got["metrics"], got["facts"].extra
    assert metrics["weight_gap"] == 0.0 and metrics["shared_data"] == 1.0
    assert extra["rows_outside_ddp"] == [1.0, 1.0] and extra["ddp_steps"] == [0, 0]
    assert diagnoses[0].code == "data-not-split" and "under ddp.no_sync() averages nothing" in diagnoses[0].message
