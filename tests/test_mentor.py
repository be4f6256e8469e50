"""The mentor on real training runs: each classic mistake gets its diagnosis; correct code gets none.

Every case below is a learner's train.py trained for real (in one process, on a
small spiral data set) and diagnosed from the same evidence `dlpath check`
gathers. The oracle is the mentor's sentence: the expected code and words are
written down for each mistake. The mistakes come from public lists (Karpathy's
"A Recipe for Training Neural Networks", "37 Reasons why your Neural Network is
not working", the fault classes of UMLAUT, AUTOTRAINER and DeepDiagnosis).
"""

from __future__ import annotations

import pytest

from dlpath.grading.diagnose import CODES
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor

SPIRALS = dict(id="mentor", task="classification", lesson="multilayer-perceptron", calibration=None,
               thresholds=(Threshold("test_accuracy", 0.85),),
               dataset=DatasetSpec("spirals", {"classes": 3, "noise": 0.1}, 600, 150, 600))

GOOD = """
import torch
from torch import nn
LEARNING_RATE = 0.01
def build_model(info):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, info["num_classes"]))
def train(model, data, device, log):
    x, y = data.x_train, data.y_train
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(300):
        model.train()
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 20 == 19:
            model.eval()
            with torch.no_grad():
                out = model(data.x_val)
                acc = (out.argmax(1) == data.y_val).float().mean()
            log(epoch=epoch + 1, train_loss=loss.item(), val_loss=loss_fn(out, data.y_val).item(), val_accuracy=acc.item())
    model.eval()
"""


def change(*pairs: tuple[str, str]) -> str:
    source = GOOD
    for old, new in pairs:
        assert old in source, old
        source = source.replace(old, new)
    return source


# mistake -> (the learner's code, the code the mentor must name first among the errors, words the message must hold)
MISTAKES: dict[str, tuple[str, str, str]] = {
    "forgot zero_grad": (change(("        optimizer.zero_grad()\n", "")), "gradients-accumulate", "zero_grad"),
    "forgot the optimizer step": (change(("        optimizer.step()\n", "")), "no-optimizer-step", "optimizer.step()"),
    "softmax before cross-entropy": (
        change(('nn.Linear(64, info["num_classes"]))', 'nn.Linear(64, info["num_classes"]), nn.Softmax(dim=1))')),
        "softmax-before-cross-entropy", "raw scores"),
    "ReLU on the logits": (
        change(('nn.Linear(64, info["num_classes"]))', 'nn.Linear(64, info["num_classes"]), nn.ReLU())'),
               ("torch.manual_seed(0)", "torch.manual_seed(3)")),
        "activation-on-logits", "ReLU"),
    "MSE on class indices": (
        change(('nn.Linear(64, info["num_classes"]))', 'nn.Linear(64, 1), nn.Flatten(0))'),
               ("loss = loss_fn(model(x), y)", "loss = nn.functional.mse_loss(model(x), y.float())"),
               ("acc = (out.argmax(1) == data.y_val).float().mean()", "acc = torch.tensor(0.0)"),
               ("val_loss=loss_fn(out, data.y_val).item()", "val_loss=0.0")),
        "wrong-output", "one row of raw class scores"),
    "labels shuffled apart from their inputs": (
        change(("x, y = data.x_train, data.y_train", "x, y = data.x_train, data.y_train[torch.randperm(len(data.y_train))]")),
        "labels-not-learnable", "entropy of the labels"),
    "learning rate far too high": (change(("LEARNING_RATE = 0.01", "LEARNING_RATE = 1e6")), "learning-rate-too-high",
                                   "Divide the learning rate"),
    "learning rate so high the loss is NaN": (  # located in time: finite at step 0, NaN right after
        change(("LEARNING_RATE = 0.01", "LEARNING_RATE = 1e30")),
        "learning-rate-too-high", "NaN"),
    "learning rate far too low": (
        change(("LEARNING_RATE = 0.01", "LEARNING_RATE = 1e-7"), ("torch.optim.Adam", "torch.optim.SGD")),
        "learning-rate-too-low", "Raise the learning rate"),
    "weight decay that pins the weights": (
        change(("torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)",
                "torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=20.0)")),
        "too-much-regularization", "weight decay"),
    "all weights zero at the start": (
        change(('    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, info["num_classes"]))',
                '    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, info["num_classes"]))\n'
                '    for p in model.parameters():\n        nn.init.zeros_(p)\n    return model')),
        "symmetric-init", "every weight equal"),
    "deep sigmoid network": (
        change(('    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, info["num_classes"]))',
                '    layers = [nn.Linear(2, 32), nn.Sigmoid()]\n'
                '    for _ in range(10):\n        layers += [nn.Linear(32, 32), nn.Sigmoid()]\n'
                '    model = nn.Sequential(*layers, nn.Linear(32, info["num_classes"]))\n'
                '    for m in model:\n'
                '        if isinstance(m, nn.Linear):\n            nn.init.normal_(m.weight, std=0.05)\n'
                '    return model'),
               ("torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)", "torch.optim.SGD(model.parameters(), lr=0.1)")),
        "vanishing-gradients", "first layer"),
    "output layer too small for the classes": (
        change(('nn.Linear(64, info["num_classes"]))', "nn.Linear(64, 2))")), "wrong-output-count", "num_classes"),
    "loss turned into a number before backward": (
        change(("        loss.backward()\n", "        loss = loss.item()\n        loss.backward()\n")), "no-graph", ".item()"),
    "detached output": (
        change(("loss = loss_fn(model(x), y)", "loss = loss_fn(model(x).detach(), y)")), "no-graph", "detach"),
    "a linear model for a curved boundary": (
        change(('    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, info["num_classes"]))',
                '    return nn.Sequential(nn.Linear(2, 64), nn.Linear(64, info["num_classes"]))')),
        "underfitting", "linear"),
    "inputs on a huge scale": (
        change(("x, y = data.x_train, data.y_train", "x, y = data.x_train * 1000 + 300, data.y_train"),
               ("out = model(data.x_val)", "out = model(data.x_val * 1000 + 300)")),
        "inputs-not-normalized", "Standardize"),
}

# correct code written differently: no warning, no error
CORRECT: dict[str, str] = {
    "the reference": GOOD,
    "SGD with momentum and a schedule": change(
        ("optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)",
         "optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)\n"
         "    schedule = torch.optim.lr_scheduler.StepLR(optimizer, 100, 0.5)"),
        ("        optimizer.step()\n", "        optimizer.step()\n        schedule.step()\n")),
    "wider, AdamW, GELU": change(("nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64,",
                                  "nn.Linear(2, 128), nn.GELU(), nn.Linear(128, 128), nn.GELU(), nn.Linear(128,"),
                                 ("torch.optim.Adam(", "torch.optim.AdamW(")),
    "no logging at all": change(("        if epoch % 20 == 19:", "        if False:")),
    "logging rarely": change(("        if epoch % 20 == 19:", "        if epoch == 299:")),
    "mini-batches and zero_grad(set_to_none) on the model": change(
        ("        loss = loss_fn(model(x), y)\n        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n",
         "        for batch in torch.randperm(len(x)).split(200):\n"
         "            loss = loss_fn(model(x[batch]), y[batch])\n"
         "            model.zero_grad(set_to_none=True)\n            loss.backward()\n            optimizer.step()\n")),
    "functional ReLU and an explicit log_softmax with NLL": """
import torch
from torch import nn
class Net(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(2, 64), nn.Linear(64, 64), nn.Linear(64, classes)
    def forward(self, x):
        return self.c(torch.relu(self.b(torch.relu(self.a(x)))))
def build_model(info):
    torch.manual_seed(0)
    return Net(info["num_classes"])
def train(model, data, device, log):
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(300):
        loss = nn.functional.nll_loss(nn.functional.log_softmax(model(data.x_train), dim=1), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
    model.eval()
""",
    "dropout and batch normalization, in eval mode at the end": change(
        ("nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),",
         "nn.Linear(2, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 64), nn.ReLU(),")),
}


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here trains on one thread (see conftest)."""


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_classic_mistake_is_named(mistake: str) -> None:
    source, code, words = MISTAKES[mistake]
    found, got = mentor(source, SPIRALS)
    codes = [d.code for d in found]
    assert code in codes, (mistake, [(d.code, d.severity, d.message[:120]) for d in found])
    item = next(d for d in found if d.code == code)
    assert words in item.message, item.message
    assert item.evidence, "a diagnosis shows the numbers it rests on"
    passed = got["failure"] is None and got["metrics"]["test_accuracy"] >= 0.85
    if passed:  # the mistake did not cost this grade (an easy task): it is a warning, nothing explains a failure
        assert item.severity == "warning" and not [d for d in found if d.severity == "error"], codes
    else:  # it explains the failure: the first error the learner reads
        assert next(d for d in found if d.severity == "error").code == code, (mistake, codes)


def test_forgetting_zero_grad_reads_like_a_mentor_who_saw_the_gradients_pile_up() -> None:
    found, _ = mentor(MISTAKES["forgot zero_grad"][0], SPIRALS)
    item = found[0]
    assert item.code == "gradients-accumulate" and item.severity == "error"
    assert "the gradient norm grew" in item.message and "optimizer.zero_grad()" in item.message
    assert any("0 zero_grad() calls" in e for e in item.evidence)
    assert "underfitting" not in [d.code for d in found]  # never "add capacity" for an optimization bug


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_code_written_differently_gets_no_diagnosis(name: str) -> None:
    found, got = mentor(CORRECT[name], SPIRALS)
    assert got["failure"] is None and got["metrics"]["test_accuracy"] >= 0.85, (name, got["metrics"])
    assert [(d.code, d.message[:100]) for d in found] == []


def test_every_new_code_is_exercised_by_a_real_run_or_a_synthetic_one() -> None:
    real = {code for _, code, _ in MISTAKES.values()}
    assert real <= set(CODES)
    assert {"gradients-accumulate", "no-optimizer-step", "labels-not-learnable", "symmetric-init",
            "vanishing-gradients", "learning-rate-too-low", "too-much-regularization"} <= real
