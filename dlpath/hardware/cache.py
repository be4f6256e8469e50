"""The fast profile's NVML reading, cached in the data home.

On a GPU machine, reading NVML costs `dlpath next` its largest share of start-up
(importing pynvml, about 55 ms, then initialising the driver). The reading
changes only when the hardware, the driver or the boot does, so it is kept in
`<data home>/cache/hardware-profile.json` under a key built from what Linux
shows cheaply about all three:

- the boot: `/proc/sys/kernel/random/boot_id` (new at every boot);
- the driver: `/proc/driver/nvidia/version` (its version and build; absent
  without a loaded driver, so installing or loading one changes the key);
- the GPUs: the PCI addresses under `/proc/driver/nvidia/gpus/`.

plus dlpath's version. A reading older than `MAX_AGE_S` is read again anyway
(a MIG layout can change without any of the above). What is cached is the
reading, not the profile: `CUDA_VISIBLE_DEVICES` is applied afresh on every
call. Where no boot id can be read (macOS, Windows) nothing is cached.
`dlpath gpu` always reads NVML afresh, and stores what it read here.

Nothing here raises: a cache that cannot be read or written only costs speed.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from dlpath.atomic import write_text
from dlpath.hardware.nvml import GpuInfo, MigDevice, NvmlError, NvmlReading, NvmlStatus

__all__ = ["CACHE_NAME", "MAX_AGE_S", "cache_key", "cached_reading", "store_reading", "cache_path"]

CACHE_NAME = "hardware-profile.json"
MAX_AGE_S = 24 * 3600
FORMAT = 1

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
_DRIVER = Path("/proc/driver/nvidia/version")
_GPUS = Path("/proc/driver/nvidia/gpus")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def cache_key() -> dict[str, Any] | None:
    """What the cached reading depends on; None where it cannot be told (then nothing is cached)."""
    boot = _read(_BOOT_ID)
    if not boot:
        return None
    try:
        buses = sorted(os.listdir(_GPUS))
    except OSError:
        buses = None
    from dlpath.version import __version__

    return {"format": FORMAT, "dlpath": __version__, "boot": boot, "driver": _read(_DRIVER), "gpus": buses}


def cache_path() -> Path:
    from dlpath.paths import data_home

    return data_home() / "cache" / CACHE_NAME


def _reading_from(data: dict[str, Any]) -> NvmlReading:
    status = NvmlStatus(**data["status"])
    if status.error_kind is not None:
        status.error_kind = NvmlError(status.error_kind)
    gpus = []
    for g in data["gpus"]:
        g = dict(g)
        g["mig_devices"] = [MigDevice(**m) for m in g.get("mig_devices", [])]
        gpus.append(GpuInfo(**g))
    return NvmlReading(status, gpus)


def _load(key: dict[str, Any], now: float) -> NvmlReading | None:
    try:
        with open(cache_path(), encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("key") != key or not (0 <= now - float(data["at"]) <= MAX_AGE_S):
            return None
        return _reading_from(data["reading"])
    except Exception:  # missing, stale, damaged or from another version: read NVML again
        return None


def store_reading(reading: NvmlReading, key: dict[str, Any] | None = None, now: float | None = None) -> None:
    """Keep `reading` for the next commands (a no-op where no key can be made)."""
    key = key if key is not None else cache_key()
    if key is None:
        return
    target = cache_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        data = {"key": key, "at": time.time() if now is None else now, "reading": asdict(reading)}
        write_text(target, json.dumps(data))
    except (OSError, TypeError, ValueError):
        pass  # a read-only home, a full disk, a data home that is a file: only speed is lost


def cached_reading(read: Callable[[], NvmlReading], now: float | None = None) -> NvmlReading:
    """The cached reading when its key still holds, else `read()` (then cached)."""
    key = cache_key()
    if key is None:
        return read()
    moment = time.time() if now is None else now
    cached = _load(key, moment)
    if cached is not None:
        return cached
    reading = read()
    store_reading(reading, key, moment)
    return reading
