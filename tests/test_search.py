"""`dlpath search` finds what a learner types: ids, prefixes, stems, the field's abbreviations."""

from __future__ import annotations

import json

import pytest

from dlpath.cli import app
from dlpath.course.search import SYNONYMS, stem, words


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
    assert set(first) <= {"cuda-programming", "gpu-memory-and-reductions", "fast-kernels", "mixed-precision-gpus",
                          "distributed-training"}


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
        # whole, after its status mark: beside its title, or alone on its line above it (the narrow layout)
        assert any(line[2:] == lesson or line[2:].startswith(lesson + " ") for line in lines), lesson


@pytest.mark.parametrize("query, lesson, corrected", [
    ("convolutoin", "convolutional-networks", {"convolutoin": "convolution"}),
    ("gradient desent", "gradient-descent", {"desent": "descent"}),
    ("backpropogation", "forward-and-backprop", {"backpropogation": "backpropagation"}),
    ("tranformer", "attention-transformers", {"tranformer": "transformer"}),
])
def test_a_typo_finds_the_lesson(query: str, lesson: str, corrected) -> None:
    from dlpath.course.loading import load_curriculum
    from dlpath.course.search import search

    result = search(load_curriculum(None), query)
    assert result.results[0].id == lesson and result.corrected == corrected


def test_a_corrected_typo_is_said(runner) -> None:
    text = " ".join(runner.invoke(app, ["search", "gradient", "desent"]).output.split())
    assert text.startswith("No lesson has 'desent', so this searched 'descent'. ")


def test_a_word_the_lessons_have_is_never_corrected_and_nonsense_finds_nothing(runner) -> None:
    assert json.loads(runner.invoke(app, ["search", "convolution", "--json"]).output)["corrected"] == {}
    result = runner.invoke(app, ["search", "xyzzyq", "--json"])
    assert json.loads(result.output) == {"query": "xyzzyq", "results": [], "corrected": {}}


def test_results_say_which_lessons_are_done_and_which_locked(runner) -> None:
    assert runner.invoke(app, ["skip", "first-network"]).exit_code == 0
    hits = {h["id"]: h["status"] for h in json.loads(runner.invoke(app, ["search", "neural", "network", "--json",
                                                                          "--limit", "40"]).output)["results"]}
    assert hits["first-network"] == "skipped" and hits["convolutional-networks"] == "locked"
    lines = runner.invoke(app, ["search", "first", "network"]).output.splitlines()
    line = next(line for line in lines if "first-network" in line)
    assert line.startswith("↷ first-network") and "foundations, skipped" in line
