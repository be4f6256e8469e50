"""Sequences whose label was given long ago: ``delayed_recall``."""

from __future__ import annotations

from dlpath.datasets.base import BadDataset, Dataset, balanced_labels, check_n, generator, rng


@generator("classification")
def delayed_recall(n: int, seed: int, *, classes: int = 4, length: int = 50, channels: int = 8, noise: float = 0.5) -> Dataset:
    """``n`` sequences (n, length, channels) whose class is given once, at the first step, then never again.

    Step 0 is a clean one-hot pulse in channel ``y`` (one of the first ``classes``
    channels); every later step is Gaussian noise of standard deviation ``noise`` on
    every channel. A model must carry step 0 through ``length - 1`` noisy steps: a task
    for gated recurrent networks (LSTM, GRU), and hard for a plain RNN, whose state the
    noise rewrites at every step. ``info["signal_steps"]`` is ``[0, 1]``: the steps the
    label depends on (the grader swaps them between sequences to see what a model
    remembers).
    """
    import torch

    check_n(n)
    if classes < 2 or classes > channels:
        raise BadDataset(f"delayed_recall needs 2 <= classes <= channels, not classes={classes}, channels={channels}")
    if length < 2:
        raise BadDataset(f"delayed_recall needs sequences of at least 2 steps, not {length}")
    g = rng(seed)
    y = balanced_labels(n, classes, g)
    x = noise * torch.randn(n, length, channels, generator=g)
    x[:, 0] = 0.0
    x[torch.arange(n), 0, y] = 1.0
    info = {"kind": "classification", "input_shape": [length, channels], "num_classes": classes,
            "signal_steps": [0, 1]}
    return Dataset(x.float(), y.long(), info)
