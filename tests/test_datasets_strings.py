"""``digit_strings``: prompts of digits and their reversed (or sorted) answer, laid out for a next-token model;
in any world but 0 the answer is written in the world's secret code."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, draw, generate
from dlpath.datasets.strings import BLANK, IGNORE, SEPARATOR
from dlpath.grading.grade import world_seed_for

WORLDS = [world_seed_for(s) for s in (11, 22, 33)]  # the worlds of dev check's first grade seeds


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


def _code(digits, answer):
    """The substitution that turns ``digits`` into ``answer`` (10,), read back from the rows: one token per digit."""
    code = torch.full((10,), -1)
    for d in range(10):
        written = answer[digits == d].unique()
        assert len(written) == 1, (d, written)  # every digit is always written the same way
        code[d] = written
    return code


def test_world_zero_is_the_text_as_it_was_before_worlds():
    """Figures computed from the generator before it had worlds (2026-12-07): world 0 is that text, token for token."""
    data = generate("digit_strings", 300, 7, length=8)
    assert data.x[0].tolist() == [5, 2, 1, 6, 3, 7, 7, 9, 10, 9, 7, 7, 3, 6, 1, 2]
    assert data.y[1].tolist() == [IGNORE] * 8 + [0, 2, 7, 8, 1, 8, 1, 8]
    assert int(data.x.sum()) == 23379 and int(data.y.sum()) == -229139
    zero = generate("digit_strings", 300, 7, length=8, world_seed=0)
    assert torch.equal(zero.x, data.x) and torch.equal(zero.y, data.y) and zero.info == data.info


@pytest.mark.parametrize(("operation", "answer"), [("reverse", lambda d: d.flip(1)),
                                                  ("sort", lambda d: d.sort(dim=1).values)])
def test_another_world_writes_the_answer_in_its_own_code(operation, answer):
    published = _text(generate("digit_strings", 400, 3, length=6, operation=operation))
    codes = []
    for world in WORLDS:
        data = generate("digit_strings", 400, 3, length=6, operation=operation, world_seed=world)
        text = _text(data)
        assert torch.equal(text[:, :7], published[:, :7])  # the same prompts and "="
        code = _code(answer(text[:, :6]), text[:, 7:])
        assert sorted(code.tolist()) == list(range(10)) and code.tolist() != list(range(10))  # a substitution
        assert torch.equal(text[:, 7:], code[answer(text[:, :6])])
        again = generate("digit_strings", 400, 3, length=6, operation=operation, world_seed=world)
        assert torch.equal(again.x, data.x) and torch.equal(again.y, data.y)  # the world comes again with its seed
        codes.append(code.tolist())
    assert len({tuple(c) for c in codes}) == len(WORLDS)  # each world its own code


def test_the_training_and_test_rows_of_a_world_share_its_code():
    spec = {"name": "digit_strings", "params": {"length": 8}, "train": 500, "val": 100, "test": 500}
    parts = draw(spec, 1, ("train", "val"), world=WORLDS[0]) | draw(spec, 99, ("test",), world=WORLDS[0])
    codes = {name: _code(_text(part)[:, :8].flip(1), _text(part)[:, 9:]).tolist() for name, part in parts.items()}
    assert codes["train"] == codes["val"] == codes["test"] != list(range(10))
    assert all(part.info == generate("digit_strings", 3, 0, length=8).info for part in parts.values())  # no code in info


def test_a_world_never_draws_the_identity(monkeypatch: pytest.MonkeyPatch):
    """A code that writes every digit as itself would leave a reversal written by hand right: it is drawn again."""
    from dlpath.datasets import strings

    draws = iter([torch.arange(10), torch.arange(10), torch.tensor([1, 0, 2, 3, 4, 5, 6, 7, 8, 9])])
    monkeypatch.setattr(torch, "randperm", lambda n, generator: next(draws))
    assert strings._code(5).tolist() == [1, 0, 2, 3, 4, 5, 6, 7, 8, 9]
