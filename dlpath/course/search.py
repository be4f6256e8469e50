"""`dlpath search`: lessons ranked by what a learner types.

Every lesson is searched in its id, title, summary, objectives, body and
tags (its tracks, and "gpu cuda" for a lesson that needs a GPU). Words are
lower-cased and stemmed a little (plurals, -ing, -ed, -ion, -ional, ...), a
word of four letters or more also matches the words it begins
("backprop" finds "backpropagation"), and the field's common abbreviations
stand for what they abbreviate (`SYNONYMS`: "convnet" and "cnn" find
convolutional networks, "sgd" stochastic gradient descent, ...).

Ranking is BM25F: each field's matches weighted by the field (an id or title
counts more than a body), saturating, normalised by the field's length, and
weighted by how rare the word is across lessons; a lesson matching every word
of the query ranks above one matching some, and the query's words in a row
add a bonus.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from dlpath.course.model import Curriculum
from dlpath.text import close_matches

__all__ = ["SearchHit", "SearchResult", "SYNONYMS", "search", "stem", "words"]


@dataclass(frozen=True)
class SearchHit:
    id: str
    title: str
    stage: str
    score: float
    status: str | None = None  #: the learner's status of the lesson (done, skipped, available, locked), when known


@dataclass(frozen=True)
class SearchResult:
    """`dlpath search --json`."""

    query: str
    results: list[SearchHit]
    corrected: dict[str, str] = field(default_factory=dict)  #: a word no lesson has -> the close word searched instead


# Abbreviations and nicknames a learner types -> what the lessons say (each a word or a phrase).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "backprop": ("backpropagation", "back propagation"),
    "convnet": ("convolutional network", "convolution", "cnn"),
    "convnets": ("convolutional network", "convolution", "cnn"),
    "cnn": ("convolutional network", "convolution", "convnet"),
    "rnn": ("recurrent network", "recurrent"),
    "lstm": ("long short-term memory", "lstm", "recurrent"),
    "gru": ("gated recurrent unit", "recurrent"),
    "gan": ("generative adversarial network", "generative adversarial"),
    "vae": ("variational autoencoder",),
    "sgd": ("stochastic gradient descent", "gradient descent"),
    "gd": ("gradient descent",),
    "mlp": ("multilayer perceptron", "multi-layer perceptron"),
    "nlp": ("natural language processing", "language"),
    "cv": ("computer vision",),
    "rl": ("reinforcement learning",),
    "llm": ("large language model", "language model", "transformer"),
    "gpt": ("transformer", "language model"),
    "bert": ("transformer", "bert"),
    "relu": ("rectified linear", "relu", "activation"),
    "bn": ("batch normalization",),
    "batchnorm": ("batch normalization",),
    "ce": ("cross-entropy", "cross entropy"),
    "mse": ("mean squared error", "mse"),
    "lr": ("learning rate",),
    "nn": ("neural network",),
    "dl": ("deep learning",),
    "ml": ("machine learning",),
    "ai": ("artificial intelligence", "deep learning"),
    "gpu": ("cuda",),
    "cuda": ("gpu",),
    "pca": ("principal component analysis",),
    "auc": ("roc", "area under the curve"),
    "roc": ("auc",),
    "xai": ("interpretability", "explainability"),
    "finetune": ("fine-tuning", "fine tuning", "transfer learning"),
    "finetuning": ("fine-tuning", "fine tuning", "transfer learning"),
    "attention": ("attention", "transformer"),
    "numpy": ("numpy", "array"),
    "overfit": ("overfitting",),
}

# Field weights (BM25F): where a word appears says how much the lesson is about it.
_FIELDS = {"id": 3.0, "title": 3.0, "summary": 2.0, "objectives": 1.5, "tags": 2.0, "body": 1.0}
_K1 = 1.2
_B = 0.75
_PREFIX = 0.6  # a word that only begins like the query's word counts this much
_SYNONYM = 0.9  # a match through an abbreviation counts this much
_WORD = re.compile(r"[a-z0-9]+")
_TYPO = 0.7  # a match through the close word that stands for a typo counts this much
_TYPO_CUTOFF = 0.8  # how alike a word must be to a query's word no lesson has (difflib's ratio)


def stem(word: str) -> str:
    """A light stemmer: enough that "convolutions", "convolutional" and "convolution" meet."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, keep in (("ational", "ate"), ("ations", ""), ("ation", ""), ("ional", ""), ("ions", ""),
                         ("ion", ""), ("ings", ""), ("ing", ""), ("ies", "y"), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + keep
    if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")) and len(word) > 4:
        return word[:-2]
    # "us" and "is" end many singulars (corpus, status, analysis); four letters are plurals (gpus, cpus)
    if word.endswith("s") and not word.endswith("ss") and (len(word) == 4 or not word.endswith(("us", "is"))):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """The stemmed words of `text`, in order (hyphenated words give their parts)."""
    return [stem(w) for w in _WORD.findall(text.lower())]


class _Doc:
    __slots__ = ("lesson", "fields", "lengths", "raw")

    def __init__(self, lesson: Any, fields: dict[str, list[str]], raw: set[str]) -> None:
        self.lesson = lesson
        self.fields = fields
        self.lengths = {f: len(v) for f, v in fields.items()}
        self.raw = raw  # its words as written (lower-cased): what a typo is compared with


_LAST: list[tuple[Curriculum, list[_Doc]]] = []  # the last curriculum's documents (searches in one process)


def _docs(curriculum: Curriculum) -> list[_Doc]:
    if _LAST and _LAST[0][0] is curriculum:
        return _LAST[0][1]
    docs = _read_docs(curriculum)
    _LAST[:] = [(curriculum, docs)]
    return docs


def _read_docs(curriculum: Curriculum) -> list[_Doc]:
    docs = []
    for lesson in curriculum.lessons:
        tags = " ".join(lesson.tracks) + (" gpu cuda nvidia" if lesson.requires.any else "")
        texts = {"id": lesson.id, "title": lesson.title, "summary": lesson.summary,
                 "objectives": " ".join(lesson.objectives), "tags": tags, "body": curriculum.body(lesson)}
        fields = {name: words(text) for name, text in texts.items()}
        raw = {w for text in texts.values() for w in _WORD.findall(text.lower()) if len(w) >= 4 and not w.isdigit()}
        docs.append(_Doc(lesson, fields, raw))
    return docs


def _match(token: str, q: str) -> float:
    if token == q:
        return 1.0
    if len(q) >= 4 and token.startswith(q):
        return _PREFIX
    return 0.0


def _count(tokens: list[str], phrase: list[str]) -> float:
    """How often `phrase` (stems) occurs in `tokens`, words in a row; a word's prefix counts weakly."""
    if len(phrase) == 1:
        (q,) = phrase
        return sum(_match(t, q) for t in tokens)
    n = len(phrase)
    total = 0.0
    for i in range(len(tokens) - n + 1):
        weight = 1.0
        for token, q in zip(tokens[i:i + n], phrase):
            weight = min(weight, _match(token, q))
            if not weight:
                break
        total += weight
    return total


def _alternatives(term: str) -> list[tuple[list[str], float]]:
    """(phrase as stems, weight) for a query word: itself, then what it abbreviates."""
    out = [([stem(term)], 1.0)]
    for phrase in SYNONYMS.get(term, ()):
        stems = words(phrase)
        if stems and stems not in [a for a, _ in out]:
            out.append((stems, _SYNONYM))
    return out


def search(curriculum: Curriculum, query: str, limit: int = 10) -> SearchResult:
    """Lessons ranked by how well they match the words of `query` (see the module's docstring)."""
    terms = list(dict.fromkeys(_WORD.findall(query.lower())))
    if not terms:
        return SearchResult(query, [])
    docs = _docs(curriculum)
    n = len(docs)
    average = {f: (sum(d.lengths[f] for d in docs) / n if n else 0.0) or 1.0 for f in _FIELDS}
    counts: dict[tuple[int, int, int], dict[str, float]] = {}
    doc_freq: dict[tuple[int, int], int] = {}
    alternatives = [_alternatives(t) for t in terms]
    corrected = _corrections(docs, terms, alternatives)
    for ti, alts in enumerate(alternatives):
        for ai, (phrase, _) in enumerate(alts):
            df = 0
            for di, doc in enumerate(docs):
                per_field = {f: _count(doc.fields[f], phrase) for f in _FIELDS}
                if any(per_field.values()):
                    counts[(ti, ai, di)] = per_field
                    df += 1
            doc_freq[(ti, ai)] = df
    phrase = words(query)
    hits = []
    for di, doc in enumerate(docs):
        score = 0.0
        matched = 0
        for ti, alts in enumerate(alternatives):
            best = 0.0
            for ai, (_, weight) in enumerate(alts):
                per_field = counts.get((ti, ai, di))
                if not per_field:
                    continue
                tf = sum(
                    _FIELDS[f] * c / (1 - _B + _B * doc.lengths[f] / average[f])
                    for f, c in per_field.items() if c
                )
                idf = math.log(1 + (n - doc_freq[(ti, ai)] + 0.5) / (doc_freq[(ti, ai)] + 0.5))
                best = max(best, weight * idf * tf / (_K1 + tf))
            if best:
                matched += 1
                score += best
        if not matched:
            continue
        score *= (matched / len(terms)) ** 2  # lessons that match every word first
        if len(phrase) > 1:  # the query's words in a row: most in a title or an id
            if _count(doc.fields["title"], phrase) or _count(doc.fields["id"], phrase):
                score *= 2.0
            elif any(_count(tokens, phrase) for tokens in doc.fields.values()):
                score *= 1.5
        hits.append(SearchHit(doc.lesson.id, doc.lesson.title, doc.lesson.stage, round(score, 3)))
    hits.sort(key=lambda h: (-h.score, h.id))
    return SearchResult(query, hits[:limit], corrected)


def _found(docs: list[_Doc], phrase: list[str]) -> bool:
    return any(_count(doc.fields[f], phrase) for doc in docs for f in _FIELDS)


def _corrections(docs: list[_Doc], terms: list[str], alternatives: list[list[tuple[list[str], float]]]
                 ) -> dict[str, str]:
    """For each word of four letters or more that no lesson has (nor anything it abbreviates), the closest word
    the lessons do have, added to its alternatives: "convolutoin" finds "convolution"."""
    corrected: dict[str, str] = {}
    vocabulary: list[str] | None = None
    for term, alts in zip(terms, alternatives):
        if len(term) < 4 or term.isdigit() or any(_found(docs, phrase) for phrase, _ in alts):
            continue
        if vocabulary is None:
            vocabulary = sorted({w for doc in docs for w in doc.raw})
        close = close_matches(term, vocabulary, n=1, cutoff=_TYPO_CUTOFF)
        if close:
            corrected[term] = close[0]
            alts.append(([stem(close[0])], _TYPO))
    return corrected
