"""Task kinds, in one process: the learner side (train, answer) and the judge side (ask, measure).

`tests.taskrun.run_task` wires `Task.judge`'s `ask` straight to `Task.answer`, so
each task's logic is tested without starting processes (the end-to-end tests do that).
"""

from __future__ import annotations

import json
import textwrap
import types

import pytest
import torch

from dlpath.grading.facts import Facts
from dlpath.grading.observe import Watch
from dlpath.grading.tasks import TASKS, ContractError, LearnerError, LearnerSide, UnknownTask, get_task
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import run_task as _run_task

SPIRALS = dict(id="t", task="classification", thresholds=(Threshold("test_accuracy", 0.85),),
               dataset=DatasetSpec("spirals", {"classes": 3}, 300, 100, 400))
COUNTED = dict(SPIRALS, thresholds=(Threshold("test_accuracy", 0.85), Threshold("parameters", max=10_000)))
LINEAR = dict(id="t", task="regression_by_hand", thresholds=(Threshold("test_mse", max=0.32),),
              dataset=DatasetSpec("linear", {"features": 3, "noise": 0.5, "world_seed": 7}, 200, 50, 1000))


def run_task(source: str, project: dict = SPIRALS, test_seed: int = 99, folder=None) -> dict:
    got = _run_task(source, project, test_seed, folder)
    if got["failure"] is not None:
        raise AssertionError(got["failure"])
    return got


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here trains on one thread (see conftest)."""


MLP = """
import torch
from torch import nn
def build_model(info):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, info["num_classes"]))
def train(model, data, device, log):
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for epoch in range(150):
        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
        log(epoch=epoch, train_loss=loss.item())
    model.eval()
"""


def test_the_registry_finds_every_task_module_and_their_declarations():
    assert {"classification", "regression", "regression_by_hand"} <= set(TASKS)
    for task in TASKS.values():
        if task.hands_on == "exercise":  # its functions and metrics are each folder's own (test_exercises.py)
            assert task.summary and task.contract and task.entry != "train.py" and not task.metrics
            continue
        assert task.summary and task.contract and task.contract_lines and task.dataset_kinds
        assert task.primary in [m.name for m in task.metrics]
        assert all(m.direction in ("max", "min") and m.unit and m.description for m in task.metrics)
    with pytest.raises(UnknownTask, match="unknown task kind 'nope'; dlpath knows: .*classification, "):
        get_task("nope")


def test_public_data_is_deterministic_and_sized_by_the_project():
    task, spec = get_task("classification"), types.SimpleNamespace(**SPIRALS)
    a, b = task.public_data(spec, 1), task.public_data(spec, 1)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_val, b.y_val)
    assert a.x_train.shape == (300, 2) and a.x_val.shape == (100, 2)
    assert a.info == {"kind": "classification", "input_shape": [2], "num_classes": 3}


def test_a_working_learner_passes_and_the_judge_measures_it():
    got = run_task(MLP)
    facts, obs = got["facts"], got["observation"]
    assert got["metrics"]["test_accuracy"] > 0.8 and "parameters" not in got["metrics"]
    assert got["asked"] == ["outputs"]  # no size budget: the learner process's outputs are enough
    assert facts.outputs_finite is True and facts.outputs_look_like_probabilities is False
    assert facts.train_score > 0.7 and facts.val_score > 0.7 and facts.expected_output == "(400, 3) float"
    assert obs.optimizer == "Adam" and obs.learning_rate == 0.02 and obs.parameters_changed is True
    assert obs.inputs_normalized is True and obs.left_in_training_mode is False
    assert obs.recipe.loss == "cross_entropy" and obs.recipe.steps == 150 and obs.recipe.zero_grad_per_step == 1.0
    assert len(got["curves"]) == 150 and got["curves"][0]["epoch"] == 0
    json.dumps(facts.to_json())
    json.dumps(obs.to_json())


def test_with_a_size_budget_the_judge_replays_and_counts_the_model():
    got = run_task(MLP, COUNTED)
    assert got["asked"] == ["artifact", "outputs"]
    weights = 2 * 32 + 32 + 32 * 3 + 3  # and one number per operation of the traced graph (artifact.graph_numbers)
    assert weights < got["metrics"]["parameters"] <= weights + 20 and got["facts"].replay == "exact"
    assert got["metrics"]["test_accuracy"] == run_task(MLP)["metrics"]["test_accuracy"]


def test_the_test_set_comes_from_the_test_seed():
    a, b, c = run_task(MLP, test_seed=1), run_task(MLP, test_seed=2), run_task(MLP, test_seed=1)
    assert a["metrics"]["test_accuracy"] == c["metrics"]["test_accuracy"]
    assert a["metrics"]["test_accuracy"] != b["metrics"]["test_accuracy"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def train(model, data, device, log): pass", "train.py has no function build_model(info)"),
        ("build_model = 3\ndef train(model, data, device, log): pass", "train.py: build_model is a int"),
        ("def build_model(): pass\ndef train(model, data, device, log): pass",
         "train.py: build_model() cannot be called as build_model(info)"),
        ("def build_model(info): return 'model'\ndef train(model, data, device, log): pass",
         "build_model(info) returned a str; it must return a torch.nn.Module"),
        ("import torch\ndef build_model(info): return torch.nn.Linear(2, 3)\ndef train(model, data, device, log): return 5",
         "train(model, data, device, log) returned a int"),
    ],
)
def test_contract_errors_say_what_is_wrong(source, message):
    with pytest.raises(ContractError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_task(source)


def test_extra_arguments_with_defaults_are_allowed():
    source = MLP.replace("def train(model, data, device, log):", "def train(model, data, device, log, extra=1):")
    assert run_task(source)["metrics"]["test_accuracy"] > 0.8


def test_wrong_output_shape_is_reported_not_raised():
    source = """
    import torch
    from torch import nn
    def build_model(info):
        return nn.Sequential(nn.Linear(2, 1), nn.Flatten(0))
    def train(model, data, device, log):
        model.eval()
    """
    got = run_task(source)
    assert got["metrics"]["test_accuracy"] == 0.0
    assert got["facts"].output_problem.startswith("your model's output has shape (400,) float32; the grader expected "
                                                  "(400, 3) float")
    assert got["observation"].parameters_changed is False


def test_a_forward_pass_that_fails_on_fresh_inputs_is_reported():
    source = """
    import torch
    from torch import nn
    class Fussy(nn.Module):
        def __init__(self):
            super().__init__(); self.lin = nn.Linear(2, 3)
        def forward(self, x):
            if x.shape[0] == 300:
                return self.lin(x)
            raise ValueError("I only know batches of 300")
    def build_model(info):
        return Fussy()
    def train(model, data, device, log):
        model(data.x_train)
    """
    got = run_task(source)
    assert got["facts"].forward_error == "ValueError: I only know batches of 300"
    assert got["metrics"]["test_accuracy"] == 0.0


def test_softmax_dropout_and_training_mode_are_seen():
    source = MLP.replace("nn.Linear(32, info[\"num_classes\"]))",
                         "nn.Dropout(0.7), nn.Linear(32, info[\"num_classes\"]), nn.Softmax(dim=1))").replace(
        "    model.eval()\n", "")
    got = run_task(source)
    assert got["facts"].batch_dependence is not None  # dropout left on: an input asked twice got two answers
    obs = got["observation"]
    assert obs.dropout_rates == [0.7] and obs.mode_dependent_layers == 1 and obs.left_in_training_mode is True
    assert obs.output_activation == "Softmax" and obs.recipe.loss_input_probabilities is True


def test_unnormalized_inputs_are_seen_at_the_first_layer():
    got = run_task(MLP.replace("model(data.x_train)", "model(data.x_train * 500 + 200)"))
    assert got["observation"].inputs_normalized is False and got["observation"].first_layer_input["mean"] > 100


def test_training_on_the_validation_set_shows_in_the_facts():
    source = MLP.replace("model(data.x_train), data.y_train", "model(data.x_val), data.y_val").replace(
        "nn.Linear(2, 32), nn.ReLU(), nn.Linear(32,", "nn.Linear(2, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), "
        "nn.Linear(256,").replace("range(150)", "range(300)")
    got = run_task(source, dict(SPIRALS, dataset=DatasetSpec("spirals", {"classes": 3, "noise": 0.4}, 300, 60, 400)))
    assert got["facts"].val_score - got["metrics"]["test_accuracy"] > 0.1


def test_the_learner_cannot_spoil_the_judges_copy_of_the_data():
    got = run_task(MLP.replace("opt = torch", "data.y_train.zero_(); data.y_val.zero_()\n    opt = torch"))
    assert got["facts"].val_score < 0.5  # measured against the true labels, which the judge keeps


def test_images_work_too():
    project = dict(SPIRALS, dataset=DatasetSpec("shapes", {"classes": 4, "size": 12}, 64, 16, 32))
    source = """
    import torch
    from torch import nn
    def build_model(info):
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(),
                             nn.Linear(4, info["num_classes"]))
    def train(model, data, device, log):
        model.eval()
    """
    got = run_task(source, project)
    assert got["facts"].expected_output == "(32, 4) float" and got["facts"].output_problem is None


BY_HAND = """
import torch
LEARNING_RATE = 0.1
def gradients(w, b, x, y):
    error = x @ w + b - y
    return 2 * x.T @ error / len(y), 2 * error.mean()
def train(data, log):
    w, b = torch.zeros(data.x_train.shape[1]), torch.zeros(())
    for step in range(200):
        gw, gb = gradients(w, b, data.x_train, data.y_train)
        w, b = w - LEARNING_RATE * gw, b - LEARNING_RATE * gb
        log(epoch=step, train_loss=float(((data.x_train @ w + b - data.y_train) ** 2).mean()))
    return w, b
"""


def test_by_hand_solution_passes_the_oracle(tmp_path):
    (tmp_path / "train.py").write_text(textwrap.dedent(BY_HAND))
    got = run_task(BY_HAND, LINEAR, folder=tmp_path)
    metrics, facts = got["metrics"], got["facts"]
    assert metrics["gradient_error"] < 1e-5 and metrics["autograd_uses"] == 0.0
    assert 0.2 < metrics["test_mse"] < 0.32
    assert got["observation"].learning_rate == 0.1 and facts.extra["best_possible_mse"] == 0.25
    assert len(got["curves"]) == 200
    timed = got["asked"][5:-2]  # each round: x and y of a problem, then its timed gradient, for both problems
    assert got["asked"][:5] == ["gradients"] * 5 and got["asked"][-2:] == ["usage", "weights"]
    assert timed and timed == ["scaling problem", "timed gradients"] * (len(timed) // 2)


@pytest.mark.parametrize(
    ("change", "expected"),
    [("return 2 * x.T @ error / len(y), 2 * error.mean()", 0.0),
     ("return x.T @ error / len(y), error.mean()", 0.5),
     ("return torch.zeros_like(w), torch.zeros_like(b)", 1.0)],
)
def test_gradient_error_measures_how_far_from_autograd(change, expected):
    got = run_task(BY_HAND.replace("return 2 * x.T @ error / len(y), 2 * error.mean()", change), LINEAR)
    assert got["metrics"]["gradient_error"] == pytest.approx(expected, abs=1e-5)


def test_a_gradient_of_the_wrong_shape_is_reported():
    source = BY_HAND.replace("return 2 * x.T @ error / len(y), 2 * error.mean()",
                             "return 2 * x.T @ error / len(y), 2 * error")
    got = run_task(source, LINEAR)
    assert got["metrics"]["gradient_error"] == 1.0
    assert "must return (grad_w with 3 values, grad_b with one); got 3 and 32" in got["facts"].extra["gradient_problem"]
    assert got["facts"].output_problem.startswith("w must have 3 values and b one value; got 3 and 200")


AUTOGRAD = """
import torch
def gradients(w, b, x, y):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    ((x @ w + b - y) ** 2).mean().backward()
    return w.grad, b.grad
def train(data, log):
    w = torch.zeros(3, requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=0.1)
    for _ in range(100):
        opt.zero_grad()
        loss = ((data.x_train @ w + b - data.y_train) ** 2).mean()
        torch.autograd.backward(loss)
        opt.step()
    return w, b
"""


def test_autograd_is_counted_at_run_time_and_in_the_source(tmp_path):
    (tmp_path / "train.py").write_text(textwrap.dedent(AUTOGRAD))
    backward, grad = torch.Tensor.backward, torch.autograd.grad
    got = run_task(AUTOGRAD, LINEAR, folder=tmp_path)
    assert got["metrics"]["autograd_uses"] == 2 * 100 + 5  # each backward pass and optimizer step; the oracle's 5
    assert got["facts"].extra["autograd_in_source"] == 3  # .backward(), torch.optim, torch.autograd
    assert got["metrics"]["gradient_error"] < 1e-5
    assert torch.Tensor.backward is backward and torch.autograd.grad is grad


def test_a_learner_that_hides_its_autograd_count_is_still_counted_from_the_source(tmp_path, monkeypatch):
    from dlpath.grading.observe import Watch

    monkeypatch.setattr(Watch, "counting_autograd", Watch.counting_autograd)  # the learner replaces it: restored after
    hidden = AUTOGRAD + "\nimport dlpath.grading.observe as _o\n_o.Watch.counting_autograd = lambda self: __import__('contextlib').nullcontext()\n"
    (tmp_path / "train.py").write_text(textwrap.dedent(hidden))
    got = run_task(hidden, LINEAR, folder=tmp_path)
    assert got["metrics"]["autograd_uses"] >= 3


def test_a_wrong_result_from_train_is_reported():
    got = run_task(BY_HAND.replace("    return w, b\n", "    return w\n"), LINEAR)
    assert "must return a pair (w, b)" in got["facts"].output_problem
    assert got["metrics"]["test_mse"] > 1.0


def test_shipped_data_keeps_its_held_back_rows_for_the_test(tmp_path, monkeypatch):
    from dlpath.datasets import shipped

    folder = tmp_path / "tiny"
    folder.mkdir()
    rows = ["a,b,label"] + [f"{i},{(i * 7) % 5},{int(i % 2)}" for i in range(200)]
    (folder / "data.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "SOURCE.txt").write_text("Written by this test. Licence: CC0-1.0.\n", encoding="utf-8")
    monkeypatch.setattr(shipped, "shipped_dir", lambda: tmp_path)
    project = dict(SPIRALS, dataset=DatasetSpec("shipped:tiny", {"heldback": 0.25}, 1000, 30, 0))
    task, spec = get_task("classification"), types.SimpleNamespace(**project)
    data = task.public_data(spec, 5)
    assert len(data.x_val) == 30 and len(data.x_train) + 30 <= 200
    seen = set(data.x_train[:, 0].tolist()) | set(data.x_val[:, 0].tolist())
    held = task.test_data(spec, 123)
    assert not seen & set(held.x[:, 0].tolist())
    assert len(seen) + len(held) == 200


def test_the_regression_task_measures_mse_and_r2():
    project = dict(id="t", task="regression", thresholds=(Threshold("test_mse", max=0.1),),
                   dataset=DatasetSpec("wave", {"noise": 0.1}, 300, 50, 300))
    source = """
    import torch
    from torch import nn
    def build_model(info):
        return nn.Sequential(nn.Linear(1, 1), nn.Flatten(0))
    def train(model, data, device, log):
        model.eval()
    """
    got = run_task(source, project)
    assert set(got["metrics"]) == {"test_mse", "test_r2"} and got["metrics"]["test_r2"] < 0.5
    assert got["facts"].expected_output == "(300,) float" and got["facts"].output_problem is None


def test_a_learner_error_while_answering_is_a_message_not_a_crash():
    task = get_task("classification")
    side = LearnerSide(module=None, device="cpu", log=lambda **k: None, watch=Watch(), state=torch.nn.Linear(2, 3))
    with pytest.raises(LearnerError, match="unknown request 'steal'"):
        task.answer("steal", {}, {"x": torch.zeros(2, 2)}, side)
    assert isinstance(Facts(), Facts)
