"""Shipped pretrained models: written and read back exactly, without pickle; a damaged folder is named."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from dlpath.envs import pretrained
from dlpath.grading.project import load_project

LAYERS = [["linear", 2, 8], ["relu"], ["linear", 8, 3]]


def saved(folder: Path) -> torch.nn.Module:
    torch.manual_seed(0)
    model = pretrained.build(LAYERS)
    pretrained.save(model, LAYERS, folder, {"made_by": "a test"})
    (folder / "SOURCE.txt").write_text("made by a test; licence MIT\n")
    return model


def test_a_saved_model_loads_back_exactly_in_eval_mode(tmp_path: Path) -> None:
    model = saved(tmp_path)
    loaded = pretrained.load(tmp_path)
    assert not loaded.training
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    x = torch.randn(5, 2)
    assert torch.equal(model(x), loaded(x))
    described = json.loads((tmp_path / "model.json").read_text())
    assert described["weights"]["0.weight"] == [8, 2] and described["about"] == {"made_by": "a test"}
    assert (tmp_path / "weights.bin").stat().st_size == 4 * sum(t.numel() for t in model.state_dict().values())


@pytest.mark.parametrize(("damage", "message"), [
    (lambda f: (f / "SOURCE.txt").unlink(), "SOURCE.txt (provenance and licence) is missing"),
    (lambda f: (f / "weights.bin").write_bytes(b"\0" * 12), "checksum differs from model.json's"),
    (lambda f: (f / "model.json").write_text("{not json"), "cannot read the model"),
    (lambda f: (f / "model.json").write_text(json.dumps({"format": 9})), "not a format 1 model description"),
])
def test_a_damaged_folder_is_named(tmp_path: Path, damage, message: str) -> None:
    saved(tmp_path)
    damage(tmp_path)
    with pytest.raises(pretrained.BadPretrained, match=re.escape(message)):
        pretrained.load(tmp_path)


@pytest.mark.parametrize(("layers", "message"), [
    ([["conv", 1, 2]], "is not one of linear, relu, tanh, flatten"),
    ([["linear", 2]], "linear takes 2 whole numbers above 0"),
    ([["linear", 2, True]], "linear takes 2 whole numbers above 0"),
])
def test_unknown_or_malformed_layers_are_refused(layers, message: str) -> None:
    with pytest.raises(pretrained.BadPretrained, match=re.escape(message)):
        pretrained.build(layers)


def test_the_shipped_teacher_loads_and_is_what_its_description_says() -> None:
    folder = load_project("compress-to-fit").path / "teacher"
    teacher = pretrained.load(folder)
    about = json.loads((folder / "model.json").read_text())["about"]
    assert sum(p.numel() for p in teacher.parameters()) == 67_331
    params = dict(load_project("compress-to-fit").dataset.params)
    assert "world_seed" not in params  # a grade draws its world; the judge carries the teacher, made in world 0
    assert about["data"]["params"] == params  # (the published one, the spirals' only world then) into it
    assert "Licence" in (folder / "SOURCE.txt").read_text() and (folder / "make_teacher.py").is_file()


CONV_LAYERS = [["conv2d", 1, 4, 3], ["relu"], ["maxpool2d", 2], ["conv2d", 4, 6, 3], ["relu"], ["global_maxpool"],
               ["flatten"]]


def test_a_convolutional_model_is_saved_and_loaded_back_exactly(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = pretrained.build(CONV_LAYERS)
    assert isinstance(model[0], torch.nn.Conv2d) and model[0].padding == (1, 1)
    pretrained.save(model, CONV_LAYERS, tmp_path, {"made_by": "a test"})
    (tmp_path / "SOURCE.txt").write_text("made by a test; licence MIT\n")
    loaded = pretrained.load(tmp_path)
    x = torch.randn(3, 1, 8, 8)
    assert torch.equal(model(x), loaded(x)) and loaded(x).shape == (3, 6)
    assert json.loads((tmp_path / "model.json").read_text())["weights"]["0.weight"] == [4, 1, 3, 3]


def test_a_convolution_with_other_shapes_than_its_description_is_refused(tmp_path: Path) -> None:
    torch.manual_seed(0)
    pretrained.save(pretrained.build(CONV_LAYERS), CONV_LAYERS, tmp_path, {})
    (tmp_path / "SOURCE.txt").write_text("made by a test; licence MIT\n")
    described = json.loads((tmp_path / "model.json").read_text())
    described["layers"][0] = ["conv2d", 1, 4, 1]  # the same weights read as 1x1 kernels
    (tmp_path / "model.json").write_text(json.dumps(described))
    with pytest.raises(pretrained.BadPretrained, match="the weights' shapes do not match the layers"):
        pretrained.load(tmp_path)


@pytest.mark.parametrize("layers", [[["conv2d", 1, 4]], [["maxpool2d"]], [["global_maxpool", 1]]])
def test_malformed_convolution_layers_are_refused(layers) -> None:
    with pytest.raises(pretrained.BadPretrained, match="takes"):
        pretrained.build(layers)
