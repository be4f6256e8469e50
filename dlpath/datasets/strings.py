"""Strings of digits and what to write after them: ``digit_strings`` (reverse or sort, for sequence models).

The rule is a known algorithm, so the world hides something in it: in any world but 0 the answer's
digits are written in a secret code (a substitution of the ten digits), which a model learns from the
data like the rest of the rule, and which a reversal written by hand cannot know.
"""

from __future__ import annotations

from dlpath.datasets.base import BadDataset, Dataset, check_n, generator, rng

OPERATIONS = ("reverse", "sort")
TOKENS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "=", "_")  # digits, the separator, the blank
SEPARATOR = 10
BLANK = 11
IGNORE = -100  # targets at positions that are not graded (the prompt), as F.cross_entropy's ignore_index


@generator("sequence_to_sequence")
def digit_strings(n: int, seed: int, *, length: int = 8, operation: str = "reverse", world_seed: int = 0) -> Dataset:
    """``n`` prompts of ``length`` random digits and ``=``, each followed by its answer: the digits reversed (or sorted).

    Laid out for a next-token model: the whole text is ``digits = answer`` (2 * length + 1
    tokens); ``x`` (n, 2 * length) int64 is the text without its last token and ``y`` the
    text shifted by one (the token that comes next at each position), with ``-100`` at
    the prompt's positions, which are not graded. Tokens: 0-9 the digits, 10 ``=``,
    11 a blank (``info["blank"]``) that stands for answer tokens not written yet.
    ``world_seed`` 0 writes the answer's digits as they are; any other world writes each
    answer digit ``d`` as ``code[d]``, a permutation of 0-9 that the world draws (never the
    identity) and that nothing but the rows shows: the answer is ``code[reverse(digits)]``
    (or ``code[sort(digits)]``). The prompts are the same in every world.
    """
    import torch

    check_n(n)
    if length < 2:
        raise BadDataset(f"digit_strings needs at least 2 digits, not {length}")
    if operation not in OPERATIONS:
        raise BadDataset(f"digit_strings: operation must be one of {', '.join(OPERATIONS)}, not {operation!r}")
    g = rng(seed)
    digits = torch.randint(0, 10, (n, length), generator=g)
    answer = digits.flip(1) if operation == "reverse" else digits.sort(dim=1).values
    if world_seed:
        answer = _code(world_seed)[answer]  # the answer's digits in the world's secret code
    text = torch.cat([digits, torch.full((n, 1), SEPARATOR), answer], dim=1)  # (n, 2L + 1)
    x, y = text[:, :-1].clone(), text[:, 1:].clone()
    y[:, :length] = IGNORE
    info = {"kind": "sequence_to_sequence", "input_shape": [2 * length], "vocab_size": len(TOKENS),
            "tokens": list(TOKENS), "prompt_length": length + 1, "answer_length": length, "blank": BLANK,
            "ignore_index": IGNORE, "operation": operation}
    return Dataset(x.long(), y.long(), info)


def _code(world_seed: int) -> "torch.Tensor":
    """The world's substitution of the ten digits (10,) int64: digit ``d`` is written ``code[d]``; never the identity."""
    import torch

    world = rng(world_seed)
    while True:
        code = torch.randperm(10, generator=world)
        if not torch.equal(code, torch.arange(10)):
            return code
