"""``sequence_classification``: the judge measures accuracy and how far back the model remembers."""

from __future__ import annotations

import pytest

from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor, run_task

RECALL = dict(id="t", task="sequence_classification", lesson="recurrent-networks", calibration=None,
              thresholds=(Threshold("test_accuracy", 0.9),),
              dataset=DatasetSpec("delayed_recall", {"classes": 4, "length": 12, "channels": 6}, 64, 32, 400))
# The pulse at a step drawn per sequence from the first 4.
WINDOWED = dict(RECALL, dataset=DatasetSpec("delayed_recall", {"classes": 4, "length": 12, "channels": 6, "window": 4},
                                            64, 32, 400))

# Hand-made models, trained by one optimizer step so that their weights move like a real learner's.
LEARNER = """
import torch
from torch import nn
STEP, LAYER = {step}, {layer}
class Reads(nn.Module):
    def __init__(self, step, layer):
        super().__init__()
        self.step, self.layer = step, layer
        self.scale = nn.Parameter(torch.tensor(10.0))
    def forward(self, x):  # (N, T, C) -> (N, 4)
        if self.layer is not None:
            self.layer(x)
        return self.scale * x[:, self.step, :4]
def build_model(info):
    return Reads(STEP, LAYER)
def train(model, data, device, log):
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for epoch in range(3):
        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
        log(epoch=epoch, train_loss=loss.item())
    model.eval()
"""


def learner(step: int, layer: str = "None") -> str:
    return LEARNER.replace("{step}", str(step)).replace("{layer}", layer)


def finder() -> str:
    """A model that reads the one clean one-hot step (every channel 0 but one), wherever it sits."""
    clean = "((x == 0).sum(dim=2, keepdim=True) == x.shape[2] - 1).to(x.dtype)"  # (N, T, 1)
    return learner(0).replace("x[:, self.step, :4]", f"({clean} * x).sum(dim=1)[:, :4]")


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Tiny models train fastest on one thread."""


def test_a_model_that_reads_the_first_step_remembers_it():
    got = run_task(learner(0), RECALL)
    assert got["metrics"]["test_accuracy"] == 1.0
    extra = got["facts"].extra
    assert extra["follows_signal"] == 1.0 and extra["follows_end"] == 0.0
    assert extra["signal_steps"] == [0, 1] and extra["length"] == 12
    assert got["asked"] == ["outputs", "outputs"]


@pytest.mark.parametrize(("layer", "words"), [
    ("None", "no recurrent layer"),
    ("torch.nn.RNN(6, 4, batch_first=True)", "A plain RNN rewrites its whole state"),
    ("torch.nn.LSTM(6, 4, batch_first=True)", "forget gate"),
])
def test_a_model_that_reads_the_last_step_is_told_it_forgot_the_start(layer, words):
    diagnoses, got = mentor(learner(-1, layer), RECALL)
    assert got["metrics"]["test_accuracy"] < 0.5
    assert got["facts"].extra["follows_signal"] < 0.5 and got["facts"].extra["follows_end"] > 0.5
    codes = [d.code for d in diagnoses]
    assert codes[0] == "short-memory" and "labels-not-learnable" not in codes and "underfitting" not in codes
    first = diagnoses[0]
    assert first.lesson == "recurrent-networks" and words in first.message and "step 0 of 12" in first.message
    assert first.evidence[1].startswith("answer changed when the last step was swapped: ")


def test_the_probe_swaps_the_whole_window_and_the_pulse_moves_with_it():
    got = run_task(finder(), WINDOWED)
    assert got["metrics"]["test_accuracy"] == 1.0
    extra = got["facts"].extra
    assert extra["signal_steps"] == [0, 4] and extra["length"] == 12
    assert extra["follows_signal"] == 1.0 and extra["follows_end"] == 0.0


def test_one_step_is_not_enough_when_the_pulse_moves():
    got = run_task(learner(0), WINDOWED)
    assert got["metrics"]["test_accuracy"] < 0.6  # right where the pulse is at step 0 (1 in 4), chance elsewhere


@pytest.mark.parametrize(("layer", "words"), [
    ("None", "no recurrent layer"),
    ("torch.nn.RNN(6, 4, batch_first=True)", "the gradient that should teach it to keep the step that says the class"),
    ("torch.nn.LSTM(6, 4, batch_first=True)", "nothing from the step that says the class reaches the end"),
])
def test_where_the_pulse_moves_the_diagnosis_says_the_first_steps(layer, words):
    diagnoses, got = mentor(learner(-1, layer), WINDOWED)
    assert got["metrics"]["test_accuracy"] < 0.5
    first = diagnoses[0]
    assert first.code == "short-memory" and words in first.message
    assert first.message.startswith("The label of these sequences is given somewhere in the first 4 steps of 12 and "
                                    "nowhere after. The grader swapped steps 0 to 3 between test sequences")
    assert "step 0" not in first.message
    assert first.evidence[0].startswith("answer followed the swapped steps 0 to 3: ")
    assert first.evidence[1].startswith("answer changed when the last 4 steps were swapped: ")


@pytest.mark.parametrize(("source", "project"), [(learner(0), RECALL), (finder(), WINDOWED)])
def test_a_passing_model_gets_no_memory_diagnosis(source, project):
    diagnoses, _ = mentor(source, project)
    assert not [d for d in diagnoses if d.code == "short-memory"]


def test_without_signal_steps_the_judge_is_plain_classification():
    project = dict(RECALL, dataset=DatasetSpec("sequences", {"classes": 3, "length": 12}, 64, 32, 200))
    source = learner(0).replace("x[:, self.step, :4]", "x[:, self.step, :1].expand(-1, 3)")
    got = run_task(source, project)
    assert got["asked"] == ["outputs"] and "follows_signal" not in got["facts"].extra


def test_recurrent_and_embedding_models_are_not_called_linear():
    """The mentor's layer chain (observe.Watch): an LSTM has non-linear gates inside, an embedding reads ids and
    starts a chain, a LayerNorm divides by a scale the data sets; none of these models is a stack of linear layers."""
    import torch
    from torch import nn

    from dlpath.grading.observe import Watch

    class Reader(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.head = nn.LSTM(3, 4, batch_first=True), nn.Linear(4, 2)

        def forward(self, x):  # (N, T, 3)
            return self.head(self.lstm(x)[0][:, -1])

    embedded = nn.Sequential(nn.Embedding(5, 4), nn.LayerNorm(4), nn.Linear(4, 4), nn.LayerNorm(4), nn.Linear(4, 5))
    for model, x in [(Reader(), torch.randn(2, 6, 3)), (embedded, torch.randint(0, 5, (2, 6)))]:
        watch = Watch()
        watch.attach(model)
        model(x)
        watch.finish(model)
        seen = watch.observation()
        assert not seen.stacked_linear and not seen.linear_model, type(model).__name__
