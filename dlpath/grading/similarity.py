"""Similar submissions: pairs of students whose code is alike once names, literals, comments and order are set aside.

The method is winnowing (Schleimer, Wilkerson and Aiken, "Winnowing: local
algorithms for document fingerprinting", SIGMOD 2003), the one MOSS uses, over
a token stream normalised the way JPlag normalises it:

1. **Tokens** (`normalise`): Python's own `tokenize`, so code that does not
   parse is still compared. Comments, blank lines and docstrings go; every
   number becomes `#`, every string `S`; every name the student chose
   becomes `N` (variables, functions, classes, parameters, the attributes
   they assign such as `self.fc1`), while keywords, builtins and the library's
   API (`.Linear`, `.zero_grad`) stay, since renaming cannot change them.
   A renamed copy with new comments and other constants reads the same.
2. **Fingerprints**: every run of `K` tokens is hashed; winnowing keeps the
   smallest hash of each window of `WINDOW` runs. Any shared run of at least
   `K + WINDOW - 1` tokens is sure to share a fingerprint; runs under `K`
   tokens never count (the noise threshold). Fingerprints are a set, so
   functions moved around still match.
3. **What everyone shares is left out**: the starter's code, the code quoted
   in the project's hints, and (as MOSS does) any fingerprint found in more
   than `COMMON_SHARE` of the class and `COMMON_FLOOR` students: the idiom the
   whole class writes (a ring of copiers stays under it).
4. **Pairs**: two students sharing fingerprints are compared token by token:
   each shared fingerprint is grown into the longest common run around it,
   runs are laid without overlap, longest first (greedy tiling, as JPlag
   does). A student's *own* code is what the starter and hints do not give;
   `similarity` is the larger of the two shares of own code covered by the
   runs, and a pair is *worth a look* when it reaches `WORTH_A_LOOK` with at
   least `MIN_TOKENS` tokens of own code in common (a short fill of the
   starter's TODOs can be the same for honest students; there is nothing in
   it to tell a copy by).

It flags pairs for a person to read, with the fragments side by side; it
proves nothing (a student can always rewrite enough), and an independent
solution can come close on a project whose starter leaves little to write.
Nothing here runs a student's code.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import keyword
import re
import tokenize
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

__all__ = ["K", "WINDOW", "WORTH_A_LOOK", "MIN_TOKENS", "COMMON_SHARE", "Token", "Fragment", "Pair",
           "SimilarityReport", "normalise", "fingerprints", "code_in_text", "compare_sources", "compare_submissions"]

K = 12  #: tokens in a fingerprinted run: shorter common runs are noise (JPlag's default for Python is 12)
WINDOW = 6  #: winnowing window: a common run of K + WINDOW - 1 = 17 tokens (about two lines) is always found
WORTH_A_LOOK = 0.5  #: a pair is worth a look when more than half of one student's own code is in common ...
MIN_TOKENS = 80  #: ... and that is at least this many tokens (about eight lines of code)
COMMON_SHARE = 0.5  #: a fingerprint in more than this share of the class, and of COMMON_FLOOR students, is an idiom
COMMON_FLOOR = 10  #: MOSS's default: a copy shared by a ring of up to ten students still counts
SHOWN_FRAGMENTS = 5  #: fragments kept per pair, longest first
MAX_SOURCE_CHARS = 200_000  #: a student's code beyond this is not compared (nobody writes that much for a project)

_BUILTINS = frozenset(dir(builtins))
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_FSTRING = tuple(getattr(tokenize, name) for name in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, name))
_FSTRING_END = tuple(getattr(tokenize, name) for name in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, name))


@dataclass(frozen=True)
class Token:
    """One normalised token and where it came from."""

    text: str  #: `N` for a chosen name, `#` a number, `S` a string, else the keyword, API name or operator
    file: str  #: the file, relative to the submission
    line: int  #: its line (1-based)


@dataclass(frozen=True)
class Fragment:
    """A run of code two students share, after normalisation."""

    tokens: int  #: its length in normalised tokens
    a_file: str
    a_lines: tuple[int, int]  #: first and last line in the first student's file
    b_file: str
    b_lines: tuple[int, int]
    a_text: str  #: the first student's lines, as written
    b_text: str


@dataclass(frozen=True)
class Pair:
    """Two students whose code is alike."""

    a: str
    b: str
    similarity: float  #: the larger of a_share and b_share, 0..1
    a_share: float  #: the share of a's own code (tokens) found in b
    b_share: float
    tokens: int  #: tokens of own code in common (the smaller of the two sides)
    worth_a_look: bool  #: similarity >= WORTH_A_LOOK and tokens >= MIN_TOKENS
    fragments: tuple[Fragment, ...]  #: the longest shared runs, longest first (at most SHOWN_FRAGMENTS)


@dataclass(frozen=True)
class SimilarityReport:
    """Every pair with own code in common, most alike first, and how they were found."""

    pairs: list[Pair]
    compared: list[str]  #: the students whose code was compared
    not_compared: dict[str, str] = field(default_factory=dict)  #: student -> why not (no Python file, refused)
    own_tokens: dict[str, int] = field(default_factory=dict)  #: student -> tokens of own code (not starter, not hints)
    k: int = K
    window: int = WINDOW
    threshold: float = WORTH_A_LOOK
    min_tokens: int = MIN_TOKENS
    common_share: float = COMMON_SHARE
    common_fingerprints: int = 0  #: fingerprints left out because too many students share them
    base_fingerprints: int = 0  #: fingerprints of the starter and the hints, left out

    @property
    def flagged(self) -> list[Pair]:
        """The pairs worth a look."""
        return [p for p in self.pairs if p.worth_a_look]


# ------------------------------------------------------------------ tokens


def _raw_tokens(source: str) -> list[tokenize.TokenInfo]:
    """Python's tokens of `source`, as far as tokenize gets (broken code is compared up to where it breaks)."""
    out: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            out.append(tok)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def _chosen_attributes(toks: list[tokenize.TokenInfo]) -> set[str]:
    """Names the student chose that appear after a dot: attributes they assign (`self.fc1 = ...`) and their defs."""
    chosen = set()
    for i, tok in enumerate(toks):
        if tok.type != tokenize.NAME:
            continue
        before = toks[i - 1] if i else None
        after = toks[i + 1] if i + 1 < len(toks) else None
        if before is not None and before.string in ("def", "class"):
            chosen.add(tok.string)
        elif before is not None and before.string == "." and after is not None and after.type == tokenize.OP \
                and after.string in ("=", "+=", "-=", "*=", "/=", ":"):
            chosen.add(tok.string)
    return chosen


def normalise(source: str, file: str = "train.py") -> list[Token]:
    """`source` as normalised tokens (see the module's docstring)."""
    toks = [t for t in _raw_tokens(source) if t.type not in _SKIP]
    chosen = _chosen_attributes(toks)
    out: list[Token] = []
    depth = 0  #: inside an f-string (Python 3.12 splits them into parts)
    statement_start = True
    i = 0
    while i < len(toks):
        tok = toks[i]
        if _FSTRING and tok.type in _FSTRING:
            if depth == 0:
                out.append(Token("S", file, tok.start[0]))
            depth += 1
        elif _FSTRING_END and tok.type in _FSTRING_END:
            depth -= 1
        elif depth:
            pass
        elif tok.type == tokenize.STRING and statement_start and _lone_string(toks, i):
            while i < len(toks) and toks[i].type != tokenize.NEWLINE:  # a docstring, or a string used as a comment
                i += 1
        elif tok.type == tokenize.NEWLINE:
            out.append(Token(";", file, tok.start[0]))
        elif tok.type == tokenize.INDENT:
            out.append(Token("{", file, tok.start[0]))
        elif tok.type == tokenize.DEDENT:
            out.append(Token("}", file, tok.start[0]))
        elif tok.type == tokenize.NUMBER:
            out.append(Token("#", file, tok.start[0]))
        elif tok.type == tokenize.STRING:
            out.append(Token("S", file, tok.start[0]))
        elif tok.type == tokenize.NAME:
            after_dot = i > 0 and toks[i - 1].string == "."
            if keyword.iskeyword(tok.string):
                text = tok.string
            elif after_dot:
                text = "N" if tok.string in chosen else "." + tok.string
            else:
                text = tok.string if tok.string in _BUILTINS else "N"
            out.append(Token(text, file, tok.start[0]))
        elif tok.type in (tokenize.OP, tokenize.ERRORTOKEN) and tok.string.strip():
            out.append(Token(tok.string, file, tok.start[0]))
        statement_start = tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT) if depth == 0 else False
        i += 1
    return out


def _lone_string(toks: list[tokenize.TokenInfo], i: int) -> bool:
    """Whether the string at `i` is a statement on its own (one or more strings, then the end of the line)."""
    while i < len(toks) and toks[i].type == tokenize.STRING:
        i += 1
    return i >= len(toks) or toks[i].type == tokenize.NEWLINE


# ------------------------------------------------------------------ fingerprints


def _hashes(tokens: list[Token]) -> list[int]:
    """The hash of every run of K tokens (index i: the run starting at token i)."""
    texts = [t.text for t in tokens]
    return [int.from_bytes(hashlib.blake2b("\x1f".join(texts[i:i + K]).encode(), digest_size=8).digest(), "big")
            for i in range(len(texts) - K + 1)]


def fingerprints(tokens: list[Token]) -> dict[int, list[int]]:
    """Winnowing: {hash: the starts of the runs chosen with it}, the rightmost smallest hash of each window."""
    return _winnow(_hashes(tokens))


def _winnow(hashes: list[int]) -> dict[int, list[int]]:
    chosen: dict[int, list[int]] = {}
    last = -1
    windows = len(hashes) - WINDOW + 1 if len(hashes) >= WINDOW else min(1, len(hashes))  # a short file: one window
    for start in range(windows):
        window = hashes[start:start + WINDOW]
        low = min(window)
        pos = start + max(j for j, h in enumerate(window) if h == low)
        if pos != last:
            chosen.setdefault(hashes[pos], []).append(pos)
            last = pos
    return chosen


_CALL = re.compile(r"[A-Za-z_][\w.]*\(")
_LAYOUT = (";", "{", "}")  #: the ends of lines and blocks


def code_in_text(text: str) -> list[str]:
    """The calls quoted in prose (a hint): `nn.Sequential(nn.Linear(2, 64), nn.ReLU())`, with balanced parentheses."""
    found = []
    pos = 0
    while True:
        match = _CALL.search(text, pos)
        if match is None:
            return found
        depth, end = 0, match.end() - 1
        while end < len(text):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
            end += 1
        if depth == 0:
            found.append(text[match.start():end + 1])
            pos = end + 1
        else:
            pos = match.end()


# ------------------------------------------------------------------ pairs


@dataclass
class _Student:
    name: str
    tokens: list[Token]
    lines: dict[str, list[str]]  #: file -> its lines, to quote fragments
    own: list[bool]  #: token i is the student's own (no starter or hint run covers it)
    prints: dict[int, list[int]]  #: fingerprints left after the exclusions


def _student(name: str, files: Mapping[str, str], base: set[int]) -> _Student:
    tokens: list[Token] = []
    lines: dict[str, list[str]] = {}
    budget = MAX_SOURCE_CHARS
    for file in sorted(files):
        text = files[file][:max(0, budget)]
        budget -= len(text)
        lines[file] = text.splitlines()
        tokens.extend(normalise(text, file))
    hashes = _hashes(tokens)
    own = [True] * len(tokens)
    for start, h in enumerate(hashes):
        if h in base:  # a run the starter or a hint holds: not the student's own
            own[start:start + K] = [False] * K
    prints = {h: starts for h, starts in _winnow(hashes).items() if h not in base}
    return _Student(name, tokens, lines, own, prints)


def _grow(a: list[str], b: list[str], i: int, j: int) -> tuple[int, int, int]:
    """The longest common run of a and b through a[i:i+K] == b[j:j+K]: (start in a, start in b, length)."""
    while i > 0 and j > 0 and a[i - 1] == b[j - 1]:
        i, j = i - 1, j - 1
    n = 0
    while i + n < len(a) and j + n < len(b) and a[i + n] == b[j + n]:
        n += 1
    return i, j, n


def _quote(student: _Student, first: Token, last: Token) -> str:
    lines = student.lines.get(first.file, [])
    return "\n".join(lines[first.line - 1:last.line])


def _pair(a: _Student, b: _Student, shared: Iterable[int]) -> Pair | None:
    ta, tb = [t.text for t in a.tokens], [t.text for t in b.tokens]
    runs: dict[int, list[tuple[int, int, int]]] = {}  #: diagonal (i - j) -> the runs grown on it
    for h in shared:
        for i in a.prints[h]:
            for j in b.prints[h]:
                if any(start <= i < start + n for start, _, n in runs.get(i - j, ())):
                    continue  # inside a run already grown
                if ta[i:i + K] == tb[j:j + K]:  # not a hash collision
                    run = _grow(ta, tb, i, j)
                    runs.setdefault(i - j, []).append(run)
    used_a, used_b = [False] * len(ta), [False] * len(tb)
    tiles = []
    for i, j, n in sorted((r for rs in runs.values() for r in rs), key=lambda r: (-r[2], r[0], r[1])):
        # shorten a run where it meets a tile already laid (greedy tiling: no token twice)
        while n >= K and (used_a[i] or used_b[j]):
            i, j, n = i + 1, j + 1, n - 1
        end = 0
        while end < n and not used_a[i + end] and not used_b[j + end]:
            end += 1
        if end < K:
            continue
        for d in range(end):
            used_a[i + d] = used_b[j + d] = True
        tiles.append((i, j, end))
    common_a = sum(1 for k, used in enumerate(used_a) if used and a.own[k])
    common_b = sum(1 for k, used in enumerate(used_b) if used and b.own[k])
    common = min(common_a, common_b)
    if common == 0:
        return None
    a_share = common_a / max(1, sum(a.own))
    b_share = common_b / max(1, sum(b.own))
    similarity = max(a_share, b_share)
    return Pair(a.name, b.name, round(similarity, 4), round(a_share, 4), round(b_share, 4), common,
                similarity >= WORTH_A_LOOK and common >= MIN_TOKENS, _fragments(a, b, tiles))


def _fragments(a: _Student, b: _Student, tiles: list[tuple[int, int, int]]) -> tuple[Fragment, ...]:
    """The parts of the tiles that are own code on both sides (the starter's lines are not worth showing)."""
    pieces = []
    for i, j, n in tiles:
        d = 0
        while d < n:
            if not (a.own[i + d] and b.own[j + d]):
                d += 1
                continue
            start = d
            while d < n and a.own[i + d] and b.own[j + d]:
                d += 1
            if d - start >= K // 2:
                pieces.append((i + start, j + start, d - start))
    out = []
    for i, j, n in sorted(pieces, key=lambda p: (-p[2], p[0]))[:SHOWN_FRAGMENTS]:
        first, last = 0, n - 1  # the lines shown: from the first real token to the last (not a line's end)
        while first < last and a.tokens[i + first].text in _LAYOUT:
            first += 1
        while last > first and a.tokens[i + last].text in _LAYOUT:
            last -= 1
        fa, la, fb, lb = a.tokens[i + first], a.tokens[i + last], b.tokens[j + first], b.tokens[j + last]
        out.append(Fragment(n, fa.file, (fa.line, la.line), fb.file, (fb.line, lb.line), _quote(a, fa, la),
                            _quote(b, fb, lb)))
    return tuple(out)


def compare_sources(sources: Mapping[str, Mapping[str, str]], *, base: Iterable[str] = (),
                    not_compared: Mapping[str, str] | None = None) -> SimilarityReport:
    """Compare every student's code with every other's.

    `sources`: student -> {file: text} (their Python files); `base`: texts everyone
    was given (the starter's files, the code in the hints), left out of the comparison.
    """
    base_prints: set[int] = set()
    for text in base:
        base_prints.update(_hashes(normalise(text, "")))
    students = [_student(name, files, base_prints) for name, files in sorted(sources.items())]
    holders: dict[int, list[int]] = {}
    for index, student in enumerate(students):
        for h in student.prints:
            holders.setdefault(h, []).append(index)
    limit = max(COMMON_FLOOR, COMMON_SHARE * len(students))
    common = {h for h, who in holders.items() if len(who) > limit}
    pairs = []
    shared_by: dict[tuple[int, int], list[int]] = {}
    for h, who in holders.items():
        if h in common:
            continue
        for x in range(len(who)):
            for y in range(x + 1, len(who)):
                shared_by.setdefault((who[x], who[y]), []).append(h)
    for (x, y), shared in shared_by.items():
        pair = _pair(students[x], students[y], shared)
        if pair is not None:
            pairs.append(pair)
    pairs.sort(key=lambda p: (-p.similarity, -p.tokens, p.a, p.b))
    return SimilarityReport(
        pairs=pairs, compared=[s.name for s in students], not_compared=dict(not_compared or {}),
        own_tokens={s.name: sum(s.own) for s in students}, common_fingerprints=len(common),
        base_fingerprints=len(base_prints))


def compare_submissions(project: Any, submissions: Iterable[Any]) -> SimilarityReport:
    """Compare a class's submissions (`dlpath.grading.submissions.Submission`) against `project`.

    The starter's Python files and the code quoted in the project's hints are left out. A
    submission that cannot be read (a refused zip) or holds no Python file is listed in
    `not_compared` with the reason.
    """
    from dlpath.grading.submissions import SubmissionRefused, python_sources

    sources: dict[str, dict[str, str]] = {}
    skipped: dict[str, str] = {}
    for submission in submissions:
        try:
            files = python_sources(submission)
        except SubmissionRefused as exc:
            skipped[submission.student] = exc.message
            continue
        if files:
            sources[submission.student] = files
        else:
            skipped[submission.student] = "no Python file"
    base = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(project.starter_dir.rglob("*.py"))
            if p.is_file()]
    base += [code for hint in project.hints for code in code_in_text(hint)]
    return compare_sources(sources, base=base, not_compared=skipped)
