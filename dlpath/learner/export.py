"""Moving progress between machines: `dlpath progress export FILE` and `import FILE`.

An export is JSON (`"format": "dlpath-progress"`, a version) holding every
completion, attempt, setting, counter and review card. Importing merges:
newer data always wins and nothing is lost. An export from elsewhere is
untrusted: every field is checked (no nulls where a value is needed, no absurd
numbers, no terminal escape codes) before anything is written.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Callable

from dlpath.atomic import write_text
from dlpath.errors import UsageError
from dlpath.learner.store import Attempt, Completion, CompletionKind, ReviewCard, Store, insert_attempt, now

__all__ = ["EXPORT_FORMAT", "EXPORT_VERSION", "BadExport", "export_progress", "merge_progress", "checked_entries",
           "read_export_file", "write_export_file"]

EXPORT_FORMAT = "dlpath-progress"
EXPORT_VERSION = 1


class BadExport(UsageError):
    """A progress export file that cannot be imported."""


def export_progress(store: Store) -> dict[str, Any]:
    """Everything in the store, as JSON-able data."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": now(),
        "completions": [{"lesson": c.lesson, "how": c.how.value, "at": c.at}
                        for c in sorted(store.completions().values(), key=lambda c: c.at)],
        "attempts": [vars(a) for a in reversed(store.attempts(limit=None))],
        "settings": store.settings(),
        "counters": store.counters(),
        "review_cards": [
            {"card": c.card, "lesson": c.lesson, "state": c.state, "due": c.due, "updated_at": c.updated_at}
            for c in sorted(store.review_cards().values(), key=lambda c: c.card)
        ],
        "review_log": store.review_log(),
    }


def merge_progress(store: Store, data: Any, source: str = "the import") -> dict[str, int]:
    """Merge an export into this store; newer data always wins, nothing is lost.

    Returns how many completions, attempts and settings were added or updated.
    """
    completions, attempts, settings, counters, cards, log = _parse_export(data, source)
    counts = {"completions": 0, "attempts": 0, "settings": 0}
    with store.transaction() as db:
        for c in completions:
            cur = db.execute(
                "INSERT INTO completions (lesson, how, at) VALUES (?, ?, ?) ON CONFLICT (lesson) "
                "DO UPDATE SET how = excluded.how, at = excluded.at WHERE excluded.at > completions.at",
                (c.lesson, c.how.value, c.at),
            )
            counts["completions"] += cur.rowcount
        for a in attempts:
            counts["attempts"] += insert_attempt(db, a, ignore_existing=True)
        for key, value, updated_at in settings:
            cur = db.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) "
                "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at "
                "WHERE excluded.updated_at > settings.updated_at",
                (key, json.dumps(value), updated_at),
            )
            counts["settings"] += cur.rowcount
        for key, value in counters.items():
            db.execute(
                "INSERT INTO counters (key, value) VALUES (?, ?) ON CONFLICT (key) "
                "DO UPDATE SET value = max(value, excluded.value)",
                (key, value),
            )
        for c in cards:
            db.execute(
                "INSERT INTO review_cards (card, lesson, state, due, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (card) DO UPDATE SET lesson = excluded.lesson, state = excluded.state, "
                "due = excluded.due, updated_at = excluded.updated_at "
                "WHERE excluded.updated_at > review_cards.updated_at",
                (c.card, c.lesson, json.dumps(c.state), c.due, c.updated_at),
            )
        for uid, card, at, correct, rating in log:
            db.execute(
                "INSERT OR IGNORE INTO review_log (uid, card, at, correct, rating) VALUES (?, ?, ?, ?, ?)",
                (uid, card, at, int(correct), rating),
            )
    return counts



_MAX_NUMBER = 1e15  # anything larger in an export is not a real duration, metric or count
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _list(data: dict, key: str, bad: Callable[[str], BadExport]) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise bad(f"\"{key}\" must be a list")
    if not all(isinstance(item, dict) for item in value):
        raise bad(f"every entry of \"{key}\" must be an object")
    return value


def _mapping(data: dict, key: str, bad: Callable[[str], BadExport]) -> dict:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise bad(f"\"{key}\" must be an object")
    return dict(value)


def _field_readers(bad: Callable[[str], BadExport]) -> tuple[Callable[..., Any], ...]:
    """Readers of one entry's fields that refuse nulls, absurd numbers and control characters."""

    def text(entry: dict, key: str, optional: bool = False) -> str | None:
        value = entry.get(key)
        if value is None:
            if optional:
                return None
            raise bad(f"\"{key}\" is missing or null in an entry")
        if not isinstance(value, str) or len(value) > 10_000:
            raise bad(f"\"{key}\" must be a text (of sensible length), not {type(value).__name__}")
        if _CONTROL.search(value):
            raise bad(f"\"{key}\" holds control characters (terminal escape codes are not allowed)")
        return value

    def number(entry: dict, key: str, optional: bool = False) -> float | None:
        value = entry.get(key)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or (
                abs(value) > _MAX_NUMBER):
            raise bad(f"\"{key}\" must be a finite number of sensible size, not {str(value)[:40]}")
        return float(value)

    def whole(entry: dict, key: str, optional: bool = False) -> int | None:
        value = entry.get(key)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
            raise bad(f"\"{key}\" must be a whole number of sensible size, not {str(value)[:40]}")
        return value

    def flag(entry: dict, key: str) -> bool:
        value = entry.get(key)
        if not isinstance(value, bool):
            raise bad(f"\"{key}\" must be true or false, not {str(value)[:40]}")
        return value

    return text, number, whole, flag


def _parse_export(
    data: Any, source: str
) -> tuple[list[Completion], list[Attempt], list[tuple[str, Any, str]], dict[str, int], list[ReviewCard],
           list[tuple[str, str, str, bool, int]]]:
    def bad(why: str) -> BadExport:
        return BadExport(f"{source} is not a dlpath progress export: {why}.",
                         hint="Create one with `dlpath progress export FILE` on the other machine.")

    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise bad(f"it has no \"format\": \"{EXPORT_FORMAT}\"")
    if not isinstance(data.get("version"), int) or data["version"] > EXPORT_VERSION:
        raise BadExport(f"{source} was written by a newer dlpath (export version {data.get('version')}).",
                        hint="Upgrade dlpath, then import again.")
    text, number, whole, flag = _field_readers(bad)
    try:
        completions = []
        for c in _list(data, "completions", bad):
            lesson, how = text(c, "lesson"), text(c, "how")
            if how not in {k.value for k in CompletionKind}:
                raise bad(f"completion of '{lesson}' has the unknown kind '{how}'")
            completions.append(Completion(lesson, CompletionKind(how), text(c, "at")))
        attempts = [
            Attempt(
                uid=text(a, "uid"), project=text(a, "project"), lesson=text(a, "lesson", optional=True),
                at=text(a, "at"), passed=flag(a, "passed"), verdict=text(a, "verdict", optional=True) or "",
                metrics={str(k)[:100]: number({"v": v}, "v", optional=True) for k, v in _mapping(a, "metrics", bad).items()},
                duration_s=number(a, "duration_s", optional=True) or 0.0, device=text(a, "device", optional=True) or "cpu",
                seed=whole(a, "seed", optional=True),
                report=a.get("report") if isinstance(a.get("report"), dict) and len(json.dumps(a["report"])) < 2**20
                else None,
            )
            for a in _list(data, "attempts", bad)
        ]
        settings = [(text(s, "key"), s["value"], text(s, "updated_at")) for s in _list(data, "settings", bad)]
        counters = {str(k)[:100]: whole({"v": v}, "v") for k, v in _mapping(data, "counters", bad).items()}
        cards = [
            ReviewCard(text(c, "card"), text(c, "lesson"), _mapping(c, "state", bad), text(c, "due"), text(c, "updated_at"))
            for c in _list(data, "review_cards", bad)
        ]
        log = [
            (text(r, "uid"), text(r, "card"), text(r, "at"), flag(r, "correct"), whole(r, "rating"))
            for r in _list(data, "review_log", bad)
        ]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise bad(f"an entry is malformed ({type(exc).__name__}: {exc})") from None
    return completions, attempts, settings, counters, cards, log



def checked_entries(kind: str, entries: Any) -> Any:
    """The entries of one kind of an export ("completions", "attempts", ..., a list; "counters", a mapping) that
    an import would accept, each checked on its own: the others are left out (what `progress repair` reads from
    a damaged store can hold anything)."""
    def accepted(value: Any) -> bool:
        try:
            _parse_export({"format": EXPORT_FORMAT, "version": EXPORT_VERSION, kind: value}, "an entry")
        except BadExport:
            return False
        return True

    if kind == "counters":
        return {key: value for key, value in dict(entries).items() if accepted({key: value})}
    return [entry for entry in entries if accepted([entry])]


def read_export_file(path: Path) -> Any:
    """The JSON in an export file, or `BadExport` saying why not."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BadExport(f"cannot read {path}: {exc.strerror}.") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadExport(f"{path} is not valid JSON ({exc}).",
                        hint="Create one with `dlpath progress export FILE`.") from None
    except RecursionError:
        raise BadExport(f"{path} is nested far too deeply to be a dlpath progress export.",
                        hint="Create one with `dlpath progress export FILE`.") from None


def write_export_file(path: Path, data: dict[str, Any]) -> None:
    """Write an export atomically: a full disk never leaves half a file."""
    write_text(Path(path), json.dumps(data, indent=2, ensure_ascii=False) + "\n")
