"""The judge's side of ex-llm-practice: hidden layers, embeddings and answers, the references, and the mistakes.

Only the judge imports this file; the learner's process never sees it. The LoRA oracle is the
lesson's merged weight, W + (alpha / r) B A, applied as one linear layer.
"""

from __future__ import annotations

import re
from collections import Counter

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake


def _merged(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
            alpha: float, scale: float | None = None) -> torch.Tensor:
    scale = alpha / A.shape[0] if scale is None else scale
    merged = weight.double() + scale * B.double() @ A.double()  # fold the adapter into W
    return torch.nn.functional.linear(x.double(), merged, bias.double())


def _layers(rng: torch.Generator) -> list[Case]:
    def layer(d_in: int, d_out: int, r: int, *batch: int, zero_b: bool = False) -> tuple[torch.Tensor, ...]:
        x = torch.randn(*batch, d_in, generator=rng)
        weight, bias = torch.randn(d_out, d_in, generator=rng) / d_in ** 0.5, torch.randn(d_out, generator=rng)
        A = 0.5 * torch.randn(r, d_in, generator=rng)
        B = torch.zeros(d_out, r) if zero_b else torch.randn(d_out, r, generator=rng)
        return x, weight, bias, A, B

    return [
        Case("the lesson's layer: d = 64, r = 4, alpha = 8", *layer(64, 64, 4, 5), 8),
        Case("B still zero: training starts from the pretrained layer exactly", *layer(16, 16, 4, 3, zero_b=True), 8),
        Case("a layer that is not square: 6 inputs, 3 outputs, r = 2, alpha = 16", *layer(6, 3, 2, 4), 16),
        Case("rank 1, alpha = 1", *layer(10, 12, 1, 2), 1),
        Case("a batch of 2 sequences of 3 tokens", *layer(8, 5, 2, 2, 3), 4),
    ]


@mistake("lora-scale-alpha")
def _scale_alpha(case: Case, got: object, want: object) -> str | None:
    alpha, r = case.args[5], case.args[3].shape[0]
    if r > 1 and matches(got, _merged(*case.args, scale=alpha)):
        return (f"You scaled the adapter by alpha = {alpha:g}; the lesson scales it by alpha / r = {alpha / r:g}. "
                "Dividing by the rank keeps the change about the same size when you try another r.")
    return None


@mistake("lora-scale-inverted")
def _scale_inverted(case: Case, got: object, want: object) -> str | None:
    alpha, r = case.args[5], case.args[3].shape[0]
    if alpha != r and matches(got, _merged(*case.args, scale=r / alpha)):
        return (f"Your scale is r / alpha = {r / alpha:g}, upside down: the lesson's LoRALinear sets "
                f"self.scale = alpha / r, {alpha / r:g} here.")
    return None


def _count(d_in: int, d_out: int, r: int, *, square: bool = False, bias: bool = True) -> tuple[int, int]:
    trainable = 2 * r * d_in if square else r * (d_in + d_out)
    return trainable, trainable + d_out * d_in + (d_out if bias else 0)


def _sizes(rng: torch.Generator) -> list[Case]:
    r = int(torch.randint(1, 65, (1,), generator=rng))
    return [
        Case("the lesson's layer: 64 x 64, r = 4", 64, 64, 4),
        Case("a 4096 x 4096 attention projection, r = 8", 4096, 4096, 8),
        Case(f"a layer that is not square: 768 inputs to 3072 outputs, r = {r}", 768, 3072, r),
        Case("3072 inputs to 768 outputs, r = 16", 3072, 768, 16),
        Case("rank 1 on a 10 -> 3 layer", 10, 3, 1),
    ]


@mistake("lora-count-square")
def _count_square(case: Case, got: object, want: object) -> str | None:
    d_in, d_out, _ = case.args
    if d_in != d_out and matches(got, _count(*case.args, square=True)):
        return (f"You counted A and B as if the layer were square. A is (r, d_in) and B is (d_out, r): "
                f"r * ({d_in} + {d_out}) parameters for this {d_in} -> {d_out} layer.")
    return None


@mistake("lora-count-no-bias")
def _count_no_bias(case: Case, got: object, want: object) -> str | None:
    if matches(got, _count(*case.args, bias=False)):
        return ("Your total leaves out the frozen bias (d_out numbers). The lesson's count is trainable + the "
                "weight's d_out * d_in + d: 512 of 4672 for its 64 x 64 layer.")
    return None


def _ranking(query: torch.Tensor, passages: torch.Tensor, k: int, *, normalize: bool = True, descending: bool = True,
             zero_as: float = 0.0) -> torch.Tensor:
    q, p = query.double(), passages.double()
    scores = p @ q
    if normalize:
        norms = p.norm(dim=1) * q.norm()
        scores = torch.where(norms > 0, scores / norms.clamp_min(1e-300), torch.full_like(scores, zero_as))
    order = torch.sort(scores, descending=descending, stable=True).indices
    return order[:min(k, len(order))]


def _separated(rng: torch.Generator, n: int, d: int, lengths: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """A query and n passages whose similarities are at least 1e-3 apart (the ranking has no near-ties)."""
    while True:
        query, passages = torch.randn(d, generator=rng), torch.randn(n, d, generator=rng)
        if lengths:  # some passages much longer than others: their dot products are larger
            passages = passages * (0.2 + 5 * torch.rand(n, 1, generator=rng))
        for scores in (_sims(query, passages), passages.double() @ query.double()):
            gaps = scores.sort().values.diff()
            if len(gaps) and float(gaps.min()) < 1e-3:
                break
        else:
            return query, passages


def _sims(query: torch.Tensor, passages: torch.Tensor) -> torch.Tensor:
    q, p = query.double(), passages.double()
    return (p @ q) / (p.norm(dim=1) * q.norm()).clamp_min(1e-300)


def _questions(rng: torch.Generator) -> list[Case]:
    with_zero = _separated(rng, 7, 6)
    with_zero[1][3] = 0.0  # a passage whose embedding is all zeros (an empty chunk)
    return [
        Case("5 passages, the best 2", *_separated(rng, 5, 8), 2),
        Case("passages of very different lengths: long ones have large dot products", *_separated(rng, 8, 6, True), 3),
        Case("a passage whose embedding is all zeros", *with_zero, 7),
        Case("k larger than the number of passages", *_separated(rng, 4, 5), 10),
        Case("one passage", *_separated(rng, 1, 3), 1),
        Case("30 passages of 16 numbers, the best 5", *_separated(rng, 30, 16), 5),
    ]


def _ranked(got: object, value: torch.Tensor) -> bool:
    return isinstance(got, (torch.Tensor, list, tuple)) and matches(got, value)


@mistake("retrieve-dot-product")
def _dot(case: Case, got: object, want: object) -> str | None:
    if not matches(want, _ranking(*case.args, normalize=False)) and _ranked(got, _ranking(*case.args, normalize=False)):
        return ("You ranked by the dot product, so long passages win because they are long. The cosine divides by "
                "both norms: it measures the angle between question and passage, not their sizes.")
    return None


@mistake("retrieve-ascending")
def _ascending(case: Case, got: object, want: object) -> str | None:
    if len(case.args[1]) > 1 and _ranked(got, _ranking(*case.args, descending=False)):
        return ("You returned the least similar passages first. The highest cosine is the best match: sort in "
                "descending order (torch.topk does).")
    return None


@mistake("retrieve-zero-vector")
def _zero(case: Case, got: object, want: object) -> str | None:
    if bool((case.args[1].norm(dim=1) == 0).any()) and any(
            _ranked(got, _ranking(*case.args, zero_as=v)) for v in (float("inf"), float("-inf"))):
        return ("A passage whose embedding is all zeros got a cosine of 0 / 0 = nan, and nan sorts first (or last). "
                "The lesson's cosine returns 0 when a norm is 0: give it similarity 0 (F.normalize does).")
    return None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _scores(prediction: str, reference: str, *, raw: bool = False, sets: bool = False) -> tuple[float, float]:
    got, want = _words(prediction), _words(reference)
    exact = float(prediction == reference) if raw else float(got == want)
    if not got or not want:
        return exact, float(got == want)
    common = len(set(got) & set(want)) if sets else sum((Counter(got) & Counter(want)).values())
    if common == 0:
        return exact, 0.0
    p, r = common / len(got), common / len(want)
    return exact, 2 * p * r / (p + r)


def _answers(rng: torch.Generator) -> list[Case]:
    return [
        Case("the lesson's 'Two years.' for 'two years'", "Two years.", "two years"),
        Case("a longer reply that contains the reference", "Refunds take 14 days.", "14 days"),
        Case("a word repeated in the reply", "free free for members", "free for members"),
        Case("a word repeated in both", "no no, never", "no no"),
        Case("no word in common", "Yes, always.", "free for members"),
        Case("an empty reply", "", "five to ten days"),
        Case("both empty after normalization", "...", "?"),
    ]


@mistake("em-not-normalized")
def _raw(case: Case, got: object, want: object) -> str | None:
    if matches(got, _scores(*case.args, raw=True)):
        return ("Your exact match compares the raw strings, so 'Two years.' is not 'two years'. State the rule and "
                "apply it to both sides first: lower-case, keep the words (words()), then compare the lists.")
    return None


@mistake("f1-set-overlap")
def _sets(case: Case, got: object, want: object) -> str | None:
    if matches(got, _scores(*case.args, sets=True)):
        return ("Your F1 counts shared words as a set, so a word said twice counts once (or a repeated word in the "
                "reply is matched twice). Count with multiplicity: sum((Counter(pred) & Counter(ref)).values()).")
    return None


EXERCISES = [
    Exercise("lora_forward", _layers, reference=_merged, rtol=1e-4, atol=1e-5,
             mistakes=[_scale_alpha, _scale_inverted]),
    Exercise("lora_parameter_count", _sizes, reference=_count, mistakes=[_count_square, _count_no_bias]),
    Exercise("top_k", _questions, reference=_ranking, mistakes=[_dot, _ascending, _zero]),
    Exercise("answer_scores", _answers, reference=_scores, mistakes=[_raw, _sets]),
]
