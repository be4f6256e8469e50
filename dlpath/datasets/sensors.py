"""Vibration sensors, mostly healthy: ``sensors`` (normal signals and anomalies, for anomaly detection)."""

from __future__ import annotations

import math

from dlpath.datasets.base import BadDataset, Dataset, check_n, generator, rng

ANOMALIES = ("spike", "frequency", "flatline", "burst", "phase-jump")


@generator("anomaly")
def sensors(n: int, seed: int, *, length: int = 64, noise: float = 0.2, anomaly_rate: float = 0.5,
            strength: float = 1.0, world_seed: int = 0) -> Dataset:
    """``n`` vibration signals (n, length): healthy ones, and anomalies (``y`` = 1) at the rate ``anomaly_rate``.

    A healthy signal is two harmonics of a machine's rotation, with random
    amplitudes (0.8-1.2 and 0.3-0.6) and phases, plus Gaussian noise of standard
    deviation ``noise``. The machine is the world: in ``world_seed`` 0 its harmonics
    make 3 and 7 cycles per window; any other world draws them between 2.5 and 4.5
    and between 6 and 9 cycles. An anomaly is one of five faults, equally
    likely (``extra["anomaly"]``, an index into ``info["anomalies"]``; -1 when
    healthy): a short spike, the rotation 50% faster, the sensor stuck for a quarter of
    the window, a burst of noise, a phase jump half-way. ``strength`` scales the faults;
    none makes the signal much louder, so its loudness alone says little.
    """
    import torch

    check_n(n)
    if length < 16:
        raise BadDataset(f"sensors needs windows of at least 16 samples, not {length}")
    if not 0.0 <= anomaly_rate <= 1.0:
        raise BadDataset(f"sensors: anomaly_rate must be between 0 and 1, not {anomaly_rate}")
    low, high = 3.0, 7.0  # the machine's two harmonics, in cycles per window
    if world_seed:
        world = rng(world_seed)
        low = 2.5 + 2.0 * float(torch.rand((), generator=world))
        high = 6.0 + 3.0 * float(torch.rand((), generator=world))
    g = rng(seed)
    t = torch.arange(length, dtype=torch.float32) / length  # (L,) one window
    a1 = 0.8 + 0.4 * torch.rand(n, 1, generator=g)
    a2 = 0.3 + 0.3 * torch.rand(n, 1, generator=g)
    p1 = 2 * math.pi * torch.rand(n, 1, generator=g)
    p2 = 2 * math.pi * torch.rand(n, 1, generator=g)
    y = (torch.rand(n, generator=g) < anomaly_rate).long()
    kind = torch.randint(0, len(ANOMALIES), (n,), generator=g)
    kind = torch.where(y == 1, kind, torch.full_like(kind, -1))
    quarter = max(length // 4, 2)
    start = torch.randint(quarter // 2, length - quarter - quarter // 2 + 1, (n, 1), generator=g)
    sign = torch.where(torch.rand(n, 1, generator=g) < 0.5, -1.0, 1.0)
    burst = torch.randn(n, length, generator=g)
    jitter = torch.randn(n, length, generator=g)

    def is_(name: str) -> "torch.Tensor":
        return (kind == ANOMALIES.index(name)).unsqueeze(1)  # (n, 1)

    cycles = torch.where(is_("frequency"), low * (1.0 + 0.5 * strength), low)
    x = a1 * torch.sin(2 * math.pi * cycles * t + p1) + a2 * torch.sin(2 * math.pi * high * t + p2)  # (n, L)
    pos = torch.arange(length).unsqueeze(0)  # (1, L)
    segment = (pos >= start) & (pos < start + quarter)
    jumped = a1 * torch.sin(2 * math.pi * cycles * t + p1 + math.pi * min(strength, 1.0)) + a2 * torch.sin(
        2 * math.pi * high * t + p2)
    x = torch.where(is_("phase-jump") & (pos >= length // 2), jumped, x)
    x = torch.where(is_("spike") & ((pos - start - quarter // 2).abs() <= 1), x + 1.5 * strength * sign, x)
    x = torch.where(is_("flatline") & segment, x.gather(1, start).expand(-1, length), x)
    x = torch.where(is_("burst") & segment, x + 0.6 * strength * burst, x)
    x = x + noise * jitter
    info = {"kind": "anomaly", "input_shape": [length], "anomalies": list(ANOMALIES), "noise": noise}
    return Dataset(x.float(), y.long(), info, {"anomaly": kind.long()})
