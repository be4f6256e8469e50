"""Data sets for the projects: procedural generators, and a place for small real data.

Every generator has the signature ``generator(n, seed, **params) -> Dataset`` and is
deterministic: the same ``n``, ``seed`` and ``params`` give the same tensors on every
machine (a private ``torch.Generator`` is used, the global RNG is never touched).
Only torch is used (no numpy).

The *world* a generator draws from (the arms of the spirals, the true weights of the
regression) is fixed by the params, never by ``seed``: samples drawn with two seeds
come from the same distribution. That is what lets the grader train the learner on
data from a public seed and test on fresh data from a hidden seed.

Generators (``GENERATORS``, looked up with ``generate(name, n, seed, **params)``):

``spirals``  2-D points on ``classes`` interleaved spiral arms; not linearly separable.
``rings``    2-D points on ``classes`` concentric rings; the class is the radius.
``linear``   regression: ``y = x @ w + b + noise`` with fixed true ``w`` and ``b``.
``shapes``   small grayscale images (1 x size x size) of a circle, square, triangle,
             cross... at a random place and size, with noise; the class depends on
             the shape only, not on where it is or how many pixels it covers.
``sequences`` noisy waves of ``length`` steps; the class is the wave's frequency band
             (the phase and amplitude vary), a task for sequence models.

Shipped real data (``load_shipped``): a small data set may live in
``dlpath/data/<name>/`` as ``data.csv`` (a header row; numeric columns; the label in
the column named ``label``) next to ``SOURCE.txt`` that gives its provenance and its
licence (public domain or a permissive licence only, noted in the file). The loader
refuses a folder without ``SOURCE.txt``. Rows are split deterministically by a hash of
the row index: the part ``heldback`` is kept for grading and never handed to the
learner. A project uses one with ``dataset: {name: "shipped:<name>", params: {heldback: 0.3}}``
(the grading task trains on the public rows and tests on the held-back ones). No data set
ships yet; the mechanism is tested with files the tests write.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from dlpath.errors import UsageError

__all__ = [
    "Dataset",
    "UnknownDataset",
    "BadDataset",
    "GENERATORS",
    "SHAPE_NAMES",
    "generate",
    "spirals",
    "rings",
    "linear",
    "shapes",
    "sequences",
    "shipped_dir",
    "load_shipped",
]


class UnknownDataset(UsageError):
    """A project names a data set that dlpath does not know."""


class BadDataset(UsageError):
    """A data set's parameters or files are not usable."""


@dataclass(frozen=True)
class Dataset:
    """Inputs ``x`` and targets ``y`` plus what a model needs to know about them.

    ``x`` is float32; ``y`` is int64 class indices for classification and float32
    for regression. ``info`` holds ``input_shape`` (one sample's shape, a list),
    ``num_classes`` (classification) or ``num_outputs`` (regression), ``kind``
    ("classification" or "regression") and, for some sets, ``class_names``.
    """

    x: torch.Tensor
    y: torch.Tensor
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.x.shape[0])


def _rng(seed: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(int(seed) & 0x7FFF_FFFF_FFFF_FFFF)
    return g


def _check_n(n: int) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise BadDataset(f"a data set size must be a whole number >= 0, not {n!r}")
    return n


def _balanced_labels(n: int, classes: int, g: torch.Generator) -> torch.Tensor:
    """Labels with every class as equal as possible (counts differ by at most 1), shuffled."""
    labels = torch.arange(n) % classes
    return labels[torch.randperm(n, generator=g)]


def spirals(n: int, seed: int, *, classes: int = 3, noise: float = 0.15, turns: float = 1.0) -> Dataset:
    """``n`` 2-D points on ``classes`` spiral arms, roughly within [-1, 1].

    ``noise`` is the standard deviation of the Gaussian jitter (in the units of the
    coordinates, scaled down towards the centre); ``turns`` is how many full turns
    each arm makes.
    """
    _check_n(n)
    if classes < 2:
        raise BadDataset(f"spirals need at least 2 classes, not {classes}")
    g = _rng(seed)
    y = _balanced_labels(n, classes, g)
    t = torch.rand(n, generator=g)  # position along the arm, 0 (centre) .. 1 (tip)
    radius = 0.1 + 0.9 * t
    angle = 2 * math.pi * (turns * t + y.float() / classes)
    x = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    x = x + noise * radius.unsqueeze(1) * torch.randn(n, 2, generator=g)
    info = {"kind": "classification", "input_shape": [2], "num_classes": classes}
    return Dataset(x.float(), y.long(), info)


def rings(n: int, seed: int, *, classes: int = 2, noise: float = 0.08) -> Dataset:
    """``n`` 2-D points on ``classes`` concentric rings (radius 1/classes .. 1); class = ring."""
    _check_n(n)
    if classes < 2:
        raise BadDataset(f"rings need at least 2 classes, not {classes}")
    g = _rng(seed)
    y = _balanced_labels(n, classes, g)
    radius = (y.float() + 1) / classes + noise * torch.randn(n, generator=g)
    angle = 2 * math.pi * torch.rand(n, generator=g)
    x = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    info = {"kind": "classification", "input_shape": [2], "num_classes": classes}
    return Dataset(x.float(), y.long(), info)


def linear(
    n: int,
    seed: int,
    *,
    features: int = 3,
    noise: float = 0.5,
    scale: float = 1.0,
    world_seed: int = 0,
) -> Dataset:
    """A regression set: ``y = x @ w + b + noise`` (``y`` has shape (n,)).

    The true ``w`` and ``b`` come from ``world_seed`` (fixed for a project), the
    samples from ``seed``. ``x`` is standard normal times ``scale``; ``noise`` is the
    standard deviation of the Gaussian noise on ``y``, so the best achievable mean
    squared error is ``noise ** 2``.
    """
    _check_n(n)
    if features < 1:
        raise BadDataset(f"a linear data set needs at least 1 feature, not {features}")
    world = _rng(world_seed)
    w = torch.randn(features, generator=world) * 2.0
    b = torch.randn((), generator=world) * 2.0
    g = _rng(seed)
    x = torch.randn(n, features, generator=g) * scale
    y = x @ w / scale + b + noise * torch.randn(n, generator=g)
    info = {"kind": "regression", "input_shape": [features], "num_outputs": 1, "noise": noise}
    return Dataset(x.float(), y.float(), info)


SHAPE_NAMES = ("circle", "square", "triangle", "cross", "ring", "bar")

# Each shape's mask has about the same area at the same size (a unit "radius" r):
# these factors were chosen so that pixel count says almost nothing about the class.
_SHAPE_SCALE = {"circle": 1.0, "square": 0.89, "triangle": 1.32, "cross": 1.16, "ring": 1.2, "bar": 1.0}


def _shape_masks(kind: str, dx: torch.Tensor, dy: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """Soft masks (B, H, W) of one kind of shape; dx, dy are offsets from the centre."""
    r = r * _SHAPE_SCALE[kind]
    edge = 0.6  # width of the anti-aliased edge, in pixels

    def inside(distance_outside: torch.Tensor) -> torch.Tensor:
        return torch.clamp(0.5 - distance_outside / edge, 0.0, 1.0)

    if kind == "circle":
        return inside(torch.sqrt(dx**2 + dy**2) - r)
    if kind == "square":
        return inside(torch.maximum(dx.abs(), dy.abs()) - r)
    if kind == "triangle":  # pointing up; y grows downwards
        top, bottom = -r, 0.75 * r
        half_width = (dy - top) / (bottom - top) * r
        return inside(torch.maximum(torch.maximum(dx.abs() - half_width, top - dy), dy - bottom))
    if kind == "cross":
        arm = 0.35 * r
        horizontal = torch.maximum(dx.abs() - r, dy.abs() - arm)
        vertical = torch.maximum(dy.abs() - r, dx.abs() - arm)
        return inside(torch.minimum(horizontal, vertical))
    if kind == "ring":
        d = torch.sqrt(dx**2 + dy**2)
        return inside(torch.maximum(d - r, 0.55 * r - d))
    if kind == "bar":  # a diagonal bar
        along = (dx + dy) / math.sqrt(2)
        across = (dx - dy) / math.sqrt(2)
        return inside(torch.maximum(along.abs() - 1.3 * r, across.abs() - 0.4 * r))
    raise BadDataset(f"unknown shape {kind!r}; known: {', '.join(SHAPE_NAMES)}")


def shapes(
    n: int,
    seed: int,
    *,
    classes: int = 4,
    size: int = 16,
    noise: float = 0.15,
    min_radius: float = 0.18,
    max_radius: float = 0.32,
) -> Dataset:
    """``n`` grayscale images (n, 1, size, size) of one of the first ``classes`` shapes.

    The radius is drawn between ``min_radius`` and ``max_radius`` (fractions of the
    image side), the centre anywhere the whole shape fits, the brightness of the shape
    between 0.6 and 1.0, and Gaussian noise of standard deviation ``noise`` is added
    (values are not clipped). Pixel values are roughly in [0, 1].
    """
    _check_n(n)
    if not 2 <= classes <= len(SHAPE_NAMES):
        raise BadDataset(f"shapes has 2 to {len(SHAPE_NAMES)} classes, not {classes}")
    if size < 8:
        raise BadDataset(f"shape images need a size of at least 8 pixels, not {size}")
    g = _rng(seed)
    y = _balanced_labels(n, classes, g)
    r = size * (min_radius + (max_radius - min_radius) * torch.rand(n, generator=g))
    reach = r * 1.35 + 0.5  # the largest shape's half-extent, so that it stays inside
    cx = reach + (size - 1 - 2 * reach) * torch.rand(n, generator=g)
    cy = reach + (size - 1 - 2 * reach) * torch.rand(n, generator=g)
    brightness = 0.6 + 0.4 * torch.rand(n, generator=g)
    coords = torch.arange(size, dtype=torch.float32)
    dy = coords.view(1, size, 1) - cy.view(n, 1, 1)
    dx = coords.view(1, 1, size) - cx.view(n, 1, 1)
    rr = r.view(n, 1, 1)
    images = torch.zeros(n, size, size)
    for k in range(classes):
        chosen = y == k
        if chosen.any():
            images[chosen] = _shape_masks(SHAPE_NAMES[k], dx[chosen], dy[chosen], rr[chosen])
    images = images * brightness.view(n, 1, 1) + noise * torch.randn(n, size, size, generator=g)
    info = {
        "kind": "classification",
        "input_shape": [1, size, size],
        "num_classes": classes,
        "class_names": list(SHAPE_NAMES[:classes]),
    }
    return Dataset(images.unsqueeze(1).float(), y.long(), info)


def sequences(n: int, seed: int, *, classes: int = 3, length: int = 32, noise: float = 0.3) -> Dataset:
    """``n`` noisy waves (n, length, 1); the class is the frequency band of the wave.

    Class k oscillates with a period drawn around ``length / (k + 1.5)`` steps; the
    phase and amplitude are random, so only the rhythm tells the classes apart.
    """
    _check_n(n)
    if classes < 2:
        raise BadDataset(f"sequences need at least 2 classes, not {classes}")
    g = _rng(seed)
    y = _balanced_labels(n, classes, g)
    cycles = y.float() + 1.0 + 0.4 * (torch.rand(n, generator=g) - 0.5)  # whole waves per sequence
    phase = 2 * math.pi * torch.rand(n, generator=g)
    amplitude = 0.5 + torch.rand(n, generator=g)
    t = torch.arange(length, dtype=torch.float32) / length
    x = amplitude.unsqueeze(1) * torch.sin(2 * math.pi * cycles.unsqueeze(1) * t + phase.unsqueeze(1))
    x = x + noise * torch.randn(n, length, generator=g)
    info = {"kind": "classification", "input_shape": [length, 1], "num_classes": classes}
    return Dataset(x.unsqueeze(2).float(), y.long(), info)


GENERATORS: dict[str, Callable[..., Dataset]] = {
    "spirals": spirals,
    "rings": rings,
    "linear": linear,
    "shapes": shapes,
    "sequences": sequences,
}


def generate(name: str, n: int, seed: int, **params: object) -> Dataset:
    """Generate ``n`` samples of the procedural data set ``name`` from ``seed``."""
    try:
        generator = GENERATORS[name]
    except KeyError:
        known = ", ".join(sorted(GENERATORS))
        raise UnknownDataset(f"unknown data set {name!r}; dlpath generates: {known}") from None
    try:
        return generator(n, seed, **params)
    except TypeError as exc:  # an unknown or misspelt parameter
        raise BadDataset(f"data set {name!r}: {exc}") from None


# --- shipped real data -------------------------------------------------------------


def shipped_dir() -> Path:
    """The folder where small real data sets ship inside the package."""
    return Path(__file__).resolve().parent / "data"


def _held_back(index: int, fraction: float) -> bool:
    digest = hashlib.sha256(f"dlpath-row-{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < fraction


def load_shipped(
    name: str,
    part: str = "public",
    *,
    heldback: float = 0.3,
    root: Path | None = None,
) -> Dataset:
    """Load a shipped data set, its ``public`` part (for the learner) or ``heldback`` part.

    The split depends on the row index only, so it never changes between runs.
    ``root`` overrides the folder (tests); the default is ``shipped_dir()``.
    """
    if part not in ("public", "heldback"):
        raise BadDataset(f"a shipped data set has parts 'public' and 'heldback', not {part!r}")
    folder = (root or shipped_dir()) / name
    if "/" in name or "\\" in name or name.startswith(".") or not folder.is_dir():
        raise UnknownDataset(f"no shipped data set {name!r} in {folder.parent}")
    source = folder / "SOURCE.txt"
    if not source.is_file():
        raise BadDataset(f"{folder}: SOURCE.txt (provenance and licence) is missing; a data set cannot ship without it")
    table = folder / "data.csv"
    try:
        with table.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise BadDataset(f"{table}: cannot read it ({exc.strerror})") from None
    if not rows or "label" not in rows[0]:
        raise BadDataset(f"{table}:1: the header needs a column named 'label'")
    header = rows[0]
    label_col = header.index("label")
    xs: list[list[float]] = []
    ys: list[int] = []
    all_labels: list[int] = []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise BadDataset(f"{table}:{number}: {len(row)} values, the header has {len(header)}")
        try:
            values = [float(v) for v in row]
        except ValueError:
            raise BadDataset(f"{table}:{number}: every value must be a number") from None
        all_labels.append(int(values[label_col]))
        if _held_back(number - 2, heldback) != (part == "heldback"):
            continue
        ys.append(int(values[label_col]))
        xs.append([v for i, v in enumerate(values) if i != label_col])
    features = len(header) - 1
    x = torch.tensor(xs, dtype=torch.float32).reshape(len(xs), features)
    y = torch.tensor(ys, dtype=torch.int64)
    classes = int(max(all_labels) + 1) if all_labels else 0
    info = {
        "kind": "classification",
        "input_shape": [features],
        "num_classes": classes,
        "source": source.read_text(encoding="utf-8").strip(),
    }
    return Dataset(x, y, info)
