"""The judge's side of ex-overfitting-underfitting: hidden curves and errors, the references, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

NAN = float("nan")

# ------------------------------------------------------------------ the best epoch


def _best(train_losses: torch.Tensor, val_losses: torch.Tensor) -> int:
    v = torch.nan_to_num(val_losses.double(), nan=float("inf"))
    return int((v == v.min()).nonzero()[0])  # the first of the lowest


def _curves(rng: torch.Generator) -> list[Case]:
    def curves(epochs: int, turn: float, rise: float = 0.02) -> tuple[torch.Tensor, torch.Tensor]:
        e = torch.arange(epochs, dtype=torch.float64)
        train = 1.5 * torch.exp(-e / 4) + 0.05 + 0.01 * torch.rand(epochs, generator=rng, dtype=torch.float64)
        val = 1.5 * torch.exp(-e / 4) + 0.25 + rise * (e - turn).clamp_min(0) ** 1.5
        return train.float(), (val + 0.01 * torch.rand(epochs, generator=rng, dtype=torch.float64)).float()

    turn = int(torch.randint(4, 8, (), generator=rng))
    still_falling = curves(9, 50.0)
    tie = curves(10, 4.0, rise=0.1)
    low = int(tie[1].argmin())
    tie[1][low + 1] = tie[1][low]  # two epochs side by side with one lowest value
    nan = curves(12, 6.0)
    nan[1][3] = NAN
    nan_first = curves(6, 2.0)
    nan_first[1][0] = NAN
    return [
        Case("validation falls, then rises, while training keeps falling", *curves(15, turn)),
        Case("both curves still falling at the last epoch", *still_falling),
        Case("two epochs tie for the lowest validation loss", *tie),
        Case("epoch 3 diverged: its validation loss is nan", *nan),
        Case("the first epoch's validation loss is nan", *nan_first),
        Case("validation is lowest at the very first epoch", torch.tensor([0.9, 0.7, 0.5, 0.4]),
             torch.tensor([0.6, 0.65, 0.8, 0.9])),
        Case("a single epoch", torch.tensor([0.7]), torch.tensor([0.75])),
    ]


@mistake("best-epoch-training-loss")
def _training(case: Case, got: object, want: object) -> str | None:
    train, val = case.args
    if matches(got, int(train.argmin())) and not matches(got, want):
        return (f"Epoch {got} has the lowest training loss, not the lowest validation loss (epoch {want}). Training "
                "loss keeps falling while the model memorizes; the epoch to keep is where validation is lowest.")
    return None


@mistake("best-epoch-nan")
def _nan(case: Case, got: object, want: object) -> str | None:
    _, val = case.args
    try:
        epoch = int(got)  # type: ignore[call-overload]
    except (TypeError, ValueError, RuntimeError):
        return None
    if 0 <= epoch < val.numel() and bool(torch.isnan(val[epoch])):
        return (f"You picked epoch {epoch}, whose validation loss is nan: torch.argmin treats nan as the lowest "
                "value. A diverged epoch is never the best: skip nan values (or treat them as +inf).")
    return None


@mistake("best-epoch-tie")
def _tie(case: Case, got: object, want: object) -> str | None:
    _, val = case.args
    lowest = torch.nan_to_num(val, nan=float("inf"))
    ties = (lowest == lowest.min()).nonzero().reshape(-1).tolist()
    if len(ties) > 1 and matches(got, ties[-1]):
        return (f"Epochs {ties} tie for the lowest validation loss and you kept the last one. Keep the earliest "
                "(a strict <): it reached the same result with less training, so it had less time to memorize.")
    return None


# ------------------------------------------------------------------ the diagnosis


def _verdicts(train_errors: torch.Tensor, val_errors: torch.Tensor, target: float) -> list[str]:
    good = val_errors <= target
    under = ~good & (train_errors > target)
    return ["good" if g else "underfitting" if u else "overfitting" for g, u in zip(good.tolist(), under.tolist())]


def _errors(rng: torch.Generator) -> list[Case]:
    def models(m: int, target: float) -> tuple[torch.Tensor, torch.Tensor]:
        train = target * (0.2 + 2 * torch.rand(m, generator=rng, dtype=torch.float64))
        return train, train + target * 2 * torch.rand(m, generator=rng, dtype=torch.float64)

    return [
        Case("the lesson's polynomials of degree 1, 4 and 12, accepting an error of 0.06",
             torch.tensor([0.111, 0.01, 0.007]), torch.tensor([0.252, 0.055, 0.16]), 0.06),
        Case("12 models, accepting an error of 0.3", *models(12, 0.3), 0.3),
        Case("a model whose validation error is below its training error (dropout is on in training)",
             torch.tensor([0.4, 0.2, 0.1]), torch.tensor([0.3, 0.25, 0.6]), 0.32),
        Case("errors exactly at the target", torch.tensor([0.5, 0.5, 0.1]), torch.tensor([0.5, 0.9, 0.5]), 0.5),
        Case("20 models, accepting an error of 2", *models(20, 2.0), 2.0),
    ]


@mistake("diagnosis-training-only")
def _training_only(case: Case, got: object, want: object) -> str | None:
    train, val, target = case.args
    only = ["good" if t <= target else "underfitting" for t in train.tolist()]
    if matches(got, only) and not matches(only, want):
        return ("You judged the models by their training error alone, so a model that memorized its training data "
                "looks good. A model is good when its validation error is low; a low training error with a high "
                "validation error is overfitting.")
    return None


@mistake("diagnosis-swapped")
def _swapped(case: Case, got: object, want: object) -> str | None:
    swap = {"underfitting": "overfitting", "overfitting": "underfitting", "good": "good"}
    if isinstance(got, (list, tuple)) and matches(got, [swap[w] for w in want]):
        return ("Underfitting and overfitting are swapped. Underfitting: even the training error is high (the model "
                "learned too little). Overfitting: a low training error and a much higher validation error "
                "(it memorized).")
    return None


@mistake("diagnosis-val-below-train")
def _training_first(case: Case, got: object, want: object) -> str | None:
    train, val, target = case.args
    first = ["underfitting" if t > target else "good" if v <= target else "overfitting"
             for t, v in zip(train.tolist(), val.tolist())]
    if matches(got, first) and not matches(first, want):
        return ("A model with a validation error within the target is good, even when its training error is higher: "
                "dropout and augmentation act only in training, so validation can be lower. Check the validation "
                "error first.")
    return None


EXERCISES = [
    Exercise("best_epoch", _curves, reference=_best, mistakes=[_nan, _tie, _training]),
    Exercise("diagnose", _errors, reference=_verdicts, mistakes=[_training_only, _swapped, _training_first]),
]
