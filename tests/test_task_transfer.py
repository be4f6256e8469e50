"""``transfer`` in one process: the shipped backbone handed to build_model, and how far training moved it.

The project's own backbone (projects/transfer-with-40-labels/backbone) is used, on
a small slice of its data: training here takes a fraction of a second per test.
"""

from __future__ import annotations

import copy

import pytest
import torch

from dlpath.envs import pretrained
from dlpath.grading.tasks import ContractError, get_task
from dlpath.grading.tasks.transfer import MATCH, NOT_USED, ablated, backbone_tensors, distance_from, feature_size
from dlpath.grading.project import DatasetSpec, Threshold, load_project
from tests.taskrun import mentor, run_task

SHIPPED = load_project("transfer-with-40-labels")
PROJECT = dict(id="t", task="transfer", path=SHIPPED.path, thresholds=(Threshold("test_accuracy", 0.8),),
               dataset=DatasetSpec("chosen_shapes", dict(SHIPPED.dataset.params), 40, 0, 400))

PROBE = """
import torch
from torch import nn
def build_model(backbone, info):
    torch.manual_seed(0)
    for p in backbone.parameters():
        p.requires_grad_(False)
    return nn.Sequential(backbone, nn.Linear(info["feature_size"], info["num_classes"]))
def train(model, data, device, log):
    opt = torch.optim.Adam(model[1].parameters(), lr=LR)
    for step in range(STEPS):
        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
        log(epoch=step, train_loss=loss.item())
    model.eval()
"""
# the backbone carried as dead weight: it runs, but a network beside it makes every prediction
DEAD_WEIGHT = PROBE.replace("return nn.Sequential(backbone, nn.Linear(info[\"feature_size\"], info[\"num_classes\"]))", """
    class Carrier(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone, self.head = backbone, nn.Linear(info["feature_size"], info["num_classes"])
            self.scratch = nn.Sequential(nn.Flatten(), nn.Linear(256, 32), nn.ReLU(), nn.Linear(32, 6))
        def forward(self, x):
            return self.scratch(x) + 0.0 * self.head(self.backbone(x))
    return Carrier()""").replace("model[1].parameters()", "model.scratch.parameters()")
# a tripwire: the backbone's first filters and a negated copy cancel, and a large random projection of what is
# left is added to a network from scratch; swapping only the backbone's own tensors would make it noise
TRIPWIRE = DEAD_WEIGHT.replace("return self.scratch(x) + 0.0 * self.head(self.backbone(x))", """
            first = self.backbone[0]
            wire = nn.functional.conv2d(x, first.weight, padding=first.padding) + nn.functional.conv2d(
                x, self.twin, padding=first.padding)
            return self.scratch(x) + 100.0 * self.mix(wire.flatten(1))""").replace(
    "nn.Linear(32, 6))", "nn.Linear(32, 6))\n            self.twin = nn.Parameter(-backbone[0].weight.detach().clone(), "
    "requires_grad=False)\n            self.mix = nn.Linear(16 * 16 * 16, 6).requires_grad_(False)")
# a booby trap: a term that is 0 while the backbone's first filters are intact and not a number once they change
BOOBY_TRAP = DEAD_WEIGHT.replace("return self.scratch(x) + 0.0 * self.head(self.backbone(x))", """
            gap = (self.backbone[0].weight - self.pin).abs().max()  # 1 while the filters are the shipped ones
            return self.scratch(x) + 0.0 * torch.log(1.0001 - gap)""").replace(
    "nn.Linear(32, 6))", "nn.Linear(32, 6))\n            self.register_buffer('pin', backbone[0].weight.detach() + 1.0)")
# red team round 3 (measures/gate_on_backbone): a network from scratch makes every prediction, times a gate that is 1
# while the backbone's features on one fixed probe image are those it had when built, and 0 once its weights change
GATED = DEAD_WEIGHT.replace("return self.scratch(x) + 0.0 * self.head(self.backbone(x))", """
            d = ((self.backbone(self.probe) - self.ref) ** 2).sum()
            return self.scratch(x) * torch.exp(-1000.0 * d)""").replace(
    "nn.Linear(32, 6))", "nn.Linear(32, 6))\n            self.register_buffer('probe', torch.rand(1, 1, 16, 16))"
    "\n            self.register_buffer('ref', backbone(self.probe).detach().clone())")
SCRATCH = PROBE.replace("nn.Sequential(backbone,", "nn.Sequential(nn.Flatten(), nn.Linear(256, 32), nn.ReLU(),")
FINE_TUNE_HARD = PROBE.replace("p.requires_grad_(False)", "pass").replace("model[1].parameters()", "model.parameters()")


def source(template: str, lr: float = 0.01, steps: int = 150) -> str:
    return f"LR = {lr}\nSTEPS = {steps}\n" + template


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here trains on one thread (see conftest)."""


def test_the_learner_gets_the_backbone_s_folder_and_its_feature_size():
    data = get_task("transfer").public_data(SHIPPED, SHIPPED.public_seed)
    assert data.backbone_dir == str(SHIPPED.path / "backbone")
    assert data.info["feature_size"] == 32 == feature_size(SHIPPED.path / "backbone")
    assert data.x_train.shape == (40, 1, 16, 16) and data.x_val.shape[0] == 0


def test_a_linear_probe_passes_and_its_backbone_did_not_move():
    diagnoses, got = mentor(source(PROBE), PROJECT)
    assert got["metrics"]["test_accuracy"] >= 0.8, got["metrics"]
    assert got["facts"].extra["backbone"] == {"reported": True, "start": 0.0, "end": 0.0}
    assert got["facts"].extra["labels"] == 40 and "backbone" in got["asked"]
    assert diagnoses == []


def test_a_model_trained_from_scratch_is_told_the_backbone_was_not_used():
    diagnoses, got = mentor(source(SCRATCH), PROJECT)
    assert got["metrics"]["test_accuracy"] < 0.8
    assert got["facts"].extra["backbone"]["start"] is None  # no tensor of the backbone's shapes in the model
    codes = [d.code for d in diagnoses]
    assert codes[0] == "backbone-not-used" and "overfitting" not in codes, codes
    assert "trained from scratch on 40 labelled images" in diagnoses[0].message
    assert diagnoses[0].lesson == "transfer-learning"


def test_a_backbone_fine_tuned_too_hard_is_told_it_was_overwritten():
    diagnoses, got = mentor(source(FINE_TUNE_HARD, lr=0.05, steps=60), PROJECT)
    moved = got["facts"].extra["backbone"]
    assert moved["start"] == 0.0 and moved["end"] > 1.0, moved
    assert [d.code for d in diagnoses][0] == "backbone-forgotten", [d.code for d in diagnoses]
    assert "two parameter groups" in diagnoses[0].message


def test_the_backbone_diagnoses_only_explain_a_failure():
    easy = dict(PROJECT, thresholds=(Threshold("test_accuracy", 0.2),))
    diagnoses, got = mentor(source(SCRATCH), easy)
    assert got["facts"].extra["backbone"]["start"] is None
    assert not {"backbone-not-used", "backbone-forgotten"} & {d.code for d in diagnoses}


def test_distance_from_finds_the_backbone_s_weights_wherever_they_sit():
    backbone = pretrained.load(SHIPPED.path / "backbone")
    shipped = {k: v.clone() for k, v in backbone.state_dict().items()}
    wrapped = torch.nn.Sequential(torch.nn.Identity(), copy.deepcopy(backbone), torch.nn.Linear(32, 6))
    assert distance_from(shipped, wrapped) == 0.0
    fresh = pretrained.build(pretrained_layers())
    assert distance_from(shipped, fresh) > NOT_USED
    assert distance_from(shipped, torch.nn.Linear(256, 6)) is None


def pretrained_layers() -> list:
    import json

    return json.loads((SHIPPED.path / "backbone" / "model.json").read_text())["layers"]


def test_build_model_must_return_a_module():
    bad = "def build_model(backbone, info):\n    return 3\ndef train(model, data, device, log):\n    pass\n"
    with pytest.raises(ContractError, match=r"build_model\(backbone, info\) returned a int"):
        run_task(bad, PROJECT)


# ------------------------------------------------------------------ the judge's ablation: does the backbone carry it?


def test_the_judge_measures_how_much_a_linear_probe_rests_on_its_backbone():
    got = run_task(source(PROBE), PROJECT)
    ablation = got["facts"].extra["ablation"]
    assert ablation["measured"] and ablation["found"] == ablation["shipped"] == 6, ablation
    assert "artifact" in got["asked"] and got["facts"].replay == "exact"  # the grade is the judge's replay
    assert got["metrics"]["backbone_reliance"] > 0.5, ablation  # without the backbone: about chance
    assert ablation["ablated_accuracy"] < 0.4
    assert ablation["shuffled_accuracy"] < 0.4 and ablation["redrawn_accuracy"] < 0.4, ablation  # both ablations


def test_a_model_without_the_backbone_relies_on_nothing():
    got = run_task(source(SCRATCH), PROJECT)
    assert got["facts"].extra["ablation"]["found"] == 0
    assert got["metrics"]["backbone_reliance"] == 0.0


def test_a_backbone_carried_as_dead_weight_is_found_and_named():
    """Every backbone tensor sits in the replayed graph, untouched; replacing them changes nothing."""
    gate = dict(PROJECT, thresholds=(Threshold("test_accuracy", 0.2), Threshold("backbone_reliance", 0.3)))
    diagnoses, got = mentor(source(DEAD_WEIGHT), gate)
    ablation = got["facts"].extra["ablation"]
    assert ablation["found"] == 6 and got["facts"].extra["backbone"]["start"] == 0.0, ablation
    assert got["metrics"]["test_accuracy"] > 0.2 and abs(got["metrics"]["backbone_reliance"]) < 0.01
    assert [d.code for d in diagnoses][0] == "backbone-bypassed", [d.code for d in diagnoses]
    assert "does not use the pretrained backbone" in diagnoses[0].message
    assert diagnoses[0].lesson == "transfer-learning"


def test_a_tripwire_built_from_a_copy_of_the_backbone_does_not_pass_for_reliance():
    got = run_task(source(TRIPWIRE), PROJECT)
    ablation = got["facts"].extra["ablation"]
    assert ablation["found"] == 1, ablation  # the first filters, held twice (once negated)
    assert got["metrics"]["test_accuracy"] > 0.2 and abs(got["metrics"]["backbone_reliance"]) < 0.01, ablation


def test_a_backbone_used_only_as_a_gate_is_not_credited_by_the_shuffled_features():
    """Redrawing the backbone's weights closes the gate (every logit 0, chance); shuffling its output features
    across the batch's rows leaves the probe's features, and the accuracy, as they were: reliance about 0."""
    got = run_task(source(GATED), PROJECT)
    ablation = got["facts"].extra["ablation"]
    assert ablation["measured"] and ablation["found"] == 6, ablation
    assert got["metrics"]["test_accuracy"] > 0.4, got["metrics"]
    assert ablation["redrawn_accuracy"] < 0.25, ablation  # the redraw alone was fooled: the gate closed
    assert ablation["shuffled_accuracy"] == got["metrics"]["test_accuracy"], ablation
    assert got["metrics"]["backbone_reliance"] == 0.0, ablation


def test_a_model_that_breaks_without_the_backbone_is_not_credited_with_relying_on_it():
    got = run_task(source(BOOBY_TRAP), PROJECT)
    ablation = got["facts"].extra["ablation"]
    assert ablation["measured"] is False and "no finite scores" in ablation["why"], ablation
    assert got["metrics"]["test_accuracy"] > 0.2 and got["metrics"]["backbone_reliance"] == 0.0


def test_backbone_tensors_are_found_with_their_copies_and_ablation_replaces_them_alike():
    shipped = pretrained.load(SHIPPED.path / "backbone").state_dict()
    gentle = {f"t{i}": w + 0.3 * MATCH * w.norm() / w.numel() ** 0.5 * torch.randn_like(w)
              for i, w in enumerate(shipped.values())}
    first = next(iter(shipped))
    copies = {"negated": -shipped[first], "flat": 1000 * shipped[first].reshape(-1)}
    far = {"x": torch.randn(16, 1, 3, 3), "y": torch.zeros(16), "z": torch.randn(shipped[first].shape)}
    found = backbone_tensors(shipped, {**gentle, **copies, **far})
    assert sorted(found) == sorted([*gentle, *copies]) and {name for name, _ in found.values()} == set(shipped)
    assert found["negated"] == (first, pytest.approx(-1.0)) and found["flat"][1] == pytest.approx(1000.0)
    assert backbone_tensors(shipped, far) == {}
    fresh = ablated({**gentle, **copies, **far}, found, shipped)
    assert all(torch.equal(fresh[k], far[k]) for k in far)  # only the backbone's
    for key, (name, a) in found.items():  # every holder of a shipped tensor gets the same fresh one, times its factor
        twin = next(k for k, (n, _) in found.items() if n == name)
        assert torch.allclose(fresh[key].reshape(-1) / a, fresh[twin].reshape(-1) / found[twin][1])
    assert torch.allclose(fresh["flat"], -1000 * fresh["negated"].reshape(-1))  # copies stay copies
    for key in gentle:
        assert fresh[key].shape == gentle[key].shape and not torch.allclose(fresh[key], gentle[key])
        assert 0.7 < float(fresh[key].std()) / float(gentle[key].std()) < 1.4
    again = ablated({**gentle, **copies, **far}, found, shipped)
    assert all(torch.equal(fresh[k], again[k]) for k in found)  # a fixed seed


def test_a_model_the_judge_cannot_replay_is_graded_on_its_own_outputs_but_not_credited_with_the_backbone():
    """An operator the replay does not allow: the accuracy still comes back (the learner process's own
    outputs), but reliance cannot be measured, so it is not granted, and the mentor says why."""
    unreplayable = PROBE.replace("return nn.Sequential(backbone,", """class Odd(nn.Module):
        def forward(self, x):
            return x + 0.0 * torch.logcumsumexp(x, dim=-1)
    return nn.Sequential(Odd(), backbone,""").replace("model[1].parameters()", "model[2].parameters()")
    gate = dict(PROJECT, thresholds=(Threshold("test_accuracy", 0.2), Threshold("backbone_reliance", 0.3)))
    diagnoses, got = mentor(source(unreplayable), gate)
    assert got["facts"].replay.startswith("unavailable"), got["facts"].replay
    assert got["metrics"]["test_accuracy"] > 0.5 and got["metrics"]["backbone_reliance"] == 0.0
    assert got["facts"].extra["ablation"]["measured"] is False
    assert [d.code for d in diagnoses][0] == "backbone-bypassed", [d.code for d in diagnoses]
    assert "could not check that your model uses the pretrained backbone" in diagnoses[0].message
