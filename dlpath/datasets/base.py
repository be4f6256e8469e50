"""The data sets' building blocks: the `Dataset` type, the registry of generators and the helpers they share.

Generator modules import from here (never from the package's `__init__`, which
imports them); the package re-exports all of it.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from dlpath.errors import UsageError

if TYPE_CHECKING:
    import torch

__all__ = ["Dataset", "UnknownDataset", "BadDataset", "Param", "GeneratorSpec", "GENERATORS", "generator",
           "generate", "split_seed", "rng", "check_n", "balanced_labels", "SHIPPED_PREFIX", "WORLD_PARAM"]

SHIPPED_PREFIX = "shipped:"
WORLD_PARAM = "world_seed"  #: the parameter that picks a generator's world (a grade keeps it secret)


class UnknownDataset(UsageError):
    """A project names a data set that dlpath does not know."""


class BadDataset(UsageError):
    """A data set's parameters or files are not usable."""


@dataclass(frozen=True)
class Dataset:
    """Inputs ``x`` and targets ``y`` plus what a model needs to know about them.

    ``x`` is float32 (or int64 token ids); ``y`` is int64 class indices for
    classification and float32 for regression. ``info`` holds ``input_shape`` (one
    sample's shape, a list), ``num_classes`` (classification) or ``num_outputs``
    (regression), ``kind`` ("classification" or "regression") and, for some sets,
    ``class_names``. ``extra`` holds further per-sample tensors a task may grade
    with (a subset mask, a group id); tasks that do not know them ignore them.
    """

    x: "torch.Tensor"
    y: "torch.Tensor"
    info: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass(frozen=True)
class Param:
    """One parameter of a generator: its name, type (int, float, bool, str) and default."""

    name: str
    type: str
    default: Any


@dataclass(frozen=True)
class GeneratorSpec:
    """A registered generator: what it makes (`kind`), its parameters, and the function."""

    name: str
    kind: str  #: "classification", "regression", or another word a task accepts
    summary: str
    params: tuple[Param, ...]
    function: Callable[..., Dataset]


GENERATORS: dict[str, GeneratorSpec] = {}


def generator(kind: str) -> Callable[[Callable[..., Dataset]], Callable[..., Dataset]]:
    """Register a generator ``fn(n, seed, *, param=default, ...)`` under its function name."""

    def register(fn: Callable[..., Dataset]) -> Callable[..., Dataset]:
        params = []
        for p in inspect.signature(fn).parameters.values():
            if p.kind is not inspect.Parameter.KEYWORD_ONLY:
                continue
            annotation = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", "")
            params.append(Param(p.name, str(annotation), p.default))
        doc = inspect.getdoc(fn) or ""
        GENERATORS[fn.__name__] = GeneratorSpec(fn.__name__, kind, doc.split("\n\n")[0].replace("\n", " "),
                                                tuple(params), fn)
        return fn

    return register


def generate(name: str, n: int, seed: int, **params: Any) -> Dataset:
    """Generate ``n`` samples of the procedural data set ``name`` from ``seed``."""
    spec = GENERATORS.get(name)
    if spec is None:
        known = ", ".join(sorted(GENERATORS))
        raise UnknownDataset(f"unknown data set {name!r}; dlpath generates: {known}")
    known_params = {p.name for p in spec.params}
    wrong = sorted(set(params) - known_params)
    if wrong:
        raise BadDataset(f"data set {name!r} has no parameter {', '.join(map(repr, wrong))}; "
                         f"its parameters: {', '.join(sorted(known_params)) or 'none'}")
    try:
        return spec.function(n, seed, **params)
    except TypeError as exc:  # a parameter of the wrong type
        raise BadDataset(f"data set {name!r}: {exc}") from None


# ------------------------------------------------------------------ helpers for generators


def rng(seed: int) -> "torch.Generator":
    """A private generator seeded with ``seed`` (the global RNG is never touched)."""
    import torch

    g = torch.Generator()
    g.manual_seed(int(seed) & 0x7FFF_FFFF_FFFF_FFFF)
    return g


def check_n(n: int) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise BadDataset(f"a data set size must be a whole number >= 0, not {n!r}")
    return n


def balanced_labels(n: int, classes: int, g: "torch.Generator") -> "torch.Tensor":
    """Labels with every class as equal as possible (counts differ by at most 1), shuffled."""
    import torch

    labels = torch.arange(n) % classes
    return labels[torch.randperm(n, generator=g)]


def split_seed(seed: int, part: str) -> int:
    """Distinct, reproducible seeds for the parts drawn from one seed."""
    offsets = {"train": 0, "val": 7_919, "test": 104_729}
    return (int(seed) * 1_000_003 + offsets[part]) % (2**62)
