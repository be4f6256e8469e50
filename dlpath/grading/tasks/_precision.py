"""Counting a model's heavy work (convolutions, matrix products) by the precision it ran in.

``HeavyWork`` is a ``TorchDispatchMode``: it sees every ATen operator after
autocast has chosen its precision, so it knows in which dtype each matrix
product or convolution really ran. It adds their multiply-adds per dtype. The
judge runs it around its own replay of the learner's traced model (trusted);
``sampled_training`` runs it in the learner process on sampled optimizer steps
(the first three, then 4, 8, 16, ...), since watching every operator of every
step would slow training down by half.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Iterator

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook
from torch.utils._python_dispatch import TorchDispatchMode, _get_current_dispatch_mode

__all__ = ["HeavyWork", "sampled_training", "REDUCED", "reduced_share"]

REDUCED = ("bfloat16", "float16")  #: the 16-bit floating-point types of mixed precision

_aten = torch.ops.aten
_MATRIX = {_aten.mm, _aten.addmm, _aten.bmm, _aten.baddbmm}
_CONVOLUTION = {_aten.convolution, _aten._convolution}
_CONVOLUTION_BACKWARD = {_aten.convolution_backward}


def _dtype(t: Any) -> str:
    return str(t.dtype).replace("torch.", "") if isinstance(t, torch.Tensor) else ""


def _matrix(packet: Any, args: tuple) -> tuple[int, str]:
    a, b = (args[1], args[2]) if packet in (_aten.addmm, _aten.baddbmm) else (args[0], args[1])
    batch = a.shape[0] if a.dim() == 3 else 1
    return batch * a.shape[-2] * a.shape[-1] * b.shape[-1], _dtype(a)


def _convolution(args: tuple, out: Any) -> tuple[int, str]:
    x, weight, transposed = args[0], args[1], bool(args[6]) if len(args) > 6 else False
    kernel = math.prod(weight.shape[2:])
    if transposed:  # weight (in, out / groups, k...): every input value feeds out / groups * kernel outputs
        return x.numel() * weight.shape[1] * kernel, _dtype(x)
    return out.numel() * weight.shape[1] * kernel, _dtype(x)  # weight (out, in / groups, k...)


def _convolution_backward(args: tuple) -> tuple[int, str]:
    grad, weight = args[0], args[2]
    kernel = math.prod(weight.shape[2:])
    return 2 * grad.numel() * weight.shape[1] * kernel, _dtype(grad)  # the input's and the weight's gradients


class HeavyWork(TorchDispatchMode):
    """Multiply-adds of matrix products and convolutions, per dtype, of everything run while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.work: dict[str, int] = {}

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        out = func(*args, **(kwargs or {}))
        packet = getattr(func, "overloadpacket", None)
        try:
            if packet in _MATRIX:
                macs, dtype = _matrix(packet, args)
            elif packet in _CONVOLUTION:
                macs, dtype = _convolution(args, out)
            elif packet in _CONVOLUTION_BACKWARD:
                macs, dtype = _convolution_backward(args)
            else:
                return out
            self.work[dtype] = self.work.get(dtype, 0) + int(macs)
        except Exception:  # noqa: BLE001 - counting must never break the computation
            pass
        return out

    def share(self) -> float | None:
        return reduced_share(self.work)


def reduced_share(work: dict[str, int]) -> float | None:
    """The share of the multiply-adds done in a 16-bit type (None when there were none)."""
    total = sum(work.values())
    return sum(work.get(d, 0) for d in REDUCED) / total if total else None


def _sampled(step: int) -> bool:
    return step < 3 or (step & (step - 1)) == 0


@contextlib.contextmanager
def sampled_training() -> Iterator[HeavyWork]:
    """Count the heavy work of the training steps 0, 1, 2, 4, 8, ... (the counter is on from the start,
    and switched on or off after each optimizer step for the next one). A loop without an optimizer is
    counted throughout."""
    counter = HeavyWork()
    state = {"on": False, "step": 0}

    def switch(on: bool) -> None:
        if on and not state["on"]:
            counter.__enter__()
            state["on"] = True
        elif not on and state["on"] and _get_current_dispatch_mode() is counter:
            counter.__exit__(None, None, None)
            state["on"] = False

    def after_step(optimizer: Any, args: Any, kwargs: Any) -> None:
        state["step"] += 1
        switch(_sampled(state["step"]))

    handle = register_optimizer_step_post_hook(after_step)
    switch(True)
    try:
        yield counter
    finally:
        handle.remove()
        if state["on"]:
            if _get_current_dispatch_mode() is counter:
                counter.__exit__(None, None, None)
            state["on"] = False
