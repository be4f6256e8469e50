"""Data sets for the projects: procedural generators, and a place for small real data.

Every generator has the signature ``generator(n, seed, **params) -> Dataset`` and is
deterministic: the same ``n``, ``seed`` and ``params`` give the same tensors on every
machine (a private ``torch.Generator`` is used, the global RNG is never touched).

The *world* a generator draws from (the arms of the spirals, the true weights of the
regression) is fixed by the params and by ``world_seed``, never by ``seed``: samples
drawn with two seeds come from the same distribution. That is what lets the grader
train the learner on data from a public seed and test on fresh data from a hidden seed.
A generator that takes a ``world_seed`` has worlds to hide: when a grade draws, the
judge passes the grade's secret world seed (``draw(..., world=...)``), unless the
project pins ``world_seed`` in its params (a project whose shipped teacher was trained
on one world). ``world_seed`` 0 is the world the documentation describes.

Only the judge imports this package during a grade: the learner's process receives
its training data over the grader's channel, so it never holds a generator with which
to draw more labelled rows of its world (see docs/grading.md).

Generators live in the modules of this package, one family per module
(``points``, ``images``, ``series``, ...), each registered with ``@generator``;
``GENERATORS`` holds them all by name, with the parameters their signatures
declare (``dlpath validate`` checks a project's ``dataset.params`` against them,
and docs/task-kinds.md lists them). Modules import torch inside the
functions, so that reading the catalogue (``dlpath validate``) stays fast.

Shipped real data (``shipped:<name>``, see ``dlpath.datasets.shipped``) lives in
``dlpath/data/<name>/`` with its provenance and licence.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Mapping

from dlpath.datasets.base import (GENERATORS, SHIPPED_PREFIX, WORLD_PARAM, BadDataset, Dataset, GeneratorSpec, Param,
                                  UnknownDataset, balanced_labels, check_n, generate, generator, rng, split_seed)

__all__ = [
    "Dataset",
    "UnknownDataset",
    "BadDataset",
    "Param",
    "GeneratorSpec",
    "GENERATORS",
    "generator",
    "generate",
    "draw",
    "has_worlds",
    "WORLD_PARAM",
    "split_seed",
    "rng",
    "check_n",
    "balanced_labels",
    "SHIPPED_PREFIX",
    "SHAPE_NAMES",
    "load_shipped",
    "shipped_dir",
]


def _discover() -> None:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def draw(spec: Mapping[str, Any] | Any, seed: int, parts: tuple[str, ...], *,
         world: int | None = None) -> dict[str, Dataset]:
    """The parts ("train", "val", "test") of a project's data set drawn from ``seed`` in the ``world``.

    ``spec`` is the project's ``dataset`` (name, params, train, val, test). A
    procedural set is generated afresh for each part with its own seed; ``world``
    becomes the generator's ``world_seed`` when it takes one and the project does not
    pin it (None: the published world). A shipped set (``shipped:<folder>``) is one
    fixed world: its public rows, shuffled by ``seed``, give train then val; the test
    part is always its held-back rows, whatever the seed.
    """
    name = _get(spec, "name")
    params = dict(_get(spec, "params") or {})
    if world is not None and WORLD_PARAM not in params and has_worlds(name):
        params[WORLD_PARAM] = int(world)
    sizes = {"train": int(_get(spec, "train", 1000)), "val": int(_get(spec, "val", 0)),
             "test": int(_get(spec, "test", 1000))}
    if isinstance(name, str) and name.startswith(SHIPPED_PREFIX):
        from dlpath.datasets.shipped import draw_shipped

        return draw_shipped(name[len(SHIPPED_PREFIX):], params, seed, parts, sizes["train"], sizes["val"])
    return {part: generate(name, sizes[part], split_seed(seed, part), **params) for part in parts}


def has_worlds(name: str) -> bool:
    """Whether the generator ``name`` draws its world from a ``world_seed`` (a grade can keep it secret)."""
    spec = GENERATORS.get(name)
    return spec is not None and any(p.name == WORLD_PARAM for p in spec.params)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


_discover()

from dlpath.datasets.images import SHAPE_NAMES  # noqa: E402  (registered above)
from dlpath.datasets.shipped import load_shipped, shipped_dir  # noqa: E402
