"""Counting a model's arithmetic by the precision it ran in.

``HeavyWork`` is a ``TorchDispatchMode``: it sees every ATen operator after
autocast has chosen its precision, so it knows in which dtype each one really
ran. It adds, per dtype, the multiply-adds of matrix products and convolutions
and, for every other operator that computes (not a view, a copy or a cast), the
numbers it reads or writes, whichever is more: work moved out of the matrix
products (a product written as a broadcast multiply and a sum) still counts, in
the dtype it ran in. The judge runs it around its own replay of the learner's
traced model (trusted); ``sampled_training`` runs it in the learner process on
sampled optimizer steps (the first three, then each later step with a chance
of 2 / step, drawn from the operating system's randomness when the step before
ends), since watching every operator of every step would slow training down by
half, and a public schedule would tell the learner's code which steps are seen.
"""

from __future__ import annotations

import contextlib
import math
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook
from torch.utils._python_dispatch import TorchDispatchMode, _get_current_dispatch_mode

__all__ = ["HeavyWork", "sampled_training", "REDUCED", "reduced_share", "live_work", "LiveWork"]

REDUCED = ("bfloat16", "float16")  #: the 16-bit floating-point types of mixed precision

_aten = torch.ops.aten
_MATRIX = {_aten.mm, _aten.addmm, _aten.bmm, _aten.baddbmm}
_CONVOLUTION = {_aten.convolution, _aten._convolution}
_CONVOLUTION_BACKWARD = {_aten.convolution_backward}
# Operators that move or make numbers without computing with them (views are recognized by their schema).
_MOVES = {_aten._to_copy, _aten.copy_, _aten.clone, _aten.lift_fresh, _aten.lift_fresh_copy, _aten.empty_like,
          _aten.zeros_like, _aten.ones_like, _aten.full_like, _aten.empty, _aten.zeros, _aten.ones, _aten.full,
          _aten.fill_, _aten.zero_, _aten.cat, _aten.stack, _aten.index, _aten.index_select, _aten.gather,
          _aten.embedding, _aten.constant_pad_nd, _aten.repeat, _aten.roll, _aten.flip, _aten._unsafe_view,
          _aten.empty_strided, _aten.new_empty, _aten.new_zeros, _aten.new_ones, _aten.scalar_tensor,
          _aten.arange, _aten.rand, _aten.randn, _aten.randint, _aten.bernoulli}


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


def _view(func: Any) -> bool:
    """An operator whose result is a view of its input (no arithmetic): read from its schema."""
    returns = getattr(getattr(func, "_schema", None), "returns", ())
    return any(r.alias_info is not None and not r.alias_info.is_write for r in returns)


def _tensors(value: Any) -> Iterator[Any]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)


def _elementwise(args: tuple, out: Any) -> tuple[int, str] | None:
    """The numbers an operator reads or writes, whichever is more, and the dtype of the largest floating-point
    tensor among them (None when none is floating-point)."""
    largest = max((t for t in (*_tensors(args), *_tensors(out)) if t.is_floating_point()),
                  key=lambda t: t.numel(), default=None)
    return None if largest is None else (largest.numel(), _dtype(largest))


class HeavyWork(TorchDispatchMode):
    """Arithmetic per dtype of everything run while it is active: the multiply-adds of matrix products and
    convolutions, and the numbers every other computing operator reads or writes."""

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
            elif packet in _MOVES or _view(func):
                return out
            else:
                counted = _elementwise(args, out)
                if counted is None:
                    return out
                macs, dtype = counted
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


#: a node's 16-bit work counts only if replacing its result by noise moves the outputs by more than this share of
#: their root mean square: the result of work the outputs depend on cannot be swapped for noise unnoticed
DEAD_CHANGE = 0.01
#: where the outputs are decisions (a classifier's logits): 16-bit work whose replacement by noise changes
#: fewer of the probe's decisions than this share is dead too, however much it moves the numbers (a branch
#: added at a few percent of the logits' scale, or the same amount added to every class, decides nothing)
DEAD_DECISIONS = 0.1
_MOST_NODES = 32  # the heaviest 16-bit nodes the judge perturbs one by one (the rest are perturbed together)


@dataclass
class LiveWork:
    """The arithmetic of a replay by dtype, without the 16-bit work the outputs do not depend on."""

    outputs: Any  #: the replay's outputs
    work: dict[str, int]  #: multiply-adds by dtype, dead 16-bit work left out
    dead: int = 0  #: 16-bit multiply-adds left out: their results could be replaced by noise unnoticed
    dead_nodes: int = 0  #: the graph's operators that did them


def live_work(replay_all: Callable[..., Any], x: Any, probe: Any,
              decide: Callable[[Any], Any] | None = None) -> LiveWork:
    """Replay the model on ``x`` (``replay_all(x, edit=...)``, the judge's own replay) counting each operator's
    work by dtype, then test the operators that did 16-bit work: each of the heaviest (and the rest together) has
    its result replaced by random numbers of its own scale in a replay on ``probe``; work whose replacement moves
    the outputs by less than ``DEAD_CHANGE`` of their scale is dead (a product multiplied by zero, a branch the
    outputs never read) and does not count; with ``decide`` (outputs to decisions, e.g. a classifier's argmax), so
    is work whose replacement changes fewer than ``DEAD_DECISIONS`` of the probe's decisions. A model cannot claim
    16-bit precision for arithmetic it throws away, or that decides nothing."""
    per_node: dict[int, dict[str, int]] = {}
    counter = HeavyWork()
    last = dict(counter.work)

    def attribute(index: int, args: list, result: Any) -> Any:
        nonlocal last
        now = counter.work
        for dtype, total in now.items():
            done = total - last.get(dtype, 0)
            if done:
                node = per_node.setdefault(index, {})
                node[dtype] = node.get(dtype, 0) + done
        last = dict(now)
        return result

    with counter:
        outputs = replay_all(x, edit=attribute)
    work = dict(counter.work)
    reduced = {i: sum(w.get(d, 0) for d in REDUCED) for i, w in per_node.items()}
    heavy = sorted((i for i, w in reduced.items() if w > 0), key=lambda i: -reduced[i])
    if not heavy:
        return LiveWork(outputs, work)
    base = replay_all(probe)
    groups = [[i] for i in heavy[:_MOST_NODES]] + ([heavy[_MOST_NODES:]] if len(heavy) > _MOST_NODES else [])
    dead_nodes: list[int] = []
    for group in groups:
        if not _moves_outputs(replay_all, probe, base, set(group), decide):
            dead_nodes += group
    dead = 0
    for i in dead_nodes:
        for dtype in REDUCED:
            taken = per_node[i].get(dtype, 0)
            work[dtype] = work.get(dtype, 0) - taken
            dead += taken
    return LiveWork(outputs, {k: v for k, v in work.items() if v > 0}, dead, len(dead_nodes))


def _moves_outputs(replay_all: Callable[..., Any], probe: Any, base: Any, nodes: set[int],
                   decide: Callable[[Any], Any] | None = None) -> bool:
    """Whether replacing the results of ``nodes`` by random numbers of their own scale moves the outputs by more
    than ``DEAD_CHANGE`` of their root mean square and, with ``decide``, changes at least ``DEAD_DECISIONS`` of
    the decisions (a replay that fails with them replaced depends on them)."""
    g = torch.Generator().manual_seed(1234)

    replaced = []

    def noise(value: Any) -> Any:
        if isinstance(value, (tuple, list)):  # an operator with several results (a pooling's values and indices)
            return type(value)(noise(v) for v in value)
        if not isinstance(value, torch.Tensor) or not value.is_floating_point() or not value.numel():
            return value
        scale = value.detach().float().pow(2).mean().sqrt()
        scale = float(scale) if math.isfinite(float(scale)) and float(scale) > 0 else 1.0
        replaced.append(True)
        return (torch.randn(value.shape, generator=g) * (3.0 * scale + 1.0)).to(value.dtype)

    def noisy(index: int, args: list, result: Any) -> Any:
        return noise(result) if index in nodes else result

    try:
        changed = replay_all(probe, edit=noisy)
    except Exception:  # noqa: BLE001 - a replay that breaks without them depends on them
        return True
    if not replaced:  # nothing to replace: no evidence that the work is dead
        return True
    if not isinstance(changed, torch.Tensor) or not isinstance(base, torch.Tensor) or changed.shape != base.shape:
        return True
    a, b = base.detach().float(), changed.detach().float()
    scale = float(a.pow(2).mean().sqrt()) if a.numel() else 0.0
    difference = float((a - b).pow(2).mean().sqrt()) if a.numel() else 0.0
    if not math.isfinite(difference):
        return True
    if difference <= DEAD_CHANGE * max(scale, 1e-6):
        return False
    if decide is None:
        return True
    before, after = decide(a), decide(b)
    return float((before != after).float().mean()) >= DEAD_DECISIONS if before.numel() else True


def _sampled(step: int) -> bool:
    """Steps 0, 1 and 2, then each step with a chance of 2 / step, from randomness the learner's code cannot
    read in advance (about 2 ln(steps) steps in all)."""
    return step < 3 or secrets.randbelow(step) < 2


@contextlib.contextmanager
def sampled_training() -> Iterator[HeavyWork]:
    """Count the work of the training steps 0, 1, 2 and of later steps drawn at random (``_sampled``: the
    counter is on from the start, and switched on or off after each optimizer step for the next one). A loop
    without an optimizer is counted throughout."""
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
