"""The judge's side of ex-attention-transformers: hidden queries, keys, values and masks, references, mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import torch

from dlpath.grading.exercises import Case, Exercise, finite, matches, mistake


def _causal(T: int) -> torch.Tensor:
    return torch.ones(T, T, dtype=torch.bool).tril()


def _lengths(rng: torch.Generator) -> list[Case]:
    return [Case("4 positions", 4), Case("a single position", 1),
            Case(f"{(n := int(torch.randint(6, 12, (1,), generator=rng)))} positions", n)]


@mistake("mask-sees-future")
def _future(case: Case, got: object, want: object) -> str | None:
    T = case.args[0]
    if T > 1 and (matches(got, ~_causal(T)) or matches(got, torch.ones(T, T, dtype=torch.bool).triu())):
        return ("Your mask is True above the diagonal: position 0 could look at every later position. The mask says "
                "where a position MAY look: True on and below the diagonal (tril). The lesson's `future` is the "
                "opposite: the positions to hide.")
    return None


@mistake("mask-hides-itself")
def _itself(case: Case, got: object, want: object) -> str | None:
    T = case.args[0]
    if matches(got, torch.ones(T, T, dtype=torch.bool).tril(-1)):
        return ("Your mask is False on the diagonal, so a position cannot look at itself, and position 0 can look "
                "at nothing at all. Position i may look at 0..i, itself included: tril(), not tril(-1).")
    return None


def _attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor, *, scale: bool = True,
               keys_axis: int = -1, empty: str = "zero") -> torch.Tensor:
    """The right answer (and, with other settings, the answers of plausible mistakes), in float64."""
    scores = q.double() @ k.double().transpose(-2, -1)
    if scale:
        scores = scores / q.shape[-1] ** 0.5
    allowed = mask.expand(scores.shape)
    scores = scores.masked_fill(~allowed, float("-inf") if empty != "uniform" else -1e9)
    weights = scores.softmax(dim=keys_axis)
    if empty == "zero":
        weights = weights.nan_to_num(0.0)
    return (weights @ v.double()).to(q.dtype)


def _tensors(rng: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=rng)


def _queries(rng: torch.Generator) -> list[Case]:
    def qkv(batch: tuple[int, ...], tq: int, tk: int, d: int, dv: int) -> tuple[torch.Tensor, ...]:
        return _tensors(rng, *batch, tq, d), _tensors(rng, *batch, tk, d), _tensors(rng, *batch, tk, dv)

    padded = torch.ones(2, 5, 5, dtype=torch.bool)
    padded[1, :, 3:] = False  # the second sequence has 3 real tokens and 2 of padding
    padded[1, 3:, :] = False  # and its padding queries may look at nothing
    return [
        Case("self-attention over 5 positions, nothing masked", *qkv((2,), 5, 5, 8, 8),
             torch.ones(5, 5, dtype=torch.bool)),
        Case("a causal mask over 6 positions", *qkv((2,), 6, 6, 4, 4), _causal(6)),
        Case("vectors of size 64, where unscaled scores grow large", *qkv((1,), 4, 4, 64, 3),
             torch.ones(4, 4, dtype=torch.bool)),
        Case("3 queries attending to 7 keys (the mask cuts the last 2)", *qkv((2,), 3, 7, 5, 6),
             torch.tensor([[True] * 5 + [False] * 2] * 3)),
        Case("a batch of 2 with 3 heads and a causal mask", *qkv((2, 3), 4, 4, 8, 8), _causal(4)),
        Case("a padded batch: padding queries may look at no key", *qkv((2,), 5, 5, 4, 4), padded),
    ]


def _matches_variant(case: Case, got: object, **variant: object) -> bool:
    return matches(got, _attention(*case.args, **variant), rtol=1e-4, atol=1e-5)


@mistake("attention-masked-row-nan")
def _nan_row(case: Case, got: object, want: object) -> str | None:
    if not finite(got) and finite(want):
        return ("A query that may look at no key got nan: the softmax of a row of -inf is 0 / 0. Its weights must "
                "all be 0, and so its output: weights.nan_to_num(0.0) after the softmax, or zero those rows.")
    return None


@mistake("attention-masked-row-uniform")
def _uniform_row(case: Case, got: object, want: object) -> str | None:
    if _matches_variant(case, got, empty="uniform"):
        return ("A query that may look at no key got the plain average of all values: a large negative number "
                "instead of -inf spreads its weights evenly. It must get weights of 0 and an output of 0.")
    return None


@mistake("attention-not-scaled")
def _not_scaled(case: Case, got: object, want: object) -> str | None:
    if _matches_variant(case, got, scale=False):
        return ("Your scores are not divided by sqrt(d) (d = q.shape[-1]). Without it, scores grow with the vector "
                "size and the softmax goes all-or-nothing, where its gradients vanish.")
    return None


@mistake("attention-mask-inverted")
def _inverted(case: Case, got: object, want: object) -> str | None:
    q, k, v, mask = case.args
    if not bool(mask.all()) and matches(got, _attention(q, k, v, ~mask, empty="zero"), rtol=1e-4, atol=1e-5):
        return ("Your mask is inverted: True means the query MAY look at the key, so hide where it is False: "
                "scores.masked_fill(~mask, float('-inf')).")
    return None


@mistake("attention-softmax-axis")
def _axis(case: Case, got: object, want: object) -> str | None:
    if _matches_variant(case, got, keys_axis=-2):
        return ("Your softmax runs over the queries (dim=-2). Each query shares its attention among the keys: "
                "softmax over the last axis (dim=-1), so that each row of weights sums to 1.")
    return None


EXERCISES = [
    Exercise("causal_mask", _lengths, reference=_causal, mistakes=[_future, _itself]),
    Exercise("attention", _queries, reference=_attention, rtol=1e-4, atol=1e-5,
             mistakes=[_nan_row, _uniform_row, _not_scaled, _inverted, _axis]),
]
