"""Procedural data sets: deterministic per seed, the right shapes, balanced, and honest about what they test."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dlpath.datasets import GENERATORS, SHAPE_NAMES, BadDataset, UnknownDataset, generate, load_shipped
from dlpath.datasets.images import shapes
from dlpath.datasets.points import linear

SHAPES = {
    "spirals": ([2], torch.int64),
    "rings": ([2], torch.int64),
    "linear": ([3], torch.float32),
    "shapes": ([1, 16, 16], torch.int64),
    "sequences": ([32, 1], torch.int64),
    "wave": ([1], torch.float32),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_same_data_other_seed_other_data(name):
    a, b, c = generate(name, 200, 5), generate(name, 200, 5), generate(name, 200, 6)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, c.x)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shapes_dtypes_and_info(name):
    shape, label_dtype = SHAPES[name]
    data = generate(name, 123, 0)
    assert list(data.x.shape) == [123, *shape] and data.x.dtype == torch.float32
    assert list(data.y.shape) == [123] and data.y.dtype == label_dtype
    assert data.info["input_shape"] == shape and len(data) == 123
    assert torch.isfinite(data.x).all()


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_every_generator_says_what_it_makes(name):
    spec = GENERATORS[name]
    data = generate(name, 17, 0)
    assert len(data) == 17 and data.info["kind"] == spec.kind
    assert list(data.x.shape[1:]) == list(data.info["input_shape"])
    assert spec.summary and all(p.type in ("int", "float", "bool", "str") for p in spec.params)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_any_size_including_zero(name):
    assert len(generate(name, 0, 1)) == 0
    assert len(generate(name, 5001, 1)) == 5001


@pytest.mark.parametrize("name", ["spirals", "rings", "shapes", "sequences"])
@pytest.mark.parametrize("n", [9, 100, 1001])
def test_classes_are_balanced(name, n):
    data = generate(name, n, 3)
    counts = torch.bincount(data.y, minlength=data.info["num_classes"])
    assert int(counts.max() - counts.min()) <= 1


def test_the_global_random_state_is_untouched():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for name in GENERATORS:
        generate(name, 50, 9)
    assert torch.equal(torch.rand(3), expected)


def test_the_world_stays_fixed_across_seeds():
    """Train and test drawn with different seeds come from the same line: its least-squares fit agrees."""

    def fit(seed):
        data = linear(4000, seed, features=3, noise=0.1, world_seed=7)
        design = torch.cat([data.x, torch.ones(len(data), 1)], dim=1)
        return torch.linalg.lstsq(design, data.y.unsqueeze(1)).solution.squeeze(1)

    assert torch.allclose(fit(1), fit(2), atol=0.02)
    other = linear(4000, 1, features=3, noise=0.1, world_seed=8)
    assert not torch.allclose(linear(4000, 1, features=3, noise=0.1, world_seed=7).y, other.y)


def test_linear_noise_sets_the_error_floor():
    data = linear(20000, 0, features=2, noise=0.5, world_seed=3)
    design = torch.cat([data.x, torch.ones(len(data), 1)], dim=1)
    solution = torch.linalg.lstsq(design, data.y.unsqueeze(1)).solution
    mse = float(((design @ solution).squeeze(1) - data.y).pow(2).mean())
    assert mse == pytest.approx(0.25, rel=0.05)


def test_shape_classes_do_not_differ_by_pixel_count():
    """The class must depend on the shape: bright-pixel counts are about the same for every class."""
    data = shapes(4000, 0, classes=4, size=20, noise=0.0)
    counts = (data.x > 0.3).flatten(1).sum(dim=1).float()
    means = torch.stack([counts[data.y == k].mean() for k in range(4)])
    assert float(means.max() / means.min()) < 1.15


def test_shapes_move_around():
    data = shapes(2000, 1, classes=4, size=20, noise=0.0)
    mass = data.x.clamp_min(0).squeeze(1)
    cols = torch.arange(20.0)
    centre_x = (mass.sum(dim=1) * cols).sum(dim=1) / mass.sum(dim=(1, 2))
    assert float(centre_x.max() - centre_x.min()) > 6  # pixels


def test_every_shape_can_be_drawn():
    data = shapes(60, 2, classes=len(SHAPE_NAMES), size=24)
    assert data.info["class_names"] == list(SHAPE_NAMES)
    for k in range(len(SHAPE_NAMES)):
        assert float(data.x[data.y == k].amax()) > 0.5


def test_bad_parameters_say_what_is_wrong():
    with pytest.raises(UnknownDataset, match=r"unknown data set 'mnist'; dlpath generates: (\w+, )*linear, rings, "):
        generate("mnist", 10, 0)
    with pytest.raises(BadDataset, match="data set 'spirals' has no parameter 'colours'"):
        generate("spirals", 10, 0, colours=3)
    with pytest.raises(BadDataset, match="at least 2 classes"):
        generate("spirals", 10, 0, classes=1)
    with pytest.raises(BadDataset, match="whole number"):
        generate("rings", -1, 0)


# --- shipped data: the mechanism, with files the test writes ------------------------------


def write_set(root: Path, name: str = "tiny", rows: int = 100, source: bool = True) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    lines = ["a,b,label"] + [f"{i},{i * 0.5},{i % 3}" for i in range(rows)]
    (folder / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if source:
        (folder / "SOURCE.txt").write_text("Made up for a test. Licence: CC0-1.0.\n", encoding="utf-8")
    return folder


def test_shipped_data_splits_into_public_and_held_back(tmp_path):
    write_set(tmp_path)
    public = load_shipped("tiny", root=tmp_path)
    held = load_shipped("tiny", "heldback", root=tmp_path)
    assert len(public) + len(held) == 100 and 15 <= len(held) <= 45
    assert not set(public.x[:, 0].tolist()) & set(held.x[:, 0].tolist())
    assert public.info["num_classes"] == held.info["num_classes"] == 3
    assert "CC0" in public.info["source"]
    again = load_shipped("tiny", root=tmp_path)
    assert torch.equal(public.x, again.x)


def test_shipped_data_needs_its_provenance(tmp_path):
    write_set(tmp_path, source=False)
    with pytest.raises(BadDataset, match="SOURCE.txt"):
        load_shipped("tiny", root=tmp_path)


def test_shipped_data_errors_name_the_file_and_line(tmp_path):
    folder = write_set(tmp_path)
    (folder / "data.csv").write_text("a,b,label\n1,2,0\n1,x,1\n", encoding="utf-8")
    with pytest.raises(BadDataset, match=r"data.csv:3: every value must be a number"):
        load_shipped("tiny", root=tmp_path)
    with pytest.raises(UnknownDataset):
        load_shipped("../tiny", root=tmp_path)
    with pytest.raises(UnknownDataset):
        load_shipped("absent", root=tmp_path)
