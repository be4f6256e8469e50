"""Sequences whose label was given long ago: ``delayed_recall``."""

from __future__ import annotations

from dlpath.datasets.base import BadDataset, Dataset, balanced_labels, check_n, generator, rng


@generator("classification")
def delayed_recall(n: int, seed: int, *, classes: int = 4, length: int = 50, channels: int = 8, noise: float = 0.5,
                   window: int = 1) -> Dataset:
    """``n`` sequences (n, length, channels) whose class is given once, early on, then never again.

    One step of each sequence, drawn uniformly per sequence from the first ``window``
    steps (``window`` 1, the default: always step 0), is a clean one-hot pulse in
    channel ``y`` (one of the first ``classes`` channels); every other step is Gaussian
    noise of standard deviation ``noise`` on every channel. A model must find the pulse
    and carry it through at least ``length - window`` noisy steps: a task for gated
    recurrent networks (LSTM, GRU), and hard for a plain RNN, whose state the noise
    rewrites at every step. Where the pulse sits changes from sequence to sequence, so
    no single step holds the class. ``info["signal_steps"]`` is ``[0, window]``: the
    steps the label can depend on (the grader swaps them between sequences to see what a
    model remembers).
    """
    import torch

    check_n(n)
    if classes < 2 or classes > channels:
        raise BadDataset(f"delayed_recall needs 2 <= classes <= channels, not classes={classes}, channels={channels}")
    if length < 2:
        raise BadDataset(f"delayed_recall needs sequences of at least 2 steps, not {length}")
    if window < 1 or window > length:
        raise BadDataset(f"delayed_recall needs 1 <= window <= length (the pulse sits in the first window steps), "
                         f"not window={window}, length={length}")
    g = rng(seed)
    y = balanced_labels(n, classes, g)
    x = noise * torch.randn(n, length, channels, generator=g)
    at = torch.randint(0, window, (n,), generator=g)  # drawn after the noise: window 1 gives the same data as before
    rows = torch.arange(n)
    x[rows, at] = 0.0
    x[rows, at, y] = 1.0
    info = {"kind": "classification", "input_shape": [length, channels], "num_classes": classes,
            "signal_steps": [0, window]}
    return Dataset(x.float(), y.long(), info)
