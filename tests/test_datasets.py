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
    same = lambda u, v: torch.equal(u.isnan(), v.isnan()) and torch.equal(u.nan_to_num(), v.nan_to_num())  # noqa: E731 - NaN marks a missing value
    assert same(a.x, b.x) and torch.equal(a.y, b.y)
    assert not same(a.x, c.x)


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
    with pytest.raises(UnknownDataset, match="unknown data set 'mnist'; dlpath generates: .*linear, .*rings"):
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


def test_a_gzipped_table_loads_like_the_plain_one_with_its_names(tmp_path):
    import gzip

    plain = write_set(tmp_path / "plain")
    packed = write_set(tmp_path / "packed")
    table = (packed / "data.csv").read_bytes()
    (packed / "data.csv").unlink()
    (packed / "data.csv.gz").write_bytes(gzip.compress(table))
    (packed / "classes.txt").write_text("zero\none\ntwo\n", encoding="utf-8")
    a, b = load_shipped("tiny", root=plain.parent), load_shipped("tiny", root=packed.parent)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert b.info["class_names"] == ["zero", "one", "two"] and "class_names" not in a.info
    assert a.info["feature_names"] == ["a", "b"]


def test_shipped_data_refuses_a_bad_label_or_wrong_class_names(tmp_path):
    folder = write_set(tmp_path)
    (folder / "classes.txt").write_text("zero\none\n", encoding="utf-8")
    with pytest.raises(BadDataset, match=r"classes.txt: 2 class names, the labels run from 0 to 2"):
        load_shipped("tiny", root=tmp_path)
    (folder / "classes.txt").unlink()
    (folder / "data.csv").write_text("a,label\n1,0\n2,nan\n", encoding="utf-8")
    with pytest.raises(BadDataset, match=r"data.csv:3: the label must be a whole number from 0, not 'nan'"):
        load_shipped("tiny", root=tmp_path)
    (folder / "data.csv").write_text("a,label\nnan,0\n2,1\n", encoding="utf-8")  # a missing feature is allowed
    both = torch.cat([load_shipped("tiny", root=tmp_path).x, load_shipped("tiny", "heldback", root=tmp_path).x])
    assert both.isnan().sum().item() == 1


# --- shipped data: the real sets dlpath ships --------------------------------------------

REAL = {"digits": (1797, 64, 10), "penguins": (342, 4, 3)}  # rows, features, classes


@pytest.mark.parametrize("name", sorted(REAL))
def test_a_real_data_set_is_what_its_source_says(name):
    import gzip
    import hashlib
    import re

    from dlpath.datasets.shipped import shipped_dir, shipped_table

    folder = shipped_dir() / name
    source = (folder / "SOURCE.txt").read_text(encoding="utf-8")
    assert re.search(r"Licence: (Creative Commons Attribution 4\.0|CC0)", source)
    assert f"make_data.py {name}" in source and (shipped_dir() / "make_data.py").is_file()
    table = shipped_table(folder)
    raw = table.read_bytes()
    text = gzip.decompress(raw) if table.suffix == ".gz" else raw
    (recorded,) = re.findall(r"sha256 of the table \(uncompressed\): ([0-9a-f]{64})", source)
    assert hashlib.sha256(text).hexdigest() == recorded, "the table differs from what make_data.py wrote"
    assert len(raw) < 60_000, "ship it small"

    rows, features, classes = REAL[name]
    public, held = load_shipped(name), load_shipped(name, "heldback")
    assert len(public) + len(held) == rows and 0.25 * rows < len(held) < 0.35 * rows
    assert public.info["input_shape"] == [features] and public.info["num_classes"] == classes
    for part in (public, held):
        assert set(part.y.unique().tolist()) == set(range(classes))  # every class on both sides
        assert not part.x.isnan().any()


def test_the_digits_are_8x8_ink_counts_and_the_penguins_name_their_species():
    digits = load_shipped("digits")
    assert digits.x.min().item() == 0 and digits.x.max().item() == 16
    assert torch.equal(digits.x, digits.x.round())
    assert digits.info["feature_names"][:2] == ["pixel_0_0", "pixel_0_1"]
    penguins = load_shipped("penguins")
    assert penguins.info["class_names"] == ["Adelie", "Chinstrap", "Gentoo"]
    assert penguins.info["feature_names"][-1] == "body_mass_g"
    assert 2500 < penguins.x[:, 3].min().item() and penguins.x[:, 3].max().item() < 6500  # grams
