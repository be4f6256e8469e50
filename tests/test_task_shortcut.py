"""The ``shortcut`` task, in one process: tag-free accuracy, the judge's tag test, and the learner's saliency maps
measured against object masks that never leave the judge."""

from __future__ import annotations

import types

import pytest

from dlpath.grading.tasks import TASKS, get_task
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor

TAGGED = dict(id="t", task="shortcut", lesson="interpretability", calibration=None,
              thresholds=(Threshold("test_accuracy", 0.8), Threshold("saliency_on_object", 0.45),
                          Threshold("saliency_on_tag", max=0.05)),
              dataset=DatasetSpec("tagged_shapes", {"size": 16, "noise": 0.15, "min_radius": 0.2,
                                                    "max_radius": 0.28}, 300, 60, 200))

PLAIN = """
import torch
from torch import nn
HIDE = 0
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        keep = torch.ones(1, 1, 16, 16)
        keep[:, :, :HIDE, :HIDE] = 0
        self.register_buffer("keep", keep)
        self.body = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, padding=1),
                                  nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(8, 2))
    def forward(self, x):
        return self.body(x * self.keep)
def build_model(info):
    torch.manual_seed(0)
    return Net()
def saliency(model, x):
    x = x.clone().requires_grad_(True)
    scores = model(x)
    (grad,) = torch.autograd.grad(scores.gather(1, scores.argmax(1, keepdim=True)).sum(), x)
    return grad.abs()[:, 0]
def train(model, data, device, log):
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(EPOCHS):
        loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)
        opt.zero_grad(); loss.backward(); opt.step()
        log(epoch=epoch, train_loss=loss.item())
    model.eval()
EPOCHS = 60
"""
BLIND = PLAIN.replace("HIDE = 0", "HIDE = 5")


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here trains on one thread (see conftest)."""


def run(source: str, project: dict = TAGGED):
    found, got = mentor(source, project)
    assert got["failure"] is None, got["failure"]
    return found, got


def test_the_test_images_carry_no_tag_but_the_training_images_do():
    task, spec = get_task("shortcut"), types.SimpleNamespace(**TAGGED)
    public, test = task.public_data(spec, 1), task.test_data(spec, 5)
    corner = public.x_train[:, 0, 1:4, 1:4]
    assert float((corner == 1.5).all(dim=(1, 2)).float().mean()) > 0.3
    assert not bool((test.x[:, 0, 1:4, 1:4] == 1.5).all(dim=(1, 2)).any())
    assert "object_mask" in test.extra
    assert set(public.info) == {"kind", "input_shape", "num_classes", "class_names"}  # nothing says where the tag is


def test_a_model_blind_to_the_tag_passes_with_maps_on_the_objects():
    found, got = run(BLIND)
    metrics, extra = got["metrics"], got["facts"].extra
    assert got["asked"] == ["outputs", "outputs", "saliency"]  # the test images, then with and without the tag
    assert metrics["test_accuracy"] > 0.8 and metrics["saliency_on_object"] > 0.45
    assert metrics["saliency_on_tag"] == 0.0 and extra["tag_reliance"] == 0.0
    assert found == []


def test_a_plain_model_learns_the_tag_and_its_maps_show_it():
    found, got = run(PLAIN)
    metrics, extra = got["metrics"], got["facts"].extra
    assert metrics["test_accuracy"] < 0.7 and extra["tag_reliance"] > 0.3 and metrics["saliency_on_tag"] > 0.05
    codes = [d.code for d in found]
    assert codes[:2] == ["shortcut-learned", "saliency-on-tag"]
    assert "suspicious-validation" not in codes and "overfitting" not in codes
    assert "pasted the tag" in found[0].message


def test_flat_maps_and_broken_maps_are_told_apart():
    flat = BLIND.replace("    x = x.clone().requires_grad_(True)\n", "    return torch.ones(x.shape[0], 16, 16)\n")
    found, got = run(flat)
    assert got["metrics"]["saliency_on_object"] == pytest.approx(got["facts"].extra["object_area"])
    assert [d.code for d in found] == ["saliency-flat"]
    wrong = BLIND.replace("    x = x.clone().requires_grad_(True)\n", "    return torch.ones(3, 4)\n")
    found, got = run(wrong)
    assert got["metrics"]["saliency_on_object"] == 0.0 and got["metrics"]["saliency_on_tag"] == 1.0
    assert found[0].code == "saliency-broken" and "returned (3, 4) for 64 images of 16x16 pixels" in found[0].message
    raising = BLIND.replace("    x = x.clone().requires_grad_(True)\n", "    raise ValueError('not yet')\n")
    found, got = run(raising)
    assert "saliency(model, x) failed: ValueError: not yet" in found[0].message


def test_an_image_shaped_map_does_not_pass_for_an_explanation():
    """Returning the image itself (not the model's view) puts mass on the bright tag and on the noise."""
    found, got = run(BLIND.replace("    x = x.clone().requires_grad_(True)\n", "    return x.abs()[:, 0]\n"))
    assert got["metrics"]["saliency_on_tag"] > 0.05 or got["metrics"]["saliency_on_object"] < 0.45


def test_the_declarations():
    task = TASKS["shortcut"]
    assert "saliency(model, x) -> maps" in task.contract_lines and task.dataset_kinds == ("tagged-classification",)
    assert all(line in task.contract for line in task.contract_lines)
    assert {"shortcut-learned", "saliency-flat", "saliency-on-tag"} <= set(task.codes)
