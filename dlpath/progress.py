"""The progress store: what the learner has done, every grading attempt, settings,
and the review schedule (`dlpath review`).

One SQLite file (`progress.sqlite3`) in the data home (`dlpath.paths.data_home`,
or `DLPATH_HOME`). Its `meta` table says that dlpath manages it; its schema
version is SQLite's `user_version`, and `MIGRATIONS` below bring an older store
up to date in place, in order, each in its own transaction.

Writes run in `BEGIN IMMEDIATE` transactions with a generous busy timeout, so
commands running at once wait for each other instead of losing work. A file
that is not a dlpath store, or that SQLite cannot read, raises `StoreDamaged`
and is left exactly as it was.

Progress is keyed on lesson ids as they were when recorded; mapping old ids
(aliases) to current ones is the planner's job, so nothing is ever rewritten
or dropped here.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from dlpath.errors import EnvironmentProblem, UsageError

__all__ = [
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "Completion",
    "Attempt",
    "ReviewCard",
    "HomeIsAFile",
    "Store",
    "StoreDamaged",
    "StoreTooNew",
    "BadExport",
    "open_store",
    "store_path",
    "read_export_file",
    "write_export_file",
]

STORE_NAME = "progress.sqlite3"
EXPORT_FORMAT = "dlpath-progress"
EXPORT_VERSION = 1


class StoreDamaged(EnvironmentProblem):
    """The progress store cannot be read; it is left untouched."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"the progress store {path} is damaged or is not a dlpath store ({detail}). "
            "dlpath has left it exactly as it was.",
            hint=(
                f"Keep a copy, then move it aside to start afresh (mv '{path}' '{path}.broken'), "
                "or point DLPATH_HOME at another folder. If you have an export, "
                "`dlpath progress import FILE` restores it into the new store."
            ),
        )
        self.path = path


class StoreTooNew(EnvironmentProblem):
    """The store was written by a newer dlpath."""

    def __init__(self, path: Path, version: int) -> None:
        super().__init__(
            f"the progress store {path} has schema version {version}, newer than this dlpath "
            f"understands ({SCHEMA_VERSION}).",
            hint="Upgrade dlpath (pip install --upgrade dlpath); the store was not changed.",
        )


class BadExport(UsageError):
    """A progress export file that cannot be imported."""


class HomeIsAFile(EnvironmentProblem):
    """The data home (DLPATH_HOME, or the platform's data folder) is a file, not a folder."""

    def __init__(self, home: Path) -> None:
        named = "DLPATH_HOME" if os.environ.get("DLPATH_HOME") else "dlpath's data folder"
        super().__init__(
            f"{named} ({home}) is a file, not a folder: dlpath keeps your progress in a folder.",
            hint=(
                "Point DLPATH_HOME at a folder (dlpath creates it if it does not exist), "
                "or unset DLPATH_HOME to use the default one."
                if os.environ.get("DLPATH_HOME")
                else f"Move that file aside (mv '{home}' '{home}.old') and run the command again."
            ),
        )
        self.home = home


@dataclass(frozen=True)
class Completion:
    """A lesson the learner finished or tested out of."""

    lesson: str  # the lesson id as it was when recorded
    how: str  # "done" (read), "passed" (its project passed), or "skipped" (tested out)
    at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class Attempt:
    """One `dlpath check`."""

    uid: str
    project: str
    lesson: str | None
    at: str
    passed: bool
    verdict: str
    metrics: dict[str, Any]
    duration_s: float
    device: str
    seed: int | None
    report: dict[str, Any] | None = None  # the grader's full report (JSON), when it recorded one


@dataclass(frozen=True)
class ReviewCard:
    """The review schedule of one self-check question (`dlpath review`)."""

    card: str  # "<lesson id>/<checksum of the question's text>": a changed question is a new card
    lesson: str
    state: dict[str, Any]  # the FSRS card (`fsrs.Card.to_dict()`), owned by `dlpath.review`
    due: str  # ISO 8601, UTC, microseconds: ordered as text
    updated_at: str


# ---------------------------------------------------------------- schema


def _run(db: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it commits first, and a migration must stay one transaction.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1(db: sqlite3.Connection) -> None:
    _run(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE completions (
            lesson TEXT PRIMARY KEY,
            how TEXT NOT NULL CHECK (how IN ('done', 'passed', 'skipped')),
            at TEXT NOT NULL
        );
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            project TEXT NOT NULL,
            lesson TEXT,
            at TEXT NOT NULL,
            passed INTEGER NOT NULL,
            verdict TEXT NOT NULL,
            metrics TEXT NOT NULL DEFAULT '{}',
            duration_s REAL NOT NULL DEFAULT 0,
            device TEXT NOT NULL DEFAULT 'cpu'
        );
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """
    )


def _v2(db: sqlite3.Connection) -> None:
    # Attempts get a stable id (so imports can merge without duplicates) and the
    # grade seed; settings remember when they changed (newest wins on import);
    # counters hold things like how many hints were shown.
    _run(
        db,
        """
        ALTER TABLE attempts ADD COLUMN uid TEXT;
        ALTER TABLE attempts ADD COLUMN seed INTEGER;
        UPDATE attempts SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
        CREATE UNIQUE INDEX attempts_uid ON attempts (uid);
        CREATE INDEX attempts_at ON attempts (at);
        CREATE INDEX attempts_project ON attempts (project, at);
        ALTER TABLE settings ADD COLUMN updated_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00+00:00';
        CREATE TABLE counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        """
    )


def _v3(db: sqlite3.Connection) -> None:
    # The grader's full report of an attempt (thresholds, curves, ...) as JSON; older
    # attempts keep NULL and only their metrics (`dlpath portfolio` falls back to them).
    _run(db, "ALTER TABLE attempts ADD COLUMN report TEXT")


def _v4(db: sqlite3.Connection) -> None:
    # `dlpath review`: one FSRS card per self-check question reviewed at least once
    # (its state as JSON, its due time copied out for queries), and every answer given.
    _run(
        db,
        """
        CREATE TABLE review_cards (
            card TEXT PRIMARY KEY,
            lesson TEXT NOT NULL,
            state TEXT NOT NULL,
            due TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX review_cards_due ON review_cards (due);
        CREATE TABLE review_log (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            card TEXT NOT NULL,
            at TEXT NOT NULL,
            correct INTEGER NOT NULL,
            rating INTEGER NOT NULL
        );
        CREATE INDEX review_log_card ON review_log (card, at);
        """
    )


# Named and ordered: MIGRATIONS[n] brings a store from version n to n + 1.
MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("create completions, attempts and settings", _v1),
    ("attempt ids and seeds, setting times, counters", _v2),
    ("attempt reports (the grader's full report as JSON)", _v3),
    ("review schedule: FSRS cards and the review log", _v4),
]
SCHEMA_VERSION = len(MIGRATIONS)


def store_path(home: Path | None = None) -> Path:
    from dlpath.paths import data_home

    return (home if home is not None else data_home()) / STORE_NAME


def _now() -> str:
    from datetime import datetime, timezone  # only writes need it

    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _dumps(value: Any) -> str:
    """JSON text of `value`, with NaN and infinity written as null (strict JSON)."""
    return json.dumps(_nan_to_none(value), default=str)


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_to_none(v) for v in value]
    return value


# ---------------------------------------------------------------- the store


class Store:
    """An open progress store. Use `open_store()`; close it (or use `with`)."""

    def __init__(self, path: Path, db: sqlite3.Connection | None) -> None:
        self.path = path
        self._db = db  # None: the store does not exist yet and nothing was written

    # -- life cycle

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        if self._db is None:
            return []
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreDamaged(self.path, str(exc)) from None

    def _write(self) -> _Transaction:
        if self._db is None:
            self._db = _connect(self.path, create=True)
        return _Transaction(self._db, self.path)

    # -- completions

    def completions(self) -> dict[str, Completion]:
        """Every completion, keyed by the lesson id it was recorded under."""
        rows = self._query("SELECT lesson, how, at FROM completions")
        return {r["lesson"]: Completion(r["lesson"], r["how"], r["at"]) for r in rows}

    def complete(self, lesson_id: str, how: str = "done") -> None:
        """Record that `lesson_id` is done ("done", "passed") or tested out of ("skipped")."""
        if how not in ("done", "passed", "skipped"):
            raise ValueError(how)
        with self._write() as db:
            db.execute(
                "INSERT INTO completions (lesson, how, at) VALUES (?, ?, ?) "
                "ON CONFLICT (lesson) DO UPDATE SET how = excluded.how, at = excluded.at",
                (lesson_id, how, _now()),
            )

    def uncomplete(self, lesson_ids: list[str]) -> int:
        """Forget the completion of these ids; returns how many there were."""
        with self._write() as db:
            cur = db.executemany("DELETE FROM completions WHERE lesson = ?", [(i,) for i in lesson_ids])
            return cur.rowcount

    # -- attempts

    def record_attempt(
        self,
        *,
        project: str,
        lesson: str | None,
        passed: bool,
        verdict: str,
        metrics: dict[str, Any] | None = None,
        duration_s: float = 0.0,
        device: str = "cpu",
        seed: int | None = None,
        report: dict[str, Any] | None = None,
    ) -> Attempt:
        """Record one grading attempt and return it.

        `report` is the grader's full report (JSON-able; NaN and infinity are stored as null).
        """
        attempt = Attempt(
            uid=os.urandom(16).hex(), project=project, lesson=lesson, at=_now(), passed=bool(passed),
            verdict=verdict, metrics=dict(metrics or {}), duration_s=float(duration_s), device=device,
            seed=seed, report=None if report is None else _nan_to_none(dict(report)),
        )
        with self._write() as db:
            _insert_attempt(db, attempt)
        return attempt

    def attempts(self, project: str | None = None, limit: int | None = 20) -> list[Attempt]:
        """The newest attempts first (all of them with limit=None)."""
        sql = "SELECT * FROM attempts"
        params: tuple[Any, ...] = ()
        if project is not None:
            sql += " WHERE project = ?"
            params = (project,)
        sql += " ORDER BY at DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_attempt(r) for r in self._query(sql, params)]

    def attempt_count(self) -> int:
        rows = self._query("SELECT count(*) AS n FROM attempts")
        return int(rows[0]["n"]) if rows else 0

    # -- the review schedule

    def review_cards(self) -> dict[str, ReviewCard]:
        """Every review card, keyed by its card id."""
        rows = self._query("SELECT card, lesson, state, due, updated_at FROM review_cards")
        out = {}
        for r in rows:
            try:
                state = json.loads(r["state"])
            except ValueError:
                raise StoreDamaged(self.path, f"the review card '{r['card']}' is not valid JSON") from None
            out[r["card"]] = ReviewCard(r["card"], r["lesson"], state, r["due"], r["updated_at"])
        return out

    def review_due_times(self) -> dict[str, str]:
        """{card id: due time} of every review card (cheap: `dlpath next` counts what is due)."""
        return {r["card"]: r["due"] for r in self._query("SELECT card, due FROM review_cards")}

    def save_review(self, card: str, lesson: str, state: dict[str, Any], due: str, *, correct: bool,
                    rating: int, at: str | None = None) -> None:
        """Store a card's new schedule and log the answer that produced it, in one transaction."""
        at = at or _now()
        with self._write() as db:
            db.execute(
                "INSERT INTO review_cards (card, lesson, state, due, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (card) DO UPDATE SET lesson = excluded.lesson, state = excluded.state, "
                "due = excluded.due, updated_at = excluded.updated_at",
                (card, lesson, json.dumps(state), due, at),
            )
            db.execute(
                "INSERT INTO review_log (uid, card, at, correct, rating) VALUES (?, ?, ?, ?, ?)",
                (os.urandom(16).hex(), card, at, int(correct), int(rating)),
            )

    def review_count(self) -> int:
        """How many answers `dlpath review` has recorded."""
        rows = self._query("SELECT count(*) AS n FROM review_log")
        return int(rows[0]["n"]) if rows else 0

    # -- settings and counters

    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self._query("SELECT value FROM settings WHERE key = ?", (key,))
        return json.loads(rows[0]["value"]) if rows else default

    def set_setting(self, key: str, value: Any) -> None:
        """Set a setting; None removes it."""
        with self._write() as db:
            if value is None:
                db.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                db.execute(
                    "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) "
                    "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    (key, json.dumps(value), _now()),
                )

    def counter(self, key: str) -> int:
        rows = self._query("SELECT value FROM counters WHERE key = ?", (key,))
        return int(rows[0]["value"]) if rows else 0

    def bump_counter(self, key: str) -> int:
        """Add one to a counter and return its new value."""
        with self._write() as db:
            db.execute(
                "INSERT INTO counters (key, value) VALUES (?, 1) "
                "ON CONFLICT (key) DO UPDATE SET value = value + 1",
                (key,),
            )
            return int(db.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()[0])

    # -- moving between machines

    def export(self) -> dict[str, Any]:
        """Everything in the store, as JSON-able data."""
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": _now(),
            "completions": [vars(c) for c in sorted(self.completions().values(), key=lambda c: c.at)],
            "attempts": [vars(a) for a in reversed(self.attempts(limit=None))],
            "settings": [
                {"key": r["key"], "value": json.loads(r["value"]), "updated_at": r["updated_at"]}
                for r in self._query("SELECT key, value, updated_at FROM settings ORDER BY key")
            ],
            "counters": {r["key"]: r["value"] for r in self._query("SELECT key, value FROM counters")},
            "review_cards": [
                {"card": c.card, "lesson": c.lesson, "state": c.state, "due": c.due, "updated_at": c.updated_at}
                for c in sorted(self.review_cards().values(), key=lambda c: c.card)
            ],
            "review_log": [
                {"uid": r["uid"], "card": r["card"], "at": r["at"], "correct": bool(r["correct"]),
                 "rating": r["rating"]}
                for r in self._query("SELECT uid, card, at, correct, rating FROM review_log ORDER BY at, id")
            ],
        }

    def merge(self, data: Any, source: str = "the import") -> dict[str, int]:
        """Merge an export into this store; newer data always wins, nothing is lost.

        Returns how many completions, attempts and settings were added or updated.
        """
        completions, attempts, settings, counters, cards, log = _parse_export(data, source)
        counts = {"completions": 0, "attempts": 0, "settings": 0}
        with self._write() as db:
            for c in completions:
                cur = db.execute(
                    "INSERT INTO completions (lesson, how, at) VALUES (?, ?, ?) ON CONFLICT (lesson) "
                    "DO UPDATE SET how = excluded.how, at = excluded.at WHERE excluded.at > completions.at",
                    (c.lesson, c.how, c.at),
                )
                counts["completions"] += cur.rowcount
            for a in attempts:
                counts["attempts"] += _insert_attempt(db, a, ignore_existing=True)
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


class _Transaction:
    """`with store._write() as db:` runs one BEGIN IMMEDIATE transaction."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _storage_error(self.path, exc) from None
        except sqlite3.DatabaseError as exc:
            raise StoreDamaged(self.path, str(exc)) from None
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
                return
            except sqlite3.DatabaseError as err:
                self.db.execute("ROLLBACK")
                raise _storage_error(self.path, err) from None
        self.db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError):
            raise _storage_error(self.path, exc) from None
        if isinstance(exc, sqlite3.DatabaseError):
            raise StoreDamaged(self.path, str(exc)) from None


def _storage_error(path: Path, exc: sqlite3.DatabaseError) -> EnvironmentProblem:
    text = str(exc)
    if "full" in text:
        return EnvironmentProblem(
            f"the disk holding {path} is full: nothing was written, and your progress is as it was.",
            hint="Free some space and run the command again.",
        )
    if "locked" in text or "busy" in text:
        return EnvironmentProblem(
            f"the progress store {path} stayed locked by another dlpath command for too long; "
            "nothing was written.",
            hint="Wait for the other command to finish and run this one again.",
        )
    if "readonly" in text or "read-only" in text:
        return EnvironmentProblem(
            f"the progress store {path} is read-only: nothing was written.",
            hint="Check the permissions of the file and its folder, or set DLPATH_HOME to a writable folder.",
        )
    return EnvironmentProblem(f"the progress store {path} could not be written ({text}); nothing was changed.")


def _insert_attempt(db: sqlite3.Connection, a: Attempt, ignore_existing: bool = False) -> int:
    verb = "INSERT OR IGNORE" if ignore_existing else "INSERT"
    cur = db.execute(
        f"{verb} INTO attempts (uid, project, lesson, at, passed, verdict, metrics, duration_s, device, seed, "
        "report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (a.uid, a.project, a.lesson, a.at, int(a.passed), a.verdict, json.dumps(a.metrics, default=str),
         a.duration_s, a.device, a.seed, None if a.report is None else _dumps(a.report)),
    )
    return cur.rowcount


def _attempt(r: sqlite3.Row) -> Attempt:
    try:
        metrics = json.loads(r["metrics"])
    except ValueError:
        metrics = {}
    try:
        report = json.loads(r["report"]) if r["report"] else None
    except ValueError:
        report = None
    return Attempt(
        uid=r["uid"], project=r["project"], lesson=r["lesson"], at=r["at"], passed=bool(r["passed"]),
        verdict=r["verdict"], metrics=metrics, duration_s=r["duration_s"], device=r["device"], seed=r["seed"],
        report=report if isinstance(report, dict) else None,
    )


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
        completions = [Completion(text(c, "lesson"), text(c, "how"), text(c, "at")) for c in _list(data, "completions", bad)]
        for c in completions:
            if c.how not in ("done", "passed", "skipped"):
                raise bad(f"completion of '{c.lesson}' has the unknown kind '{c.how}'")
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


# ---------------------------------------------------------------- opening


def _connect(path: Path, create: bool) -> sqlite3.Connection:
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(str(path), timeout=60, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout = 60000")
        # One read transaction, one snapshot: another command may be creating the store right now,
        # and its tables must not be seen without the version it commits with them.
        db.execute("BEGIN")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            foreign = version == 0 and _has_tables(db)
        finally:
            db.execute("COMMIT")
        if foreign:
            db.close()
            raise StoreDamaged(path, "it holds tables that dlpath did not make")
        if version > SCHEMA_VERSION:
            db.close()
            raise StoreTooNew(path, version)
        if version > 0:
            _check_managed(db, path)
        if version < SCHEMA_VERSION:
            _migrate(db, path)
    except sqlite3.OperationalError as exc:
        raise _storage_error(path, exc) from None
    except sqlite3.DatabaseError as exc:
        raise StoreDamaged(path, str(exc)) from None
    return db


def _has_tables(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0


def _check_managed(db: sqlite3.Connection, path: Path) -> None:
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'managed_by'").fetchone()
    except sqlite3.OperationalError:
        row = None
    if row is None or row[0] != "dlpath":
        db.close()
        raise StoreDamaged(path, "it does not say that dlpath manages it")


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
        for n in range(version, SCHEMA_VERSION):
            name, step = MIGRATIONS[n]
            step(db)
            if n == 0:
                db.execute("INSERT INTO meta (key, value) VALUES ('managed_by', 'dlpath')")
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('about', "
                    "'dlpath progress store: lessons done, grading attempts, settings. "
                    "Managed by dlpath; export with `dlpath progress export`.')"
                )
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"migration_{n + 1}", name)
            )
            db.execute(f"PRAGMA user_version = {n + 1}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def open_store(home: Path | None = None) -> Store:
    """Open the learner's store (created on the first write, never replaced)."""
    path = store_path(home)
    if path.parent.exists() and not path.parent.is_dir():
        raise HomeIsAFile(path.parent)
    if not path.exists():
        return Store(path, None)
    if path.is_dir():
        raise StoreDamaged(path, "it is a folder, not a file")
    return Store(path, _connect(path, create=False))


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
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{int(time.time())}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
