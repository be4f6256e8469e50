"""The written-weights side of ``learned_skill`` (red team round 3, 2026-12-07): a hand-written answer held in
buffers (or in the code of forward()) times ONE trained number that starts at 0 loses everything when the
learned-weights ablation puts that number back, so undoing training alone credits it with the whole score. The
judge also counts the numbers training moved and redraws at random the tensors it never moved
(``_model.written_verdict``). Each attack passed its grade before (measures/gate_on_*); honest solutions move
80% or more of their numbers, and their buffers (penguins' scaling statistics, find-the-shortcut's mask) do not
outnumber what they trained."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlpath.grading import artifact
from dlpath.grading.grade import world_seed_for
from dlpath.grading.tasks._model import MOVED_FLOOR, MOVED_WITH_WRITTEN, redrawn, value_uses, written_verdict
from tests.conftest import FIXTURES
from tests.taskrun import mentor
from tests.test_integrity_measures import attack, refused_by, spec

ATTACKS = FIXTURES / "measure_attacks"


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """The attacks train small models: fastest on one thread."""


GATED = [  # attack, project, its primary metric, the data set's sizes, whether its answer is in tensors
    pytest.param("gate_on_prototypes", "tune-a-digit-reader", "test_accuracy", {}, True,
                 marks=pytest.mark.slow),  # 7 s (its k-means); PADDED below is the same answer, refused in 2 s
    pytest.param("gate_on_written_projection", "anomalies-by-reconstruction", "roc_auc", dict(train=300), True,
                 marks=pytest.mark.slow),  # its grid search of the world's frequencies: 10 s
    ("gate_on_written_reversal", "tiny-transformer", "exact_match", dict(train=2000, test=1000), True),
    ("gate_on_pulse_finder", "long-memory", "test_accuracy", dict(train=1000, test=1000), False),  # in forward()
]


@pytest.mark.parametrize(("name", "project", "primary", "sizes", "in_tensors"), GATED)
def test_a_written_answer_times_one_trained_gate_is_refused(name: str, project: str, primary: str, sizes: dict,
                                                            in_tensors: bool) -> None:
    got = attack(name, spec(project, **sizes), world_seed=world_seed_for(11))
    extra = got["facts"].extra
    assert got["results"][primary].passed, got["metrics"]  # a good answer: only learned_skill can stop it
    assert extra["skill_problem"] is None and extra["skill_trained"] == 1 and extra["skill_moved"] == 1, extra
    assert extra["skill_score"] - extra["skill_ablated"] > 0.4, extra  # undoing training alone was fooled
    assert extra["skill_moved"] < MOVED_FLOOR * extra["skill_counted"], extra  # the floor alone would refuse it
    lost = extra["skill_score"] - extra["skill_redrawn"]
    if in_tensors:  # the numbers training never moved carry the score: the reason given is where the answer is
        assert lost > 0.5 * (extra["skill_score"] - extra["skill_ablated"]) and extra["skill_refused"] == "written"
    else:
        assert lost == 0 and extra["skill_refused"] == "moved", extra
    assert got["metrics"]["learned_skill"] == 0.0 and refused_by(got, "learned_skill")


#: gate_on_prototypes with 1,500 more trained numbers that change nothing (a per-class bias, scaled down to
#: nothing), past the floor on the share of the model training moved: the redraw of the prototypes refuses it
PADDED = (ATTACKS / "gate_on_prototypes.py").read_text().replace(
    "self.gate = nn.Parameter(torch.zeros(()))",
    "self.gate = nn.Parameter(torch.zeros(()))\n        self.pad = nn.Parameter(torch.zeros(classes, 150))").replace(
    "return s * self.gate", "return s * self.gate + 1e-6 * self.pad.sum(1)").replace(
    "torch.optim.Adam([model.gate], lr=0.3)", "torch.optim.Adam([model.gate, model.pad], lr=0.3)")


def test_a_written_answer_padded_with_useless_trained_numbers_is_refused_by_the_redraw() -> None:
    project = spec("tune-a-digit-reader")
    found, got = mentor(PADDED, project, world_seed=world_seed_for(11))
    extra = got["facts"].extra
    assert got["metrics"]["test_accuracy"] >= 0.94 and extra["skill_trained"] == 2, extra
    share = extra["skill_moved"] / extra["skill_counted"]
    assert MOVED_FLOOR < share < MOVED_WITH_WRITTEN, extra
    assert extra["skill_redrawn"] < 0.3 and extra["skill_refused"] == "written", extra
    assert got["metrics"]["learned_skill"] == 0.0
    told = next(d for d in found if d.code == "skill-not-learned")
    assert "redrawn at random" in told.message and "1,501 of the" in told.message, told.message


def test_a_hand_written_segmentation_filter_times_one_gate_is_refused_and_told() -> None:
    project = spec("segment-the-shapes", train=300, test=300)
    found, got = mentor((ATTACKS / "gate_on_written_filter.py").read_text(), project)
    extra = got["facts"].extra
    # a random filter still marks a third of a shape (IoU about 0.33 of 0.73): the redraw's loss is near its
    # bound, the floor on the share training moved refuses it either way
    assert got["metrics"]["test_iou"] > 0.6 and extra["skill_refused"] in ("written", "moved"), extra
    assert got["metrics"]["learned_skill"] == 0.0
    told = next(d for d in found if d.code == "skill-not-learned")
    assert "training moved only 1 of the" in told.message, told.message


def test_a_buffer_named_code_is_replayed_and_its_gate_refused() -> None:
    """The red team's replay bug: `code` is also the TorchScript source of the traced module."""
    got = attack("buffer_named_code", spec("tiny-transformer", train=2000, test=1000), world_seed=world_seed_for(11))
    extra = got["facts"].extra
    assert extra["skill_problem"] is None and got["metrics"]["exact_match"] > 0.9, extra
    assert extra["skill_refused"] == "written" and extra["skill_redrawn"] < 0.1, extra
    assert refused_by(got, "learned_skill")


def test_trace_reads_buffers_and_submodules_named_like_the_script_module_s_own_properties() -> None:
    class Named(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("code", torch.randn(4, 3))
            self.graph = nn.Linear(3, 2)
            self.inlined_graph = nn.Parameter(torch.randn(2))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.graph(x @ self.code) + self.inlined_graph

    model, x = Named(), torch.randn(5, 4)
    graph, tensors = artifact.trace(model, x)
    assert artifact.output_difference(artifact.replay(graph, tensors, [x]), model(x)) == 0.0
    assert artifact.count_parameters(graph, tensors) - artifact.graph_numbers(graph) == 12 + 6 + 2 + 2


def test_the_running_statistics_of_a_normalization_are_not_written_numbers() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU()).eval()
    model[1].running_mean.fill_(0.25)
    model[1].running_var.fill_(2.5)
    model.register_buffer("scale", torch.ones(1))  # traced only if used: it is not
    graph, tensors = artifact.trace(model, torch.randn(6, 3))
    used = value_uses(graph)
    stats = {name for name, t in tensors.items() if t.dim() == 1 and t.shape[0] == 4
             and (torch.equal(t, model[1].running_mean) or torch.equal(t, model[1].running_var))}
    assert stats and all(not used[name] for name in stats), used
    assert sum(used.values()) == 4  # the linear layer's weight and bias, the norm's weight and bias


def test_redrawn_keeps_shape_and_spread_and_shuffles_integers() -> None:
    a = torch.randn(2000, generator=torch.Generator().manual_seed(3)) * 3 + 5
    w = {"a": a, "i": torch.arange(100), "s": torch.tensor(2.0), "k": torch.ones(3)}
    got = redrawn(w, ["a", "i", "s"])  # the mean and spread of the tensor it replaces, give or take sampling
    assert got["a"].shape == w["a"].shape and abs(float(got["a"].mean()) - float(a.mean())) < 0.3
    assert abs(float(got["a"].std()) - float(a.std())) < 0.3 and not torch.equal(got["a"], w["a"])
    assert sorted(got["i"].tolist()) == list(range(100)) and not torch.equal(got["i"], w["i"])
    assert float(got["s"]) != 2.0 and got["k"] is w["k"]


def test_the_verdict() -> None:
    assert written_verdict(0.8, 0.9, 0.9, moved=90, counted=100) is None  # honest: nothing written
    assert written_verdict(0.8, 1.0, 0.3, moved=131, counted=151) is None  # penguins: its scaling statistics
    assert written_verdict(0.8, 0.9, 0.1, moved=1, counted=9641) == "written"  # the gates on written tensors
    assert written_verdict(0.8, 0.9, 0.9, moved=1, counted=60) == "moved"  # the gate on an answer in forward()
    share = (MOVED_FLOOR + MOVED_WITH_WRITTEN) / 2
    assert written_verdict(0.8, 0.9, 0.1, moved=int(share * 1000), counted=1000) == "written"
    assert written_verdict(0.8, 0.9, 0.6, moved=int(share * 1000), counted=1000) is None  # written, not carrying
    assert written_verdict(0.0, 0.5, 0.1, moved=1, counted=1000) is None  # no skill to refuse
