"""The judge's side of ex-embeddings-tokenization: hidden texts, ids and tables, the references, and the
mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

from collections import Counter

import torch
import torch.nn.functional as F
from torch import nn

from dlpath.grading.exercises import Case, Exercise, finite, matches, mistake

# ------------------------------------------------------------------ a vocabulary and a padded batch


def _encode(train_texts: list[str], texts: list[str], min_count: int, fitted_on: list[str] | None = None,
            unknown: int = 1) -> torch.Tensor:
    counts = Counter(" ".join(train_texts if fitted_on is None else fitted_on).split())
    vocab = {w: i + 2 for i, w in enumerate(sorted(w for w, n in counts.items() if n >= min_count))}
    rows = [[vocab.get(w, unknown) for w in text.split()] for text in texts]
    width = max((len(r) for r in rows), default=0)
    return torch.tensor([r + [0] * (width - len(r)) for r in rows], dtype=torch.int64).reshape(len(texts), width)


ANIMALS, FOODS = ["cat", "dog", "cow", "horse"], ["fish", "meat", "grass", "hay"]


def _texts(rng: torch.Generator) -> list[Case]:
    def pick(words: list[str]) -> str:
        return words[int(torch.randint(0, len(words), (), generator=rng))]

    def sentences(n: int) -> list[str]:
        patterns = ["the {a} eats {f}", "a {a} sleeps", "the {f} is fresh", "my {a} runs"]
        return [pick(patterns).format(a=pick(ANIMALS), f=pick(FOODS)) for _ in range(n)]

    train = sentences(12)
    return [
        Case("a test sentence with a word never seen in training", train, ["the wolf eats hay", "a cat sleeps"], 1),
        Case("min_count 2: a word seen once is unknown", train + ["my zebra runs"],
             ["my zebra runs", "the dog is fresh"], 2),
        Case("texts of different lengths", sentences(8), ["a dog sleeps", "the cow eats fish today", "my cat"], 1),
        Case("an empty text in the batch", sentences(6), ["the hay is fresh", ""], 1),
        Case("every text empty", sentences(5), ["", ""], 1),
        Case("capitals are other words: 'The' is not 'the'", ["the cat sleeps", "the dog sleeps"],
             ["The cat sleeps"], 1),
    ]


@mistake("vocab-from-all-data")
def _all_data(case: Case, got: object, want: object) -> str | None:
    train, texts, min_count = case.args
    if matches(got, _encode(train, texts, min_count, fitted_on=train + texts)) and not matches(
            want, _encode(train, texts, min_count, fitted_on=train + texts)):
        return ("Words of the texts you encode got their own ids: the vocabulary was built from all the data. Fit it "
                "on train_texts only; a word the model never trained on must be UNK (1), as it will be in use.")
    return None


@mistake("vocab-min-count-ignored")
def _rare(case: Case, got: object, want: object) -> str | None:
    train, texts, min_count = case.args
    if min_count > 1 and matches(got, _encode(train, texts, 1)):
        return (f"Words seen fewer than min_count = {min_count} times in training kept their own ids. Keep only "
                "words with count >= min_count: a rare word's vector barely trains, so it is better read as UNK.")
    return None


@mistake("encode-unknown-as-padding")
def _unknown_pad(case: Case, got: object, want: object) -> str | None:
    if matches(got, _encode(*case.args, unknown=0)):
        return ("An unknown word got id 0, the padding id, so the model will skip it as if it were not there. Give "
                "every word outside the vocabulary UNK, id 1, and keep 0 for padding only.")
    return None


# ------------------------------------------------------------------ the mean of a sentence's embeddings


def _mean(ids: torch.Tensor, weight: torch.Tensor, padding_idx: int) -> torch.Tensor:
    table = nn.Embedding.from_pretrained(weight.double(), padding_idx=padding_idx)
    with torch.no_grad():
        vectors = table(ids)  # (B, T, D)
        real = (ids != padding_idx).double()  # (B, T)
        out = torch.einsum("btd,bt->bd", vectors, real) / real.sum(dim=1, keepdim=True).clamp_min(1)
    return out.to(weight.dtype)


def _ids(rng: torch.Generator) -> list[Case]:
    def table(v: int, d: int, padding_idx: int) -> torch.Tensor:
        w = torch.randn(v, d, generator=rng)
        w[padding_idx] = 0  # as nn.Embedding(padding_idx=...) keeps it
        return w

    def padded(lengths: list[int], v: int, padding_idx: int) -> torch.Tensor:
        real = [i for i in range(v) if i != padding_idx]
        ids = torch.full((len(lengths), max(lengths)), padding_idx, dtype=torch.int64)
        for row, n in enumerate(lengths):
            ids[row, :n] = torch.tensor(real)[torch.randint(0, len(real), (n,), generator=rng)]
        return ids

    return [
        Case("3 sentences of lengths 4, 2 and 3, padding id 0", padded([4, 2, 3], 10, 0), table(10, 5, 0), 0),
        Case("no padding at all", padded([3, 3], 8, 0), table(8, 4, 0), 0),
        Case("a sentence of padding only", padded([3, 0, 2], 10, 0), table(10, 6, 0), 0),
        Case("padding id 9, the last row of the table", padded([2, 5, 1], 10, 9), table(10, 3, 9), 9),
        Case("one sentence of one word", padded([1], 6, 0), table(6, 4, 0), 0),
    ]


@mistake("embedding-empty-row-nan")
def _empty(case: Case, got: object, want: object) -> str | None:
    if finite(want) and not finite(got):
        return ("A sentence of padding only has 0 real tokens, and 0 / 0 is nan. Clamp the count to at least 1: its "
                "sum is zeros, so its mean comes out as zeros.")
    return None


@mistake("embedding-padding-id-hardcoded")
def _pad_zero(case: Case, got: object, want: object) -> str | None:
    ids, weight, padding_idx = case.args
    if padding_idx != 0 and matches(got, _mean(ids, weight, 0)):
        return (f"Here padding_idx is {padding_idx}, but you treated id 0 as the padding. Compare the ids with the "
                "padding_idx argument: a vocabulary may put its padding token anywhere.")
    return None


@mistake("embedding-mean-counts-padding")
def _counts_padding(case: Case, got: object, want: object) -> str | None:
    ids, weight, _ = case.args
    if matches(got, weight[ids].mean(dim=1)):
        return ("You averaged over all T positions, padding included: a short sentence's mean shrinks towards zero "
                "just for being short. Divide the sum by the number of real tokens (ids != padding_idx) instead.")
    return None


# ------------------------------------------------------------------ cosine neighbours


def _neighbours(vectors: torch.Tensor, index: int, k: int) -> torch.Tensor:
    v = vectors.double()
    norms = v.norm(dim=1)
    cos = torch.where(norms > 0, (v @ v[index]) / (norms * norms[index]).clamp_min(1e-300), torch.zeros_like(norms))
    cos[index] = -2.0  # below every cosine
    return cos.argsort(descending=True)[:k]


def _tables(rng: torch.Generator) -> list[Case]:
    def table(v: int, d: int, zero: int | None = None, long_rows: int = 0) -> torch.Tensor:
        """A table whose top similarities to row 1 are well apart (no near-tie), maybe with a zero row and some
        rows ten times longer than the others."""
        while True:
            w = torch.randn(v, d, generator=rng)
            if zero is not None:
                w[zero] = 0
            w[2:2 + long_rows] *= 10
            unit = F.normalize(w.double(), dim=1)
            top = (unit @ unit[1]).sort(descending=True).values
            if bool(((top[:-1] - top[1:]) > 1e-3).all()):
                return w

    return [
        Case("20 vectors of 8 numbers, 3 neighbours of row 1", table(20, 8), 1, 3),
        Case("rows 2 to 5 ten times longer (frequent tokens)", table(15, 6, long_rows=4), 1, 4),
        Case("row 0 is a padding row of zeros", table(12, 5, zero=0), 1, 3),
        Case("every other row as a neighbour", table(6, 4, zero=0), 1, 5),
        Case("a single neighbour", table(10, 3), 1, 1),
    ]


def _rows(got: object) -> list[int] | None:
    try:
        return [int(i) for i in torch.as_tensor(got).reshape(-1).tolist()]
    except (TypeError, ValueError, RuntimeError):
        return None


@mistake("neighbours-include-self")
def _self(case: Case, got: object, want: object) -> str | None:
    rows = _rows(got)
    if rows and case.args[1] in rows:
        return (f"Row {case.args[1]} is among its own neighbours: its cosine with itself is 1, the highest. Leave the "
                "query out (set its similarity to -inf before sorting).")
    return None


@mistake("neighbours-zero-vector-nan")
def _zero_row(case: Case, got: object, want: object) -> str | None:
    vectors = case.args[0]
    zero = [i for i in range((vectors.shape[0])) if not bool(vectors[i].any())]
    rows = _rows(got)
    if rows and zero and zero[0] in rows and zero[0] not in want.tolist():
        return (f"Row {zero[0]} is all zeros and came out as a neighbour: v / v.norm() is 0 / 0 = nan there, and "
                "sorting puts nan first. Use F.normalize (it leaves a zero row at zero, cosine 0), or clamp the norms.")
    return None


@mistake("neighbours-raw-dot")
def _dot(case: Case, got: object, want: object) -> str | None:
    vectors, index, k = case.args
    dots = vectors.double() @ vectors[index].double()
    dots[index] = float("-inf")
    if matches(got, dots.argsort(descending=True)[:k]) and not matches(want, dots.argsort(descending=True)[:k]):
        return ("You ranked by raw dot products, so long vectors win whatever their direction (a token's length "
                "mostly reflects how often it appeared). Normalize the rows first: cosine compares directions.")
    return None


@mistake("neighbours-least-similar")
def _ascending(case: Case, got: object, want: object) -> str | None:
    vectors, index, k = case.args
    order = _neighbours(vectors, index, vectors.shape[0] - 1)
    if matches(got, order.flip(0)[:k]) or matches(got, order[:k].flip(0)):
        return ("Your rows are in the wrong order: sort from the most similar (the highest cosine) down, "
                "argsort(descending=True) or topk.")
    return None


EXERCISES = [
    Exercise("encode", _texts, reference=_encode, mistakes=[_all_data, _rare, _unknown_pad]),
    Exercise("mean_embedding", _ids, reference=_mean, rtol=1e-4, atol=1e-6,
             mistakes=[_empty, _pad_zero, _counts_padding]),
    Exercise("nearest_neighbours", _tables, reference=_neighbours,
             mistakes=[_self, _zero_row, _dot, _ascending]),
]
