"""``generation``: the judge samples the generator with its own noise and counts the modes it covers."""

from __future__ import annotations

import pytest

from dlpath.projects import DatasetSpec, Threshold
from tests.taskrun import mentor, run_task

RING = dict(id="t", task="generation", lesson="gans", calibration=None,
            thresholds=(Threshold("modes_covered", 8), Threshold("quality", 0.5)),
            dataset=DatasetSpec("gaussian_ring", {"modes": 8, "std": 0.05, "noise_dim": 4}, 64, 0, 2000))

# Hand-made generators, trained by one step so that their weights move: the noise's first number picks a mode.
LEARNER = """
import torch
from torch import nn
class Picks(nn.Module):
    def __init__(self, centers, modes):
        super().__init__()
        self.register_buffer("centers", torch.tensor(centers))
        self.modes = modes
        self.spread = nn.Parameter(torch.tensor(0.05))
        self.shift = nn.Parameter(torch.zeros(1))
    def forward(self, z):  # (N, 4) -> (N, 2)
        pick = (torch.special.ndtr(z[:, 0]) * self.modes).long().clamp(max=self.modes - 1)
        return {points} + self.shift
def build_model(info):
    return Picks(info["centers"], MODES)
def train(model, data, device, log):
    opt = torch.optim.SGD(model.parameters(), lr=1e-6)
    loss = (model(torch.randn(8, 4)) - 5).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    model.eval()
"""
ON_MODES = "self.centers[pick] + self.spread * z[:, 1:3]"
AT_ORIGIN = "0.001 * self.spread * z[:, 1:3]"


def learner(points: str, modes: int = 8) -> str:
    return LEARNER.replace("{points}", points).replace("MODES", str(modes))


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Tiny models run fastest on one thread."""


def test_a_generator_on_every_mode_passes():
    got = run_task(learner(ON_MODES), RING)
    assert got["metrics"]["modes_covered"] == 8 and got["metrics"]["quality"] > 0.95
    extra = got["facts"].extra
    assert len(extra["mode_shares"]) == 8 and min(extra["mode_shares"]) > 0.1
    assert got["asked"] == ["outputs"] and got["facts"].expected_output == "(2000, 2) float"


def test_the_judges_noise_comes_from_the_hidden_seed():
    a, b = run_task(learner(ON_MODES), RING, test_seed=1), run_task(learner(ON_MODES), RING, test_seed=2)
    assert a["facts"].extra["mode_shares"] != b["facts"].extra["mode_shares"]


def test_a_collapsed_generator_is_told_about_mode_collapse():
    diagnoses, got = mentor(learner(ON_MODES, modes=3), RING)
    assert got["metrics"]["modes_covered"] == 3 and got["metrics"]["quality"] > 0.95
    assert diagnoses[0].code == "mode-collapse" and diagnoses[0].lesson == "gans"
    assert "3 of the 8 modes" in diagnoses[0].message


def test_a_generator_that_ignores_its_noise_is_off_the_data():
    diagnoses, got = mentor(learner(AT_ORIGIN), RING)
    assert got["metrics"]["quality"] == 0.0
    assert diagnoses[0].code == "samples-off-data" and "ignores its noise" in diagnoses[0].message


def test_a_wrong_output_shape_is_reported():
    got = run_task(learner("self.centers[pick][:, :1]"), RING)
    assert got["metrics"]["modes_covered"] == 0 and "one sample per row of noise" in got["facts"].output_problem
