"""The ``reviews`` data set: deterministic, balanced, and its negation marks say what the texts hold."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
import torch

from dlpath.datasets import BadDataset, generate
from dlpath.datasets.text import MAX_CHARS, decode_texts, encode_texts

NEGATORS = re.compile(r"\b(not|never|hardly|far from)\b")


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def test_texts_travel_as_byte_codes_and_come_back_as_strings():
    texts = ["The food was not bad at all.", "", "Hardly great!"]
    x = encode_texts(texts)
    assert x.shape == (3, MAX_CHARS) and x.dtype == torch.int64
    assert decode_texts(x) == texts
    with pytest.raises(BadDataset, match="longer than"):
        encode_texts(["a" * (MAX_CHARS + 1)])


def test_same_seed_same_reviews_and_the_labels_are_balanced():
    a, b, c = generate("reviews", 301, 4), generate("reviews", 301, 4), generate("reviews", 301, 5)
    assert decode_texts(a.x) == decode_texts(b.x) and torch.equal(a.y, b.y)
    assert decode_texts(a.x) != decode_texts(c.x)
    counts = torch.bincount(a.y, minlength=2)
    assert abs(int(counts[0]) - int(counts[1])) <= 1
    assert a.info["kind"] == "text" and a.info["num_classes"] == 2


def test_the_negation_mark_is_true_exactly_for_the_texts_with_a_negator():
    data = generate("reviews", 2000, 1)
    texts = decode_texts(data.x)
    marked = [bool(NEGATORS.search(t.lower())) for t in texts]
    assert marked == data.extra["negated"].tolist()
    assert 0.3 < data.extra["negated"].float().mean() < 0.5  # negation 0.3 per phrase, half the reviews have two
    assert not (data.extra["order_matters"] & ~data.extra["negated"]).any()


def test_the_order_matters_reviews_defeat_any_bag_of_words():
    """Their words of sentiment ('good', 'not', 'boring') come with either label, as often: only the order tells."""
    from dlpath.datasets.text import _NEGATIVE, _POSITIVE

    sentiment = set(_POSITIVE + _NEGATIVE + ("not", "never", "hardly", "far", "from"))
    data = generate("reviews", 6000, 2)
    labels_of_bag: dict[tuple, list] = defaultdict(list)
    for text, y, tricky in zip(decode_texts(data.x), data.y.tolist(), data.extra["order_matters"].tolist()):
        if tricky:
            labels_of_bag[tuple(sorted(w for w in words(text) if w in sentiment))].append(y)
    both = [labels for labels in labels_of_bag.values() if len(set(labels)) == 2]
    assert len(both) >= 50
    positive = sum(sum(labels) for labels in both) / sum(len(labels) for labels in both)
    assert 0.4 < positive < 0.6


def test_without_negation_every_adjective_agrees_with_the_label():
    from dlpath.datasets.text import _NEGATIVE, _POSITIVE

    data = generate("reviews", 500, 3, negation=0.0)
    assert not data.extra["negated"].any()
    for text, y in zip(decode_texts(data.x), data.y.tolist()):
        found = {w for w in words(text) if w in _POSITIVE + _NEGATIVE}
        assert found and all((w in _POSITIVE) == (y == 1) for w in found), text


def test_label_noise_flips_about_that_share_and_bad_parameters_are_refused():
    clean, noisy = generate("reviews", 4000, 6), generate("reviews", 4000, 6, label_noise=0.1)
    assert 0.07 < (clean.y != noisy.y).float().mean() < 0.13
    with pytest.raises(BadDataset, match="negation must be between 0 and 1"):
        generate("reviews", 10, 0, negation=1.5)
