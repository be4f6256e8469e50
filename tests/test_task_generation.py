"""``generation``: the judge samples the generator with its own noise and counts the modes it covers."""

from __future__ import annotations

import types

import pytest

from dlpath.grading.project import DatasetSpec, Threshold
from dlpath.grading.tasks import get_task
from tests.taskrun import mentor, run_task

RING = dict(id="t", task="generation", lesson="gans", calibration=None,
            thresholds=(Threshold("modes_covered", 8), Threshold("quality", 0.5)),
            dataset=DatasetSpec("gaussian_ring", {"modes": 8, "std": 0.05, "noise_dim": 4}, 64, 0, 2000))

# Hand-made generators, trained by one step so that their weights move: the noise's first number picks a mode.
# The modes' centres are written in (train gets the real points only: the test hands them over as the judge knows
# them, so that each test is about one measurement).
CENTERS = get_task("generation").test_data(types.SimpleNamespace(**RING), 1).info["centers"]
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
    return Picks(CENTERS, MODES)
def train(model, data, device, log):
    opt = torch.optim.SGD(model.parameters(), lr=1e-6)
    loss = (model(torch.randn(8, 4)) - 5).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    model.eval()
"""
ON_MODES = "self.centers[pick] + self.spread * z[:, 1:3]"
AT_ORIGIN = "0.001 * self.spread * z[:, 1:3]"


def learner(points: str, modes: int = 8) -> str:
    return LEARNER.replace("{points}", points).replace("MODES", str(modes)).replace("CENTERS", repr(CENTERS))


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


def test_train_gets_the_real_points_and_nothing_that_locates_the_modes():
    seen = learner(ON_MODES).replace("def train(model, data, device, log):",
                                     "def train(model, data, device, log):\n    assert data.y_train is None and "
                                     "'centers' not in data.info and 'std' not in data.info, data.info")
    assert run_task(seen, RING)["failure"] is None


@pytest.mark.parametrize("world", [None, 11, 22])
def test_the_learners_process_is_not_sent_where_the_modes_are(world):
    """Not only train: the public data the judge sends (all the learner's process ever holds) has no centres, no
    spread and no labels, in every world; the judge's test data has the world's own."""
    from dlpath.datasets import generate
    from dlpath.grading.grade import world_seed_for

    task, spec = get_task("generation"), types.SimpleNamespace(**RING)
    world_seed = world_seed_for(world) if world else None
    public = task.public_data(spec, 1, world_seed)
    assert public.y_train is None and public.y_val is None and not {"centers", "std"} & set(public.info)
    values, _ = task.pack_public(public)
    assert "centers" not in repr(values)
    test = task.test_data(spec, 2, world_seed)
    assert test.info["centers"] == generate("gaussian_ring", 1, 0, modes=8, world_seed=world_seed or 0).info["centers"]


def test_samples_on_the_centres_cover_little_and_are_told_about_it():
    """Every mode found, every sample near one, no spread: coverage fails and the mentor names the collapse."""
    ring = dict(RING, thresholds=RING["thresholds"] + (Threshold("coverage", 0.7),))
    diagnoses, got = mentor(learner("self.centers[pick] + 0.0 * self.spread * z[:, 1:3]"), ring)
    assert got["metrics"]["modes_covered"] == 8 and got["metrics"]["quality"] == 1.0
    assert got["metrics"]["coverage"] < 0.5, got["metrics"]  # about 1 - exp(-1/2) of the real points
    assert diagnoses[0].code == "mode-collapse" and "within each" in diagnoses[0].message
    spread = mentor(learner(ON_MODES), ring)[1]  # the data's own spread: nearly every real point covered
    assert spread["metrics"]["coverage"] > 0.9, spread["metrics"]
