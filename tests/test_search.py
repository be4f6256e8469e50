"""`dlpath search` finds what a learner types: ids, prefixes, stems, the field's abbreviations."""

from __future__ import annotations

import json

import pytest

from dlpath.cli import app
from dlpath.search import SYNONYMS, stem, words


def top(runner, query: str, n: int = 1) -> list[str]:
    result = runner.invoke(app, ["search", *query.split(), "--json"])
    assert result.exit_code == 0, result.output
    return [hit["id"] for hit in json.loads(result.output)["results"][:n]]


@pytest.mark.parametrize("query, lesson", [
    ("backprop", "forward-and-backprop"),        # a word of an id, and a prefix of "backpropagation"
    ("backpropagation", "forward-and-backprop"),
    ("convnet", "convolutional-networks"),        # an abbreviation
    ("cnn", "convolutional-networks"),
    ("CNN", "convolutional-networks"),
    ("convolutions", "convolutional-networks"),   # a stem
    ("rnn", "recurrent-networks"),
    ("lstm", "recurrent-networks"),
    ("gan", "gans"),
    ("vae", "autoencoders-vae"),
    ("mlp", "multilayer-perceptron"),
    ("batch norm", "vanishing-exploding-gradients"),
    ("transfer learning", "transfer-learning"),
    ("cross entropy", "loss-functions"),
])
def test_what_a_learner_types_finds_the_lesson(runner, query: str, lesson: str) -> None:
    assert top(runner, query) == [lesson]


def test_sgd_finds_optimization(runner) -> None:
    assert set(top(runner, "sgd", 2)) & {"optimizers-schedules", "gradient-descent"}


def test_gpu_ranks_the_gpu_lessons_first(runner) -> None:
    first = top(runner, "gpu", 3)
    assert "learning-habits" not in first
    assert set(first) <= {"cuda-programming", "mixed-precision-gpus", "distributed-training"}


def test_stems_and_words() -> None:
    assert stem("convolutions") == stem("convolution") == stem("convolutional")
    assert stem("losses") == stem("loss") and stem("classes") == stem("class") and stem("images") == stem("image")
    assert stem("gpus") == "gpu" and stem("probabilities") == "probability"
    assert words("Forward-and-Backprop, GPUs!") == ["forward", "and", "backprop", "gpu"]
    assert all(k == k.lower() for k in SYNONYMS)


def test_narrow_output_keeps_ids_whole(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    result = runner.invoke(app, ["search", "gpu"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert all(len(line) <= 50 for line in lines)
    for lesson in top(runner, "gpu", 10):
        assert any(line.startswith(lesson + " ") for line in lines), lesson
