"""Task kinds: the learner's contract, the facts observed while training, the grader's own evaluation."""

from __future__ import annotations

import json
import textwrap
import types

import pytest
import torch

from dlpath.grading.tasks import ContractError, Trained, UnknownTask, get_task

SPIRALS = {"id": "t", "task": "classification",
           "dataset": {"name": "spirals", "params": {"classes": 3}, "train": 300, "val": 100, "test": 400}}
LINEAR = {"id": "t", "task": "regression_by_hand",
          "dataset": {"name": "linear", "params": {"features": 3, "noise": 0.5, "world_seed": 7},
                      "train": 200, "val": 50, "test": 1000}}


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train fastest on one thread (two spinning threads crawl on a busy CPU)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def learner(source: str) -> types.ModuleType:
    module = types.ModuleType("train")
    exec(textwrap.dedent(source), module.__dict__)  # noqa: S102 - the test's own learner code
    return module


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


def grade(source: str, project=SPIRALS, train_seed: int = 1, test_seed: int = 99) -> tuple[dict, list[dict]]:
    task = get_task(project["task"])
    curves: list[dict] = []
    module = learner(source)
    trained = task.run_learner(module, task.training_data(project, train_seed), "cpu", lambda **k: curves.append(k))
    return task.evaluate(module, trained, project, test_seed, "cpu"), curves


def test_unknown_task_kind_names_the_known_ones():
    with pytest.raises(UnknownTask, match="unknown task kind 'clasification'; dlpath knows: classification, "
                                          "regression_by_hand"):
        get_task("clasification")


def test_training_data_is_deterministic_and_sized_by_the_project():
    task = get_task("classification")
    a, b = task.training_data(SPIRALS, 4), task.training_data(SPIRALS, 4)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_val, b.y_val)
    assert a.x_train.shape == (300, 2) and a.x_val.shape == (100, 2)
    assert not torch.equal(a.x_train[:100], a.x_val)
    assert a.info == {"kind": "classification", "input_shape": [2], "num_classes": 3}


def test_a_working_learner_passes_and_reports_facts():
    evaluation, curves = grade(MLP)
    metrics, facts = evaluation["metrics"], evaluation["facts"]
    assert metrics["test_accuracy"] > 0.8
    assert metrics["parameters"] == 2 * 32 + 32 + 32 * 3 + 3
    assert facts["optimizers"] == [{"type": "Adam", "lr": 0.02}] and facts["learning_rate"] == 0.02
    assert facts["parameters_changed"] is True and facts["inputs_normalized"] is True
    assert facts["left_in_training_mode"] is False and facts["wrong_output"] is False
    assert facts["outputs_look_like_probabilities"] is False
    assert facts["train_accuracy"] > 0.7 and facts["val_accuracy"] > 0.7
    assert facts["expected_output"]["shape"] == [400, 3] and facts["got_output"]["shape"] == [400, 3]
    assert len(curves) == 150 and curves[0]["epoch"] == 0
    json.dumps(evaluation)  # plain data only


def test_the_evaluation_reveals_no_test_data():
    evaluation, _ = grade(MLP)
    assert len(json.dumps(evaluation)) < 1500  # aggregates, never per-example values


def test_the_test_set_comes_from_the_test_seed():
    a, _ = grade(MLP, test_seed=1)
    b, _ = grade(MLP, test_seed=2)
    c, _ = grade(MLP, test_seed=1)
    assert a["metrics"]["test_accuracy"] == c["metrics"]["test_accuracy"]
    assert a["metrics"]["test_accuracy"] != b["metrics"]["test_accuracy"]


def test_optimizer_init_is_restored_after_training():
    original = torch.optim.Optimizer.__init__
    grade(MLP)
    assert torch.optim.Optimizer.__init__ is original


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def train(model, data, device, log): pass", r"train.py has no function build_model\(info\)"),
        ("def build_model(info): pass\ndef train(model, data): pass", r"train\(model, data\) cannot be called as "
                                                                     r"train\(model, data, device, log\)"),
        ("build_model = 3\ndef train(model, data, device, log): pass", "build_model is a int"),
        ("def build_model(info): return [1]\ndef train(model, data, device, log): pass",
         "returned a list; it must return a torch.nn.Module"),
        ("from torch import nn\ndef build_model(info): return nn.Linear(2, 3)\n"
         "def train(model, data, device, log): return 0.5", "returned a float"),
    ],
)
def test_contract_errors_say_what_is_wrong(source, message):
    task = get_task("classification")
    with pytest.raises(ContractError, match=message):
        task.run_learner(learner(source), task.training_data(SPIRALS, 1), "cpu", lambda **k: None)


def test_extra_arguments_with_defaults_are_allowed():
    source = MLP.replace("def train(model, data, device, log):", "def train(model, data, device, log, extra=1):")
    evaluation, _ = grade(source)
    assert evaluation["metrics"]["test_accuracy"] > 0.8


def test_wrong_output_shape_is_reported_not_raised():
    source = """
    import torch
    from torch import nn
    def build_model(info):
        return nn.Sequential(nn.Linear(2, 1), nn.Flatten(0))
    def train(model, data, device, log):
        pass
    """
    evaluation, _ = grade(source)
    assert evaluation["metrics"]["test_accuracy"] == 0.0
    assert evaluation["facts"]["wrong_output"] is True
    assert evaluation["facts"]["got_output"] == {"shape": [400], "dtype": "float32"}
    assert evaluation["facts"]["parameters_changed"] is False


def test_a_forward_pass_that_fails_at_test_time_is_reported():
    source = """
    from torch import nn
    class Picky(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(2, 3)
        def forward(self, x):
            if len(x) != 300:
                raise ValueError("I only know batches of 300")
            return self.layer(x)
    def build_model(info):
        return Picky()
    def train(model, data, device, log):
        model(data.x_train)
    """
    evaluation, _ = grade(source)
    assert evaluation["facts"]["forward_error"] == "ValueError: I only know batches of 300"
    assert evaluation["metrics"]["test_accuracy"] == 0.0


def test_softmax_dropout_and_training_mode_are_seen():
    source = MLP.replace(
        'nn.Linear(32, info["num_classes"]))',
        'nn.Dropout(0.7), nn.Linear(32, info["num_classes"]), nn.Softmax(dim=1))',
    ).replace("    model.eval()\n", "")
    evaluation, _ = grade(source)
    facts = evaluation["facts"]
    assert facts["outputs_look_like_probabilities"] is True
    assert facts["dropout_rates"] == [0.7] and facts["mode_dependent_layers"] == 1
    assert facts["left_in_training_mode"] is True


def test_unnormalized_inputs_are_seen_at_the_first_layer():
    source = MLP.replace("model(data.x_train)", "model(data.x_train * 500 + 200)")
    evaluation, _ = grade(source)
    assert evaluation["facts"]["inputs_normalized"] is False
    assert evaluation["facts"]["first_layer_input"]["mean"] > 100


def test_training_on_the_validation_set_shows_in_the_facts():
    source = MLP.replace("model(data.x_train), data.y_train", "model(data.x_val), data.y_val").replace(
        "range(150)", "range(300)").replace("nn.Linear(2, 32)", "nn.Linear(2, 128)").replace(
        "nn.Linear(32,", "nn.Linear(128,").replace("nn.ReLU(),", "nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),")
    project = {**SPIRALS, "dataset": {**SPIRALS["dataset"], "params": {"classes": 3, "noise": 0.4}, "val": 60}}
    evaluation, _ = grade(source, project=project)
    assert evaluation["facts"]["val_accuracy"] - evaluation["metrics"]["test_accuracy"] > 0.1


def test_the_learner_cannot_spoil_the_graders_copy_of_the_data():
    source = MLP.replace("opt = torch", "data.y_train.zero_(); data.y_val.zero_()\n    opt = torch")
    evaluation, _ = grade(source)
    assert evaluation["facts"]["val_accuracy"] < 0.5  # measured against the true labels


def test_images_work_too():
    project = {"id": "t", "task": "classification",
               "dataset": {"name": "shapes", "params": {"classes": 4, "size": 16}, "train": 64, "val": 16,
                           "test": 32}}
    source = """
    from torch import nn
    def build_model(info):
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.LazyLinear(info["num_classes"]))
    def train(model, data, device, log):
        model(data.x_train[:2])
        model.eval()
    """
    evaluation, _ = grade(source, project=project)
    assert evaluation["facts"]["expected_output"]["shape"] == [32, 4]
    assert evaluation["facts"]["wrong_output"] is False


# --- regression by hand ---------------------------------------------------------------------

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


def test_by_hand_solution_passes_the_oracle():
    evaluation, curves = grade(BY_HAND, project=LINEAR)
    metrics, facts = evaluation["metrics"], evaluation["facts"]
    assert metrics["gradient_error"] < 1e-5
    assert metrics["autograd_uses"] == 0.0
    assert 0.2 < metrics["test_mse"] < 0.32
    assert facts["learning_rate"] == 0.1 and facts["best_possible_mse"] == 0.25
    assert len(curves) == 200
    json.dumps(evaluation)


@pytest.mark.parametrize(
    ("change", "expected"),
    [("return 2 * x.T @ error / len(y), 2 * error.mean()", 0.0),
     ("return x.T @ error / len(y), error.mean()", 0.5),
     ("return torch.zeros_like(w), torch.zeros_like(b)", 1.0)],
)
def test_gradient_error_measures_how_far_from_autograd(change, expected):
    source = BY_HAND.replace("return 2 * x.T @ error / len(y), 2 * error.mean()", change)
    evaluation, _ = grade(source, project=LINEAR)
    assert evaluation["metrics"]["gradient_error"] == pytest.approx(expected, abs=1e-5)


def test_a_gradient_of_the_wrong_shape_is_reported():
    source = BY_HAND.replace("return 2 * x.T @ error / len(y), 2 * error.mean()",
                             "return 2 * x.T @ error / len(y), 2 * error")
    evaluation, _ = grade(source, project=LINEAR)
    assert evaluation["metrics"]["gradient_error"] == 1.0
    assert "must return (grad_w with 3 values, grad_b with one); got 3 and 32" in evaluation["facts"][
        "gradient_problem"]
    assert evaluation["facts"]["output_problem"] == "w must have 3 values and b one value; got 3 and 200"


def test_autograd_and_optimizers_are_counted_and_restored():
    source = """
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
    backward, grad = torch.Tensor.backward, torch.autograd.grad
    evaluation, _ = grade(source, project=LINEAR)
    assert evaluation["metrics"]["autograd_uses"] == 100 + 5 + 1  # training, the oracle's 5 checks, one optimizer
    assert evaluation["metrics"]["gradient_error"] < 1e-5
    assert torch.Tensor.backward is backward and torch.autograd.grad is grad


def test_a_wrong_result_from_train_is_reported():
    source = BY_HAND.replace("    return w, b\n", "    return w\n")
    evaluation, _ = grade(source, project=LINEAR)
    assert evaluation["facts"]["wrong_output"] is True
    assert "must return a pair (w, b)" in evaluation["facts"]["output_problem"]
    assert evaluation["metrics"]["test_mse"] > 1.0


def test_trained_wraps_the_result():
    task = get_task("regression_by_hand")
    trained = task.run_learner(learner(BY_HAND), task.training_data(LINEAR, 1), "cpu", lambda **k: None)
    assert isinstance(trained, Trained) and len(trained.model) == 2


def test_shipped_data_keeps_its_held_back_rows_for_the_test(tmp_path, monkeypatch):
    from dlpath import datasets

    folder = tmp_path / "tiny"
    folder.mkdir()
    rows = ["a,b,label"] + [f"{i},{(i * 7) % 5},{int(i % 2)}" for i in range(200)]
    (folder / "data.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "SOURCE.txt").write_text("Written by this test. Licence: CC0-1.0.\n", encoding="utf-8")
    monkeypatch.setattr(datasets, "shipped_dir", lambda: tmp_path)
    project = {"id": "t", "task": "classification",
               "dataset": {"name": "shipped:tiny", "params": {"heldback": 0.25}, "train": 1000, "val": 30}}
    task = get_task("classification")
    data = task.training_data(project, 5)
    assert len(data.x_val) == 30 and len(data.x_train) + 30 + 0 <= 200
    seen = set(data.x_train[:, 0].tolist()) | set(data.x_val[:, 0].tolist())
    held = datasets.load_shipped("tiny", "heldback", heldback=0.25)
    assert not seen & set(held.x[:, 0].tolist())
    assert len(seen) + len(held) == 200
    evaluation, _ = grade(MLP.replace("nn.Linear(2, 32)", "nn.Linear(2, 32)").replace(
        'info["num_classes"]', "2"), project=project)
    assert 0.0 <= evaluation["metrics"]["test_accuracy"] <= 1.0
