"""The ``reviews`` data set: deterministic, balanced, its negation marks say what the texts hold, and every world
but 0 speaks its own invented language for the adjectives."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

import pytest
import torch

from dlpath.datasets import BadDataset, draw, generate
from dlpath.datasets.text import MAX_CHARS, decode_texts, encode_texts
from dlpath.grading.grade import world_seed_for

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


# ------------------------------------------------------------------ worlds: the adjectives are the secret


WORLDS = (world_seed_for(11), world_seed_for(22), world_seed_for(33))


def adjectives_in(texts: list[str]) -> set[str]:
    """The words of the texts that are no word of the grammar but its adjectives."""
    from dlpath.datasets.text import _GRAMMAR_WORDS, _NEGATIVE, _POSITIVE

    others = _GRAMMAR_WORDS - set(_POSITIVE + _NEGATIVE)
    return {w for text in texts for w in words(text) if w not in others}


def test_world_zero_is_the_english_grammar_of_before():
    """The texts of world 0 are those the generator drew before it had worlds (measured then, 2026-12-07)."""
    data = generate("reviews", 6, 7)
    assert decode_texts(data.x) == [
        "To be fair, the film is bad and so terrible!",
        "The soundtrack seemed far from wonderful.",
        "The soundtrack is excellent, and not incredibly mediocre at all.",
        "I think this book is never clumsy and also hardly tedious!",
        "The film seemed charming and also fun.",
        "In short, the soundtrack seemed never enjoyable and poor.",
    ]
    assert data.y.tolist() == [0, 0, 1, 1, 1, 0]
    many = generate("reviews", 2000, 1, world_seed=0)
    digest = hashlib.sha256("\n".join(decode_texts(many.x)).encode()).hexdigest()
    assert digest == "fd85427990e562204729a51f3e0b722c1412296ce4e54459457a2cd1ed46e0ad"
    assert torch.equal(many.y, generate("reviews", 2000, 1).y)


def test_every_other_world_has_adjectives_of_its_own_invented_language():
    from dlpath.datasets.text import _GRAMMAR_WORDS, _adjectives

    lexicons = [_adjectives(w) for w in WORLDS]
    for positive, negative in lexicons:
        invented = positive + negative
        assert len(positive) == len(negative) == 12 and len(set(invented)) == 24
        assert all(re.fullmatch(r"[a-z]{4,15}", w) for w in invented), invented  # any tokenizer keeps them whole
        assert not set(invented) & _GRAMMAR_WORDS  # no English adjective, no other word of the grammar
    assert len({frozenset(p + n) for p, n in lexicons}) == len(WORLDS)  # each world its own words
    assert _adjectives(WORLDS[0]) == lexicons[0]  # and the same again
    data = generate("reviews", 3000, 4, world_seed=WORLDS[0])
    assert adjectives_in(decode_texts(data.x)) == set(lexicons[0][0] + lexicons[0][1])


def test_a_world_is_world_zero_with_its_adjectives_replaced():
    """Same labels, negations and structure: only the adjectives change, each always into the same word."""
    from dlpath.datasets.text import _NEGATIVE, _POSITIVE, _adjectives

    english = generate("reviews", 1500, 8)
    positive, negative = _adjectives(WORLDS[1])
    other = generate("reviews", 1500, 8, world_seed=WORLDS[1])
    assert torch.equal(english.y, other.y)
    assert all(torch.equal(english.extra[k], other.extra[k]) for k in ("negated", "order_matters"))
    translation = dict(zip(_POSITIVE + _NEGATIVE, positive + negative))
    for a, b in zip(decode_texts(english.x), decode_texts(other.x)):
        assert " ".join(translation.get(w, w) for w in words(a)) == " ".join(words(b))
    assert decode_texts(other.x) == decode_texts(generate("reviews", 1500, 8, world_seed=WORLDS[1]).x)


def test_without_negation_every_invented_adjective_agrees_with_the_label():
    from dlpath.datasets.text import _adjectives

    positive, negative = _adjectives(WORLDS[2])
    data = generate("reviews", 500, 3, negation=0.0, world_seed=WORLDS[2])
    for text, y in zip(decode_texts(data.x), data.y.tolist()):
        found = adjectives_in([text])
        assert found and found <= set(positive + negative) and all((w in positive) == (y == 1) for w in found), text


def test_a_grades_training_and_test_reviews_share_their_worlds_words():
    """What the judge draws for one grade: the training, validation and test parts speak one invented language."""
    from dlpath.datasets.text import _adjectives

    spec = {"name": "reviews", "params": {"negation": 0.3, "two_phrases": 0.5}, "train": 4000, "val": 500,
            "test": 3000}
    world = world_seed_for(44)
    parts = dict(draw(spec, 1, ("train", "val"), world=world), **draw(spec, 99, ("test",), world=world))
    found = {name: adjectives_in(decode_texts(part.x)) for name, part in parts.items()}
    positive, negative = _adjectives(world)
    assert found["train"] == found["val"] == found["test"] == set(positive + negative)
    published = adjectives_in(decode_texts(draw(spec, 99, ("test",))["test"].x))
    assert not published & found["test"]  # the published world's test texts share none of them
