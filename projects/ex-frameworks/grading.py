"""The judge's side of ex-frameworks: hidden data and starting weights, references written with the gradient's
formula (no autograd), and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake


def _gradient(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: float, scale: float = 1.0) -> tuple:
    """d/d(w, b) of scale * mean((X @ w + b - y) ** 2), by the formula."""
    r = X @ w + b - y  # (N,)
    return scale * 2 * X.T @ r / len(y), scale * 2 * float(r.mean())


def _descend(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor, lr: float, steps: int,
             accumulate: bool = False, summed: bool = False) -> tuple:
    w, b = w.clone(), float(b)
    gw_total, gb_total = torch.zeros_like(w), 0.0
    losses = []
    for _ in range(steps):
        r = X @ w + b - y
        losses.append(float((r ** 2).sum() if summed else (r ** 2).mean()))
        gw, gb = _gradient(X, y, w, b, scale=len(y) if summed else 1.0)
        if accumulate:  # .grad never zeroed: each step uses the sum of every gradient so far
            gw_total, gb_total = gw_total + gw, gb_total + gb
            gw, gb = gw_total, gb_total
        w, b = w - lr * gw, b - lr * gb
    return w, b, torch.tensor(losses, dtype=torch.float64)


def _data(rng: torch.Generator, n: int, features: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor,
                                                                   torch.Tensor]:
    X = torch.randn(n, features, generator=rng, dtype=torch.float64)
    y = X @ torch.randn(features, generator=rng, dtype=torch.float64) + 0.5 + 0.1 * torch.randn(
        n, generator=rng, dtype=torch.float64)
    return X, y, torch.zeros(features, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64)


def _runs(rng: torch.Generator) -> list[Case]:
    w0 = torch.randn(4, generator=rng, dtype=torch.float64)
    X, y, _, b = _data(rng, 30, 4)
    return [
        Case("one feature, 3 steps", *_data(rng, 10, 1), 0.1, 3),
        Case("4 features from random starting weights, 20 steps", X, y, w0, b + 1.0, 0.05, 20),
        Case("a single step", *_data(rng, 8, 2), 0.2, 1),
        Case("a learning rate too large: the loss grows", *_data(rng, 12, 3), 1.2, 5),
        Case("0 steps: nothing changes", *_data(rng, 5, 2), 0.1, 0),
    ]


def _train(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor, lr: float, steps: int) -> tuple:
    return _descend(X, y, w, b, lr, steps)


def _is(case: Case, got: object, want: object, **how: bool) -> bool:
    wrong = _descend(*case.args, **how)
    return not matches(wrong, want) and matches(got, wrong)


@mistake("fit-gradients-accumulate")
def _accumulate(case: Case, got: object, want: object) -> str | None:
    if _is(case, got, want, accumulate=True):
        return ("Your steps use the sum of every gradient so far: backward() adds into .grad, and nothing cleared "
                "it. fit() zeroes the gradients at every step; in your own loop call optimizer.zero_grad() before "
                "loss.backward().")
    return None


@mistake("fit-sum-loss")
def _sum_loss(case: Case, got: object, want: object) -> str | None:
    if _is(case, got, want, summed=True):
        return (f"Your loss is the sum of the squared errors over the {len(case.args[1])} rows, not their mean: the "
                "gradient, and so each step, is that many times too large. Mean squared error averages: "
                "((X @ w + b - y) ** 2).mean().")
    return None


def _batches(rng: torch.Generator) -> list[Case]:
    def start(features: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(features, generator=rng, dtype=torch.float64), torch.randn((), generator=rng,
                                                                                        dtype=torch.float64)

    return [
        Case("12 rows in mini-batches of 4", *_data(rng, 12, 3)[:2], *start(3), 4),
        Case("10 rows in mini-batches of 4: the last one has 2 rows", *_data(rng, 10, 2)[:2], *start(2), 4),
        Case("a mini-batch larger than the data", *_data(rng, 6, 2)[:2], *start(2), 16),
        Case("mini-batches of 1 row", *_data(rng, 5, 1)[:2], *start(1), 1),
        Case("50 rows in mini-batches of 8", *_data(rng, 50, 4)[:2], *start(4), 8),
    ]


def _pieces(X: torch.Tensor, y: torch.Tensor, batch_size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(y), batch_size)]


def _accumulated(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor, batch_size: int) -> tuple:
    return _gradient(X, y, w, float(b))  # what the mini-batches must add up to


def _batch_grads(case: Case, scale: str) -> list[tuple]:
    X, y, w, b, batch_size = case.args
    pieces = _pieces(X, y, batch_size)
    shares = {"none": [1.0] * len(pieces), "share": [len(p[1]) / len(y) for p in pieces],
              "count": [1 / len(pieces)] * len(pieces)}[scale]
    return [_gradient(xb, yb, w, float(b), s) for (xb, yb), s in zip(pieces, shares)]


def _total(grads: list[tuple]) -> tuple:
    return sum(g[0] for g in grads), sum(g[1] for g in grads)


@mistake("accumulate-not-scaled")
def _not_scaled(case: Case, got: object, want: object) -> str | None:
    grads = _batch_grads(case, "none")
    if len(grads) > 1 and matches(got, _total(grads)):
        return (f"Your gradient is the sum of {len(grads)} mini-batch gradients, each of a mean loss: about "
                f"{len(grads)} times too large. Scale each mini-batch's loss by its share of the rows, "
                "len(batch) / N, before backward().")
    return None


@mistake("accumulate-mean-of-batches")
def _mean_of_batches(case: Case, got: object, want: object) -> str | None:
    grads = _batch_grads(case, "count")
    sizes = [len(p[1]) for p in _pieces(case.args[0], case.args[1], case.args[4])]
    if len(set(sizes)) > 1 and matches(got, _total(grads)):
        return (f"You divided each mini-batch's loss by the number of mini-batches, but they hold {sizes} rows: the "
                "small last one weighs as much as a full one. Scale each by its own share of the rows, "
                "len(batch) / N.")
    return None


@mistake("accumulate-zeroed")
def _zeroed(case: Case, got: object, want: object) -> str | None:
    for scale in ("share", "none"):
        grads = _batch_grads(case, scale)
        if len(grads) > 1 and matches(got, grads[-1]):
            return ("Your gradient is the last mini-batch's alone: the gradients were zeroed between mini-batches. "
                    "Here the adding up is the point: zero once before the first mini-batch, then let each "
                    "backward() add into .grad.")
    return None


EXERCISES = [
    Exercise("train_linear", _runs, reference=_train, rtol=1e-7, atol=1e-9, mistakes=[_accumulate, _sum_loss]),
    Exercise("accumulated_gradient", _batches, reference=_accumulated, rtol=1e-7, atol=1e-9,
             mistakes=[_not_scaled, _mean_of_batches, _zeroed]),
]
