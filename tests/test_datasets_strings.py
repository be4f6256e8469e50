"""``digit_strings``: prompts of digits and their reversed (or sorted) answer, laid out for a next-token model."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, generate
from dlpath.datasets.strings import BLANK, IGNORE, SEPARATOR


def _text(data):
    """The whole text back from (x, y): x's first token, then y's tokens where they are graded, x's elsewhere."""
    return torch.cat([data.x[:, :1], torch.where(data.y == IGNORE, torch.roll(data.x, -1, dims=1), data.y)], dim=1)


@pytest.mark.parametrize(("operation", "answer"), [("reverse", lambda d: d.flip(1)),
                                                  ("sort", lambda d: d.sort(dim=1).values)])
def test_the_answer_follows_the_prompt(operation, answer):
    data = generate("digit_strings", 50, 3, length=5, operation=operation)
    assert data.x.shape == (50, 10) and data.y.shape == (50, 10) and data.x.dtype == torch.int64
    text = _text(data)
    digits = text[:, :5]
    assert (text[:, 5] == SEPARATOR).all() and (digits < 10).all()
    assert torch.equal(text[:, 6:], answer(digits))
    assert (data.y[:, :5] == IGNORE).all() and (data.y[:, 5:] != IGNORE).all()
    assert torch.equal(data.x[:, 1:], text[:, 1:-1])


def test_info_describes_the_layout():
    info = generate("digit_strings", 3, 0, length=8).info
    assert info["prompt_length"] == 9 and info["answer_length"] == 8 and info["input_shape"] == [16]
    assert info["vocab_size"] == 12 and info["blank"] == BLANK and info["tokens"][SEPARATOR] == "="


@pytest.mark.parametrize("params", [{"length": 1}, {"operation": "shuffle"}])
def test_impossible_parameters_are_refused(params):
    with pytest.raises(BadDataset):
        generate("digit_strings", 3, 0, **params)
