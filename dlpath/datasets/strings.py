"""Strings of digits and what to write after them: ``digit_strings`` (reverse or sort, for sequence models)."""

from __future__ import annotations

from dlpath.datasets.base import BadDataset, Dataset, check_n, generator, rng

OPERATIONS = ("reverse", "sort")
TOKENS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "=", "_")  # digits, the separator, the blank
SEPARATOR = 10
BLANK = 11
IGNORE = -100  # targets at positions that are not graded (the prompt), as F.cross_entropy's ignore_index


@generator("sequence_to_sequence")
def digit_strings(n: int, seed: int, *, length: int = 8, operation: str = "reverse") -> Dataset:
    """``n`` prompts of ``length`` random digits and ``=``, each followed by its answer: the digits reversed (or sorted).

    Laid out for a next-token model: the whole text is ``digits = answer`` (2 * length + 1
    tokens); ``x`` (n, 2 * length) int64 is the text without its last token and ``y`` the
    text shifted by one (the token that comes next at each position), with ``-100`` at
    the prompt's positions, which are not graded. Tokens: 0-9 the digits, 10 ``=``,
    11 a blank (``info["blank"]``) that stands for answer tokens not written yet.
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
    text = torch.cat([digits, torch.full((n, 1), SEPARATOR), answer], dim=1)  # (n, 2L + 1)
    x, y = text[:, :-1].clone(), text[:, 1:].clone()
    y[:, :length] = IGNORE
    info = {"kind": "sequence_to_sequence", "input_shape": [2 * length], "vocab_size": len(TOKENS),
            "tokens": list(TOKENS), "prompt_length": length + 1, "answer_length": length, "blank": BLANK,
            "ignore_index": IGNORE, "operation": operation}
    return Dataset(x.long(), y.long(), info)
