"""Which GPUs a CUDA program may use, after `CUDA_VISIBLE_DEVICES`.

CUDA reads the variable as a comma-separated list of device indexes or UUIDs
(`GPU-...`, `MIG-...`, a unique prefix is enough). It stops at the first entry
that names no device, so `CUDA_VISIBLE_DEVICES=3` on a one-GPU machine, like
an empty value or `-1`, hides every GPU.

An index counts in CUDA's own order, which is fastest-first unless
`CUDA_DEVICE_ORDER=PCI_BUS_ID`; NVML counts in PCI order. On a machine with
mixed GPUs an index may therefore pick another card than NVML's number; how
many GPUs are visible is exact, which one is our best reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

__all__ = ["Visibility", "cuda_visibility"]


@dataclass(frozen=True)
class Visibility:
    """The outcome of reading `CUDA_VISIBLE_DEVICES` against the GPUs NVML sees."""

    value: str | None  # the variable as set, None when unset
    visible: frozenset[int]  # NVML indexes a CUDA program can use
    stopped_at: str | None  # the entry that named no device, if any

    @property
    def restricts(self) -> bool:
        return self.value is not None


def cuda_visibility(
    gpus: Sequence[tuple[int, str | None, Sequence[str | None]]],
    environ: Mapping[str, str],
) -> Visibility:
    """Visible GPUs given `(index, uuid, mig_uuids)` for each GPU NVML sees."""
    value = environ.get("CUDA_VISIBLE_DEVICES")
    every = frozenset(index for index, _, _ in gpus)
    if value is None:
        return Visibility(None, every, None)
    chosen: list[int] = []
    stopped: str | None = None
    entries = [e.strip() for e in value.split(",")]
    if value.strip() == "":
        entries = []
    for entry in entries:
        index = _match(entry, gpus)
        if index is None:
            stopped = entry
            break
        if index not in chosen:
            chosen.append(index)
    return Visibility(value, frozenset(chosen), stopped)


def _match(entry: str, gpus: Sequence[tuple[int, str | None, Sequence[str | None]]]) -> int | None:
    if entry.lstrip("-").isdigit():
        number = int(entry)
        indexes = sorted(index for index, _, _ in gpus)
        return indexes[number] if 0 <= number < len(indexes) else None
    lowered = entry.lower()
    if lowered.startswith("gpu-") and len(lowered) > 4:
        hits = [i for i, uuid, _ in gpus if uuid and uuid.lower().startswith(lowered)]
    elif lowered.startswith("mig-") and len(lowered) > 4:
        hits = [i for i, _, migs in gpus if any(m and m.lower().startswith(lowered) for m in migs)]
    else:
        return None
    return hits[0] if len(hits) == 1 else None
