"""The judge's side of ex-calibration: hidden predictions and logits, the references, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from dlpath.grading.exercises import Case, Exercise, finite, matches, mistake

# ------------------------------------------------------------------ the reliability table


def _table(probs: torch.Tensor, labels: torch.Tensor, bins: int, closed_left: bool = False,
           weighted: bool = True, signed: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """The table with torch.bucketize; the switches give the mistakes' answers."""
    conf, pred = probs.max(dim=1)
    correct = (pred == labels).double()
    edges = torch.arange(1, bins, dtype=torch.float64).div(bins).to(conf.dtype)  # inner edges, conf's precision
    which = torch.bucketize(conf, edges, right=closed_left)  # (lo, hi] unless closed_left: [lo, hi)
    if closed_left:
        keep = conf < 1  # [lo, hi) bins have no room for a confidence of 1
        which, conf, correct = which[keep], conf[keep], correct[keep]
    counts = torch.bincount(which, minlength=bins)
    total = torch.zeros(bins, dtype=torch.float64).index_add_(0, which, conf.double())
    right = torch.zeros(bins, dtype=torch.float64).index_add_(0, which, correct)
    seen = counts.clamp_min(1).double()
    confidence, accuracy = total / seen, right / seen
    gaps = confidence - accuracy if signed else (confidence - accuracy).abs()
    filled = counts > 0
    ece = float((counts.double() / labels.numel() * gaps).sum()) if weighted else float(gaps[filled].mean())
    return counts, confidence, accuracy, ece


def _predictions(rng: torch.Generator) -> list[Case]:
    def overconfident(n: int, k: int, sharp: float) -> tuple[torch.Tensor, torch.Tensor]:
        base = torch.randn(n, k, generator=rng)
        labels = torch.multinomial(base.softmax(dim=1), 1, generator=rng).reshape(-1)
        return (sharp * base).softmax(dim=1), labels

    sure = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    edges = torch.tensor([[0.5, 0.25, 0.25], [0.75, 0.125, 0.125], [0.25, 0.5, 0.25], [0.3, 0.3, 0.4]])
    return [
        Case("300 overconfident predictions of 3 classes, 5 bins", *overconfident(300, 3, 4.0), 5),
        Case("200 predictions of 2 classes, 10 bins", *overconfident(200, 2, 2.0), 10),
        Case("confidences of exactly 1 (one-hot predictions), 4 bins", sure, torch.tensor([0, 2, 0, 2]), 4),
        Case("confidences exactly on the bin edges 0.5 and 0.75, 4 bins", edges, torch.tensor([0, 0, 1, 2]), 4),
        Case("50 predictions of 10 classes, 8 bins (the low bins stay empty)", *overconfident(50, 10, 3.0), 8),
        Case("a single prediction, 3 bins", torch.tensor([[0.1, 0.9]]), torch.tensor([0]), 3),
    ]


def _four(got: object) -> bool:
    return isinstance(got, (tuple, list)) and len(got) == 4


@mistake("reliability-empty-bin-nan")
def _empty(case: Case, got: object, want: object) -> str | None:
    if _four(got) and not finite(list(got[1:])):
        empty = [b for b, c in enumerate(want[0].tolist()) if c == 0]
        return (f"Bin {empty[0] if empty else '?'} holds no prediction, and the mean of nothing is 0 / 0 = nan, which "
                "then spreads into the ECE. An empty bin has confidence 0 and accuracy 0, and adds nothing to the ECE.")
    return None


@mistake("reliability-bin-edges")
def _edges(case: Case, got: object, want: object) -> str | None:
    bins = case.args[2]
    if _four(got) and not matches(got[0], want[0]) and (
            matches(got[0], _table(*case.args, closed_left=True)[0])
            or matches(got[0], torch.bincount((case.args[0].max(dim=1).values * bins).long().clamp_max(bins - 1),
                                              minlength=bins))):
        return ("Your bins are closed on the left, [lo, hi). The lesson's are closed on the right, lo < conf <= hi: "
                "a confidence of exactly 0.5 belongs to (0.25, 0.5], and a confidence of 1 to the last bin.")
    return None


@mistake("ece-unweighted")
def _unweighted(case: Case, got: object, want: object) -> str | None:
    if _four(got) and matches(list(got[:3]), list(want[:3])) and matches(got[3], _table(*case.args, weighted=False)[3]):
        return ("Your table is right; your ECE averages the gaps of the filled bins as if each held as many "
                "predictions. Weigh each bin's gap by the share of predictions in it, count / N, and add them up.")
    return None


@mistake("ece-signed")
def _signed(case: Case, got: object, want: object) -> str | None:
    if _four(got) and matches(list(got[:3]), list(want[:3])) and matches(got[3], _table(*case.args, signed=True)[3]):
        return ("Your table is right; your ECE adds signed gaps, so an overconfident bin and an underconfident one "
                "cancel out. Add the absolute gaps |confidence - accuracy|: each one is a miscalibration.")
    return None


# ------------------------------------------------------------------ the temperature


def _nll(logits: torch.Tensor, labels: torch.Tensor, t: float) -> float:
    return float(F.cross_entropy(logits.double() / t, labels))


def _temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Golden-section search of the validation cross-entropy over log T in [-4, 4] (T from 0.018 to 55), in
    float64."""
    ratio = (math.sqrt(5) - 1) / 2
    lo, hi = -4.0, 4.0
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = _nll(logits, labels, math.exp(a)), _nll(logits, labels, math.exp(b))
    while hi - lo > 1e-6:
        if fa < fb:  # the minimum is left of b
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = _nll(logits, labels, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = _nll(logits, labels, math.exp(b))
    return math.exp((lo + hi) / 2)


def _logits(rng: torch.Generator) -> list[Case]:
    def model(n: int, k: int, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
        honest = 1.5 * torch.randn(n, k, generator=rng)  # the probabilities the labels are drawn from
        labels = torch.multinomial(honest.softmax(dim=1), 1, generator=rng).reshape(-1)
        return scale * honest, labels

    factor = 3 + 3 * float(torch.rand((), generator=rng))
    return [
        Case(f"an overconfident model: 300 logits of 3 classes, {factor:.1f} times too large", *model(300, 3, factor)),
        Case("an underconfident model: logits a third of the honest size", *model(300, 3, 1 / 3)),
        Case("two classes, overconfident", *model(200, 2, 4.0)),
        Case("10 classes, overconfident", *model(300, 10, 2.5)),
        Case("an almost calibrated model", *model(300, 4, 1.0)),
    ]


def _number(got: object) -> float | None:
    try:
        return float(got)  # type: ignore[arg-type]
    except (TypeError, ValueError, RuntimeError):
        return None


@mistake("temperature-multiplied")
def _multiplied(case: Case, got: object, want: object) -> str | None:
    t = _number(got)
    if t is not None and t > 0 and abs(math.log(want)) > 0.1 and abs(math.log(t * want)) < 0.02:
        return (f"Your T = {t:.3g} is 1 / {1 / t:.3g}: you fitted logits * T. Temperature scaling divides, "
                "softmax(logits / T), so T > 1 softens an overconfident model. Return the T that divides.")
    return None


@mistake("temperature-below-one")
def _floor(case: Case, got: object, want: object) -> str | None:
    t = _number(got)
    if t is not None and want < 0.9 and abs(t - 1) < 0.02:
        return (f"This model is underconfident and its best temperature is {want:.3g}, below 1, which sharpens the "
                "probabilities; you returned 1. Let the fit go below 1: search log T, or T over a range that starts "
                "well under 1.")
    return None


@mistake("temperature-not-converged")
def _unconverged(case: Case, got: object, want: object) -> str | None:
    t = _number(got)
    if t is None:
        return None
    best = _nll(*case.args, want)
    if not (t > 0 and math.isfinite(t)) or _nll(*case.args, t) > best + 1e-4:
        reached = f"{_nll(*case.args, t):.4f}" if t > 0 and math.isfinite(t) else "nothing"
        return (f"Your T = {t:.4g} is not the minimum: its validation cross-entropy is {reached}, T = {want:.4g} gives "
                f"{best:.4f}. The fit stopped short or ran away: optimize log T to convergence (LBFGS with "
                "line_search_fn='strong_wolfe'), or search it finely.")
    return None


EXERCISES = [
    Exercise("reliability_table", _predictions, reference=_table,
             mistakes=[_empty, _edges, _unweighted, _signed]),
    Exercise("fit_temperature", _logits, reference=_temperature, rtol=1e-2, atol=0.0,
             mistakes=[_multiplied, _floor, _unconverged]),
]
