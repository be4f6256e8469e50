"""Small real data sets shipped inside the package: ``shipped:<name>`` in a project's ``dataset``.

A data set lives in ``dlpath/data/<name>/`` as ``data.csv`` or ``data.csv.gz`` (a
header row; numeric columns, ``nan`` for a missing value; the label, 0 to k-1, in the
column named ``label``) next to ``SOURCE.txt`` that gives its provenance, its licence
(public domain or a permissive licence only) and the script that made the file, and
optionally ``classes.txt`` (one class name a line, in label order). The loader
refuses a folder without ``SOURCE.txt``. ``info["feature_names"]`` holds the header's
other columns. Rows are split deterministically by
a hash of the row index: the part ``heldback`` is kept for grading and never handed
to the learner. A project uses one with ``dataset: {name: "shipped:<name>", params:
{heldback: 0.3}}`` (the task trains on the public rows and tests on the held-back ones).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from pathlib import Path

from dlpath.datasets.base import BadDataset, Dataset, UnknownDataset

__all__ = ["shipped_dir", "shipped_table", "load_shipped", "draw_shipped"]

TABLES = ("data.csv", "data.csv.gz")  # the names a shipped table may have, plain or gzipped


def shipped_dir() -> Path:
    """The folder where small real data sets ship inside the package."""
    return Path(__file__).resolve().parent.parent / "data"


def shipped_table(folder: Path) -> Path | None:
    """The table of the shipped data set in ``folder`` (``data.csv`` or ``data.csv.gz``), or None."""
    for name in TABLES:
        if (folder / name).is_file():
            return folder / name
    return None


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
    import torch

    if part not in ("public", "heldback"):
        raise BadDataset(f"a shipped data set has parts 'public' and 'heldback', not {part!r}")
    folder = (root or shipped_dir()) / name
    if "/" in name or "\\" in name or name.startswith(".") or not folder.is_dir():
        raise UnknownDataset(f"no shipped data set {name!r} in {folder.parent}")
    source = folder / "SOURCE.txt"
    if not source.is_file():
        raise BadDataset(f"{folder}: SOURCE.txt (provenance and licence) is missing; a data set cannot ship without it")
    table = shipped_table(folder) or folder / TABLES[0]
    try:
        opener = gzip.open if table.suffix == ".gz" else open
        with opener(table, "rt", newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, EOFError, UnicodeDecodeError) as exc:  # EOFError: a truncated .gz
        raise BadDataset(f"{table}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
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
        label = values[label_col]
        if not (label >= 0 and label == int(label)):
            raise BadDataset(f"{table}:{number}: the label must be a whole number from 0, not {row[label_col]!r}")
        all_labels.append(int(label))
        if _held_back(number - 2, heldback) != (part == "heldback"):
            continue
        ys.append(int(label))
        xs.append([v for i, v in enumerate(values) if i != label_col])
    features = len(header) - 1
    x = torch.tensor(xs, dtype=torch.float32).reshape(len(xs), features)
    y = torch.tensor(ys, dtype=torch.int64)
    classes = int(max(all_labels) + 1) if all_labels else 0
    info = {
        "kind": "classification",
        "input_shape": [features],
        "num_classes": classes,
        "feature_names": [name for name in header if name != "label"],
        "source": source.read_text(encoding="utf-8").strip(),
    }
    names = folder / "classes.txt"
    if names.is_file():
        class_names = [line.strip() for line in names.read_text(encoding="utf-8").splitlines() if line.strip()]
        if len(class_names) != classes:
            raise BadDataset(f"{names}: {len(class_names)} class names, the labels run from 0 to {classes - 1}")
        info["class_names"] = class_names
    return Dataset(x, y, info)


def draw_shipped(name: str, params: dict, seed: int, parts: tuple[str, ...], n_train: int,
                 n_val: int) -> dict[str, Dataset]:
    """Train/val from the public rows shuffled by ``seed``; test from the held-back rows."""
    import torch

    heldback = float(params.get("heldback", 0.3))
    out: dict[str, Dataset] = {}
    if "test" in parts:
        out["test"] = load_shipped(name, "heldback", heldback=heldback)
    if "train" in parts or "val" in parts:
        public = load_shipped(name, "public", heldback=heldback)
        order = torch.randperm(len(public), generator=torch.Generator().manual_seed(int(seed) % (2**62)))
        n_val = min(n_val, len(public) // 2)
        n_train = min(n_train, len(public) - n_val)
        pieces = {"train": order[:n_train], "val": order[n_train : n_train + n_val]}
        for part in ("train", "val"):
            if part in parts:
                out[part] = Dataset(public.x[pieces[part]], public.y[pieces[part]], dict(public.info))
    return out
