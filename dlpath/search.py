"""`dlpath search`: lessons ranked by the words of a query."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from dlpath.curriculum import Curriculum

__all__ = ["SearchHit", "SearchResult", "search"]


@dataclass(frozen=True)
class SearchHit:
    id: str
    title: str
    stage: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """`dlpath search --json`."""

    query: str
    results: list[SearchHit]


_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FIELD_WEIGHTS = {"title": 4.0, "summary": 2.0, "objectives": 1.5, "body": 1.0}


def _words(text: str) -> list[str]:
    out = []
    for token in _WORD.findall(text.lower()):
        out.append(token)
        if "-" in token:
            out.extend(token.split("-"))
    return out


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def search(curriculum: Curriculum, query: str, limit: int = 10) -> SearchResult:
    """Lessons ranked by how well their title, summary and body match the words of `query`."""
    terms = [_stem(w) for w in _words(query)]
    if not terms:
        return SearchResult(query, [])
    docs = []
    for lesson in curriculum.lessons:
        fields = {
            "title": lesson.title,
            "summary": lesson.summary,
            "objectives": " ".join(lesson.objectives),
            "body": curriculum.body(lesson),
        }
        docs.append((lesson, {k: Counter(_stem(w) for w in _words(v)) for k, v in fields.items()},
                     {k: v.lower() for k, v in fields.items()}))
    n = len(docs)
    df = {t: sum(1 for _, counts, _ in docs if any(t in c for c in counts.values())) for t in set(terms)}
    phrase = " ".join(_words(query))
    hits = []
    for lesson, counts, texts in docs:
        score = 0.0
        matched = 0
        for term in set(terms):
            idf = math.log(1 + n / (1 + df[term]))
            term_score = sum(
                _FIELD_WEIGHTS[f] * (1 + math.log(c[term])) for f, c in counts.items() if c.get(term)
            )
            if term_score:
                matched += 1
                score += idf * term_score
        if not matched:
            continue
        score *= matched / len(set(terms))  # lessons that match every word first
        if len(terms) > 1 and any(phrase in t for t in texts.values()):
            score *= 1.5
        hits.append(SearchHit(lesson.id, lesson.title, lesson.stage, round(score, 3)))
    hits.sort(key=lambda h: (-h.score, h.id))
    return SearchResult(query, hits[:limit])
