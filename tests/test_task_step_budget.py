"""``step_budget``, in one process: dlpath's loop runs the learner's optimizer for exactly STEPS steps."""

from __future__ import annotations

import pytest

from dlpath.grading.tasks import ContractError
from dlpath.grading.tasks.step_budget import STEPS
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor, run_task

VALLEY = dict(id="t", task="step_budget", lesson="hyperparameter-tuning", calibration=None,
              thresholds=(Threshold("test_mse", max=0.4),),
              dataset=DatasetSpec("ill_conditioned", {"spread": 1.25}, 500, 200, 2000))


def optimizer(expression: str, extra: str = "") -> str:
    return f"import torch\ndef make_optimizer(params):\n    return {expression}\n{extra}"


def test_adam_reaches_the_bottom_and_the_judge_measures_the_final_weights():
    got = run_task(optimizer("torch.optim.Adam(params, lr=0.05)"), VALLEY)
    assert got["asked"] == ["weights"]
    assert got["metrics"]["test_mse"] < 0.3 and got["metrics"]["test_r2"] > 0.9
    extra = got["facts"].extra
    assert extra["left_steep"] < 0.01 and extra["left_flat"] < 0.01 and extra["condition"] > 100
    assert [c["epoch"] for c in got["curves"]][:3] == [0, 5, 10] and got["curves"][-1]["epoch"] == STEPS - 1
    assert got["observation"].optimizer == "Adam" and got["observation"].recipe.steps == STEPS
    diagnoses, _ = mentor(optimizer("torch.optim.Adam(params, lr=0.05)"), VALLEY)
    assert diagnoses == []


def test_plain_sgd_at_its_best_rate_runs_out_of_steps_on_the_flat_directions():
    diagnoses, got = mentor(optimizer("torch.optim.SGD(params, lr=2e-3)"), VALLEY)
    assert got["metrics"]["test_mse"] > 0.6
    assert got["facts"].extra["left_flat"] > 0.1 > got["facts"].extra["left_steep"]
    assert [d.code for d in diagnoses] == ["ill-conditioning"]
    assert diagnoses[0].lesson == "optimizers-schedules" and "Momentum (SGD with momentum=0.9)" in diagnoses[0].message


def test_a_rate_far_too_small_is_told_apart_from_the_valley():
    diagnoses, _ = mentor(optimizer("torch.optim.Adam(params, lr=1e-4)"), VALLEY)
    assert diagnoses[0].code == "learning-rate-too-low"
    sgd, _ = mentor(optimizer("torch.optim.SGD(params, lr=1e-4)"), VALLEY)
    assert sgd[0].code == "ill-conditioning" and "times below that limit" in sgd[0].message


def test_a_rate_too_large_diverges_and_the_curves_say_so():
    diagnoses, got = mentor(optimizer("torch.optim.SGD(params, lr=0.01)"), VALLEY)
    assert got["metrics"]["test_mse"] == 1.0e12
    codes = [d.code for d in diagnoses]
    assert codes[0] in ("non-finite-loss", "divergence", "learning-rate-too-high") and "ill-conditioning" not in codes


def test_the_loop_takes_exactly_the_budgeted_steps_and_steps_the_schedule_after_each():
    source = optimizer("Counting(params, lr=0.05)", """
class Counting(torch.optim.Adam):
    steps = 0
    def step(self, closure=None):
        Counting.steps += 1
        return super().step(closure)
SCHEDULED = []
def make_scheduler(optimizer):
    class Schedule:
        def step(self):
            SCHEDULED.append(Counting.steps)
    return Schedule()
""")
    import tests.taskrun as taskrun

    module = taskrun.learner(source)
    original = taskrun.learner
    taskrun.learner = lambda *_: module
    try:
        run_task(source, VALLEY)
    finally:
        taskrun.learner = original
    assert module.Counting.steps == STEPS and module.SCHEDULED == list(range(1, STEPS + 1))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import torch\n", "train.py has no function make_optimizer(params)"),
        (optimizer("'adam'"), "make_optimizer(params) returned a str; it must return a torch.optim.Optimizer"),
        (optimizer("torch.optim.LBFGS(params)"), "returned LBFGS, which needs a closure"),
        (optimizer("torch.optim.SGD([torch.zeros(8, requires_grad=True)], lr=0.1)"),
         "must build the optimizer over exactly the params it was given"),
        (optimizer("torch.optim.SGD(params, lr=0.1)", "def make_scheduler(optimizer):\n    return 3\n"),
         "make_scheduler(optimizer) returned a int; it must return a learning-rate scheduler"),
    ],
)
def test_the_contract_is_checked_before_the_first_step(source, message):
    with pytest.raises(ContractError) as info:
        run_task(source, VALLEY)
    assert message in str(info.value)
