"""The ``mixed_precision`` task, in one process: the judge's own count of 16-bit work, and what only the learner
process can see (training steps, the gradient scaler), which can only count against."""

from __future__ import annotations

import pytest
import torch

from dlpath.grading.tasks import TASKS, JudgeContext, LearnerError
from dlpath.grading.tasks._precision import HeavyWork, _sampled, reduced_share, sampled_training
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor

SHAPES = dict(id="t", task="mixed_precision", lesson="mixed-precision-gpus", calibration=None,
              thresholds=(Threshold("test_accuracy", 0.5), Threshold("reduced_precision", 0.9),
                          Threshold("float32_weights", 0.99)),
              dataset=DatasetSpec("shapes", {"classes": 2, "size": 12, "noise": 0.1}, 200, 50, 100))

MIXED = """
import torch
from torch import nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(),
                                  nn.Linear(8, 2))
    def forward(self, x):
        with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):
            return self.body(x).float()
def build_model(info):
    torch.manual_seed(0)
    return Net()
def train(model, data, device, log):
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for epoch in range(30):
        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
        log(epoch=epoch, train_loss=loss.item())
    model.eval()
"""
FLOAT32 = MIXED.replace("        with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):\n    ", "")


def run(source: str, project: dict = SHAPES):
    found, got = mentor(source, project)
    assert got["failure"] is None, got["failure"]
    return found, got


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here trains on one thread (see conftest)."""


def test_heavy_work_is_counted_by_the_dtype_it_ran_in():
    layer = torch.nn.Linear(16, 8)
    x = torch.randn(4, 16)
    with HeavyWork() as plain:
        layer(x)
    with HeavyWork() as mixed, torch.autocast("cpu", dtype=torch.bfloat16):
        layer(x).sum().backward()
    assert plain.work == {"float32": 4 * 16 * 8} and plain.share() == 0.0
    # forward and the weight's gradient (x needs none); the sum reads the 4 x 8 outputs, the bias's gradient too
    assert mixed.work == {"bfloat16": 2 * 4 * 16 * 8 + 2 * 4 * 8}
    conv = torch.nn.Conv2d(2, 3, 3, padding=1)
    with HeavyWork() as counted:
        conv(torch.randn(5, 2, 6, 6))
    assert counted.work == {"float32": 5 * 3 * 6 * 6 * 2 * 9}
    assert reduced_share({}) is None and reduced_share({"float16": 1, "float32": 3}) == 0.25


def test_work_moved_out_of_the_matrix_products_is_counted_in_the_dtype_it_ran_in():
    """A matrix product written as a broadcast multiply and a sum, in float32, beside a real one in bfloat16."""
    x, w = torch.randn(8, 16), torch.randn(16, 4)
    with HeavyWork() as counted:
        by_hand = (x[:, :, None] * w[None]).sum(dim=1)  # (8, 16, 4) products, then their sums
        with torch.autocast("cpu", dtype=torch.bfloat16):
            x @ w
    assert counted.work["float32"] >= 8 * 16 * 4 and counted.work["bfloat16"] == 8 * 16 * 4
    assert torch.allclose(by_hand, x @ w, atol=1e-5)
    with HeavyWork() as moved:  # views, copies and casts compute nothing
        x.t().contiguous().to(torch.bfloat16).reshape(-1)[:5].clone()
    assert moved.work == {}


def _one_step(model, opt):
    opt.zero_grad()
    model(torch.randn(3, 4)).sum().backward()
    opt.step()


def test_training_is_counted_on_steps_drawn_at_random():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with HeavyWork() as one:
        _one_step(model, opt)
    per_step = sum(one.work.values())
    with sampled_training() as counter:
        for _ in range(10):
            _one_step(model, opt)
    steps, rest = divmod(counter.work["float32"], per_step)
    assert set(counter.work) == {"float32"} and rest == 0 and 3 <= steps <= 10  # steps 0, 1, 2 and some of the rest
    schedules = {tuple(step for step in range(3, 400) if _sampled(step)) for _ in range(3)}
    assert len(schedules) == 3  # drawn afresh each time: the learner's code cannot know which steps are seen
    assert all(_sampled(step) for step in range(3))
    assert 2 <= sum(len(s) for s in schedules) / 3 <= 40  # about 2 ln(400 / 3) = 10 of the later steps
    with HeavyWork() as after:  # the counter is off the mode stack again
        model(torch.randn(1, 4))
    assert after.work == {"float32": 8}


def test_a_model_that_runs_under_autocast_passes_and_its_precision_is_verified_by_replay():
    found, got = run(MIXED)
    metrics, extra = got["metrics"], got["facts"].extra
    assert got["asked"] == ["artifact", "outputs", "usage"] and got["facts"].replay == "exact"
    # all but the loss and the optimizer's updates, which autocast keeps in float32, as it should
    assert metrics["reduced_precision"] > 0.9 and metrics["float32_weights"] == 1.0
    assert metrics["test_accuracy"] > 0.8 and metrics["parameters"] >= 8 * 9 + 8 + 8 * 2 + 2  # and the graph's own
    assert extra["model_share"] > 0.95 and extra["training_share"] > 0.9, extra  # training: sampled steps
    assert extra["dead_work"] == 0 and extra["dead_nodes"] == 0  # every 16-bit operator's result is used
    assert found == []


def test_float32_training_fails_the_precision_check():
    found, got = run(FLOAT32)
    assert got["metrics"]["reduced_precision"] == 0.0 and got["metrics"]["test_accuracy"] > 0.8
    assert [d.code for d in found] == ["full-precision"]
    assert "torch.autocast(device_type=x.device.type, dtype=torch.bfloat16)" in found[0].message


def test_autocast_in_the_loop_only_is_told_to_move_into_the_model():
    source = FLOAT32.replace("        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)\n",
                             "        with torch.autocast('cpu', dtype=torch.bfloat16):\n"
                             "            loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)\n")
    found, got = run(source)
    assert got["facts"].extra["training_share"] > 0.9 and got["facts"].extra["model_share"] == 0.0
    assert found[0].code == "autocast-outside-model"


def test_a_report_cannot_raise_the_share_above_what_the_replay_shows():
    forged = FLOAT32 + """
import dlpath.grading.tasks.mixed_precision as _m
_answer = _m.MixedPrecisionTask.answer
def _forged(self, name, values, tensors, side):
    if name == "usage":
        return {"work": {"bfloat16": 10**12}, "scaler_calls": 5}, {}
    return _answer(self, name, values, tensors, side)
_m.MixedPrecisionTask.answer = _forged
"""
    try:
        found, got = run(forged)
    finally:
        from dlpath.grading.tasks import mixed_precision

        mixed_precision.MixedPrecisionTask.answer = _ANSWER
    assert got["facts"].extra["training_share"] == 1.0  # the forged report...
    assert got["metrics"]["reduced_precision"] == 0.0  # ...gains nothing: the replay ran in float32


def test_a_missing_or_malformed_report_counts_as_float32():
    from dlpath.grading.tasks.mixed_precision import _reported_work

    def asking(values):
        def ask(name, values_=None, tensors=None):
            if values is None:
                raise LearnerError("gone")
            return values, {}
        return JudgeContext(project=None, public=None, test=None, ask=ask, folder=None)

    assert _reported_work(asking(None)) == ({}, 0)
    assert _reported_work(asking({"work": "lots"})) == ({}, 0)
    assert _reported_work(asking({"work": {"bfloat16": -5, "float32": 3, "x": True}, "scaler_calls": "many"})) == (
        {"float32": 3}, 0)


def test_weights_stored_in_16_bit_are_not_mixed_precision():
    source = MIXED.replace("    return Net()", "    return Net().bfloat16()").replace(
        "model(data.x_train)", "model(data.x_train.bfloat16())").replace(
        "            return self.body(x).float()", "            return self.body(x.bfloat16()).float()")
    found, got = run(source)
    # every operator that computes counts by its precision (the loss, the update too): most, not all, are 16-bit
    assert got["metrics"]["float32_weights"] == 0.0 and got["metrics"]["reduced_precision"] > 0.9
    assert "weights-not-float32" in [d.code for d in found]


def test_float16_without_a_scaler_is_a_warning_when_it_passes():
    found, got = run(MIXED.replace("torch.bfloat16", "torch.float16"))
    # the steps counted are drawn at random and the loss and the update stay float32, so the share moves between
    # runs (0.949 to 0.976 in twelve runs): "most of the work" is what this asserts, the rule needs more than half
    assert got["facts"].extra["training_float16_share"] > 0.9 and got["facts"].extra["scaler_calls"] == 0
    assert [(d.code, d.severity) for d in found] == [("float16-without-scaler", "warning")]
    scaled = MIXED.replace("torch.bfloat16", "torch.float16").replace(
        "    opt = torch.optim.Adam(model.parameters(), lr=0.02)\n",
        "    opt = torch.optim.Adam(model.parameters(), lr=0.02)\n    scaler = torch.amp.GradScaler('cpu')\n").replace(
        "opt.zero_grad(); loss.backward(); opt.step()",
        "opt.zero_grad(); scaler.scale(loss).backward(); scaler.step(opt); scaler.update()")
    found, got = run(scaled)
    assert got["facts"].extra["scaler_calls"] == 30 and found == []


def test_the_declarations():
    task = TASKS["mixed_precision"]
    assert task.primary == "test_accuracy" and set(task.codes) >= {"full-precision", "autocast-outside-model"}
    assert all(line in task.contract for line in task.contract_lines)


_ANSWER = TASKS["mixed_precision"].answer


def test_training_that_takes_the_count_off_the_mode_stack_is_not_trusted(tmp_path):
    """The steps counted run in bfloat16; every other step runs in float32 with the grader's counter taken off
    torch's dispatch-mode stack. What the learner's process counted is then not trusted: no 16-bit training."""
    hidden = MIXED.replace("import torch\n", "import torch\nfrom torch.utils._python_dispatch import _disable_current_modes\n", 1)
    hidden = hidden.replace(
        "        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)\n"
        "        opt.zero_grad(); loss.backward(); opt.step()\n",
        "        if epoch < 3:\n"
        "            loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)\n"
        "            opt.zero_grad(); loss.backward(); opt.step()\n"
        "        else:\n"
        "            with _disable_current_modes():\n"
        "                loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)\n"
        "                opt.zero_grad(); loss.backward(); opt.step()\n")
    assert hidden.count("_disable_current_modes") == 2

    def graded(source):
        (tmp_path / "train.py").write_text(source, encoding="utf-8")  # the sources are read before training
        found, got = mentor(source, SHAPES, folder=tmp_path)
        assert got["failure"] is None, got["failure"]
        return found, got

    found, got = graded(hidden)
    assert got["facts"].extra["counter_reached"] is True and got["facts"].extra["training_share"] == 0.0
    assert got["metrics"]["reduced_precision"] == 0.0
    assert found[0].code == "trained-in-float32" and any("not trusted" in e for e in found[0].evidence)
    found, got = graded(MIXED)  # the same model, counted honestly
    assert got["facts"].extra["counter_reached"] is False and found == []
