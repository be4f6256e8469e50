"""Short texts: ``reviews`` (one-line reviews from a small grammar with negation and intensifiers).

The grammar is English, but for its adjectives: in ``world_seed`` 0 (the world the
documentation describes) they are English words, in any other world words of an
invented language drawn from the world's seed (``_adjectives``), so that what each one
means is learned from the data, never brought along in a word list.

Texts travel as strings to the learner (``decode_texts``); inside a ``Dataset`` they
are kept as a tensor of UTF-8 byte codes, zero-padded to ``MAX_CHARS``, so that a
text data set is compared, sized and drawn like every other one.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from dlpath.datasets.base import BadDataset, Dataset, check_n, generator

if TYPE_CHECKING:
    import torch

__all__ = ["reviews", "decode_texts", "encode_texts", "MAX_CHARS"]

MAX_CHARS = 160  #: bytes per text in a Dataset's ``x`` (every review of the grammar is shorter)

# The grammar's words, fixed here, never by a seed, so that train and test reviews share them. The adjectives are
# those of world 0; any other world has its own (`_adjectives`), the same for every seed.
_POSITIVE = ("good", "great", "excellent", "wonderful", "fun", "charming", "brilliant", "delightful",
             "enjoyable", "superb", "pleasant", "lovely")
_NEGATIVE = ("bad", "awful", "boring", "dull", "terrible", "poor", "bland", "tedious", "disappointing",
             "mediocre", "clumsy", "weak")
_INTENSIFIERS = ("very", "really", "truly", "so", "quite", "incredibly")
_SUBJECTS = ("the movie", "the film", "the food", "the service", "this book", "the hotel", "the plot",
             "the acting", "the ending", "the soundtrack", "the staff", "the game")
_VERBS = ("was", "is", "felt", "seemed")
_OPENERS = ("", "", "", "honestly ,", "overall ,", "i think", "to be fair ,", "in short ,")
_JOINS = ("and", "and also", ", and", ",")
# A negated phrase: "{adj}" is replaced by the adjective (maybe with an intensifier before it).
_NEGATIONS = ("not {adj}", "not {adj} at all", "never {adj}", "hardly {adj}", "far from {adj}", "not {adj}")

# A world's invented adjectives: two or three syllables, each an onset, a vowel and sometimes a closing consonant
# (lowercase ASCII letters only, so that any tokenizer keeps them whole; at most 15 letters, so that every review
# stays under MAX_CHARS: the longest English adjective, "disappointing", has 13).
_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "gr", "kl", "pr", "sk",
           "st", "tr")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ei", "ou")
_CODAS = ("", "", "", "l", "m", "n", "r", "s")
_GRAMMAR_WORDS = frozenset(word for group in (_POSITIVE, _NEGATIVE, _INTENSIFIERS, _SUBJECTS, _VERBS, _OPENERS,
                                              _JOINS, _NEGATIONS) for phrase in group for word in phrase.split())


@lru_cache(maxsize=16)
def _adjectives(world_seed: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The world's (positive, negative) adjectives, as many of each as the English ones: world 0's are English, any
    other world's are pseudo-words drawn from its seed, distinct from each other and from every word of the grammar."""
    if not world_seed:
        return _POSITIVE, _NEGATIVE
    world = random.Random(int(world_seed))
    words: list[str] = []
    while len(words) < len(_POSITIVE) + len(_NEGATIVE):
        word = "".join(world.choice(_ONSETS) + world.choice(_VOWELS) + world.choice(_CODAS)
                       for _ in range(world.choice((2, 2, 3))))
        if word not in _GRAMMAR_WORDS and word not in words:
            words.append(word)
    return tuple(words[: len(_POSITIVE)]), tuple(words[len(_POSITIVE):])


def _phrase(rng: random.Random, lexicon: tuple[tuple[str, ...], tuple[str, ...]], polarity: int, negated: bool,
            avoid: str = "") -> str:
    """An adjective phrase of the given polarity (1 positive, 0 negative); negated, its adjective has the other.
    ``lexicon`` is the world's (positive, negative) adjectives."""
    base = polarity if not negated else 1 - polarity
    adjective = rng.choice([a for a in lexicon[0 if base == 1 else 1] if a not in avoid.split()])
    if rng.random() < 0.35:
        adjective = f"{rng.choice(_INTENSIFIERS)} {adjective}"
    if not negated:
        return adjective
    return rng.choice(_NEGATIONS).format(adj=adjective)


def _review(rng: random.Random, lexicon: tuple[tuple[str, ...], tuple[str, ...]], polarity: int, negation: float,
            two_phrases: float) -> tuple[str, int, int]:
    """(text, number of phrases, number of negated phrases)."""
    count = 2 if rng.random() < two_phrases else 1
    negated = [rng.random() < negation for _ in range(count)]
    phrases: list[str] = []
    for neg in negated:
        phrases.append(_phrase(rng, lexicon, polarity, neg, avoid=phrases[0] if phrases else ""))
    words = [rng.choice(_OPENERS), rng.choice(_SUBJECTS), rng.choice(_VERBS), phrases[0]]
    if count == 2:
        words += [rng.choice(_JOINS), phrases[1]]
    text = " ".join(w for w in words if w).replace(" ,", ",")
    text = text[0].upper() + text[1:] + rng.choice((".", ".", "!"))
    return text, count, sum(negated)


def encode_texts(texts: list[str]) -> "torch.Tensor":
    """Texts as a (N, MAX_CHARS) int64 tensor of UTF-8 byte codes, zero-padded."""
    import torch

    out = torch.zeros(len(texts), MAX_CHARS, dtype=torch.int64)
    for i, text in enumerate(texts):
        raw = text.encode("utf-8")
        if len(raw) > MAX_CHARS:
            raise BadDataset(f"a text of {len(raw)} bytes is longer than {MAX_CHARS}")
        if raw:
            out[i, : len(raw)] = torch.tensor(list(raw), dtype=torch.int64)
    return out


def decode_texts(x: "torch.Tensor") -> list[str]:
    """The strings of a text data set's ``x`` (see ``encode_texts``)."""
    return [bytes(int(b) for b in row if int(b) != 0).decode("utf-8") for row in x.tolist()] if len(x) else []


@generator("text")
def reviews(n: int, seed: int, *, negation: float = 0.3, two_phrases: float = 0.5, label_noise: float = 0.0,
            world_seed: int = 0) -> Dataset:
    """``n`` one-line reviews, positive (1) or negative (0), from a small grammar with negation and intensifiers.

    Each review has one or two adjective phrases that agree with its label ("The food
    was really good", "The plot felt not bad at all and truly charming"). ``negation``
    is the chance that a phrase is negated ("not", "never", "hardly", "far from",
    "not ... at all"), which flips its adjective's polarity; ``two_phrases`` the chance
    of a second phrase; ``label_noise`` the share of labels flipped at random.
    ``extra["negated"]`` marks the reviews with a negation, ``extra["order_matters"]``
    those with exactly one of two phrases negated: the same words in another order
    ("good and not boring" / "boring and not good") carry the other label, so a bag of
    words cannot tell them apart. ``x`` holds the texts as byte codes (``decode_texts``).

    The adjectives are the world: in ``world_seed`` 0 twelve positive and twelve
    negative English ones; any other world replaces them by twelve and twelve
    pronounceable words of an invented language drawn from its seed ("The food was
    not drakeil at all"), so that a word list written by hand knows none of them. The
    rest of the grammar (subjects, verbs, openers, negators, intensifiers) is English
    in every world, and a world's reviews are world 0's with each adjective replaced by
    its counterpart: the same sentences, labels and negations.
    """
    import torch

    check_n(n)
    for name, value in (("negation", negation), ("two_phrases", two_phrases), ("label_noise", label_noise)):
        if not 0.0 <= float(value) <= 1.0:
            raise BadDataset(f"reviews: {name} must be between 0 and 1, not {value!r}")
    lexicon = _adjectives(int(world_seed))
    rng = random.Random(int(seed) & 0x7FFF_FFFF_FFFF_FFFF)
    labels = [i % 2 for i in range(n)]
    rng.shuffle(labels)  # balanced: the counts differ by at most one
    texts, negated, order_matters, y = [], [], [], []
    for polarity in labels:
        text, phrases, negations = _review(rng, lexicon, polarity, float(negation), float(two_phrases))
        texts.append(text)
        negated.append(negations > 0)
        order_matters.append(phrases == 2 and negations == 1)
        y.append(1 - polarity if rng.random() < label_noise else polarity)
    info: dict[str, Any] = {"kind": "text", "input_shape": [MAX_CHARS], "num_classes": 2,
                            "class_names": ["negative", "positive"]}
    extra = {"negated": torch.tensor(negated, dtype=torch.bool),
             "order_matters": torch.tensor(order_matters, dtype=torch.bool)}
    return Dataset(encode_texts(texts), torch.tensor(y, dtype=torch.int64), info, extra)
