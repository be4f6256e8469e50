"""The progress store: what the learner has done, every grading attempt, settings,
and the review schedule (`dlpath review`).

One SQLite file (`progress.sqlite3`) in the data home (`dlpath.paths.data_home`,
or `DLPATH_HOME`). Its `meta` table says that dlpath manages it; its schema
version is SQLite's `user_version`, and `dlpath.learner.migrations` brings an
older store up to date in place, in order, each in its own transaction.

Writes run in `BEGIN IMMEDIATE` transactions with a generous busy timeout, so
commands running at once wait for each other instead of losing work. A file
that is not a dlpath store, or that SQLite cannot read, raises `StoreDamaged`
and is left exactly as it was.

Progress is keyed on lesson ids as they were when recorded; mapping old ids
(aliases) to current ones is `dlpath.learner.completion`'s job, so nothing is
ever rewritten or dropped here. Moving progress between machines is
`dlpath.learner.export`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlpath.errors import EnvironmentProblem
from dlpath.learner.migrations import SCHEMA_VERSION, migrate
from dlpath.paths import data_home
from dlpath.text import TextEnum

__all__ = [
    "CompletionKind",
    "Completion",
    "Attempt",
    "ReviewCard",
    "HomeIsAFile",
    "Store",
    "StoreDamaged",
    "StoreTooNew",
    "open_store",
    "store_path",
    "now",
]

STORE_NAME = "progress.sqlite3"


class StoreDamaged(EnvironmentProblem):
    """The progress store cannot be read; it is left untouched."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"the progress store {path} is damaged or is not a dlpath store ({detail}). "
            "dlpath has left it exactly as it was.",
            hint=(
                "`dlpath progress repair` keeps the damaged file, reads what it can of it into a new store and "
                "says what it saved and what it could not. If you have an export, `dlpath progress import FILE` "
                "then adds it."
            ),
        )
        self.path = path
        self.detail = detail


class StoreTooNew(EnvironmentProblem):
    """The store was written by a newer dlpath."""

    def __init__(self, path: Path, version: int) -> None:
        super().__init__(
            f"the progress store {path} has schema version {version}, newer than this dlpath "
            f"understands ({SCHEMA_VERSION}).",
            hint="Upgrade dlpath (pip install --upgrade dlpath); the store was not changed.",
        )


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


class CompletionKind(TextEnum):
    """How a lesson was completed: the values the store keeps (and its schema checks)."""

    DONE = "done"  #: read, and marked done (`dlpath done`, or every quiz question right)
    PASSED = "passed"  #: its project passed `dlpath check`
    SKIPPED = "skipped"  #: tested out of (`dlpath skip`): counts as done for what follows


@dataclass(frozen=True)
class Completion:
    """A lesson the learner finished or tested out of."""

    lesson: str  # the lesson id as it was when recorded
    how: CompletionKind
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
    state: dict[str, Any]  # the FSRS card (`fsrs.Card.to_dict()`), owned by `dlpath.learner.review`
    due: str  # ISO 8601, UTC, microseconds: ordered as text
    updated_at: str


# ---------------------------------------------------------------- schema


def store_path(home: Path | None = None) -> Path:
    return (home if home is not None else data_home()) / STORE_NAME


def now() -> str:
    """The time now as ISO 8601, UTC, with microseconds (ordered as text)."""
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

    def transaction(self) -> Transaction:
        """`with store.transaction() as db:` writes in one BEGIN IMMEDIATE transaction."""
        if self._db is None:
            self._db = _connect(self.path, create=True)
        return Transaction(self._db, self.path)

    # -- completions

    def completions(self) -> dict[str, Completion]:
        """Every completion, keyed by the lesson id it was recorded under."""
        rows = self._query("SELECT lesson, how, at FROM completions")
        return {r["lesson"]: Completion(r["lesson"], CompletionKind(r["how"]), r["at"]) for r in rows}

    def complete(self, lesson_id: str, how: CompletionKind = CompletionKind.DONE) -> None:
        """Record that `lesson_id` is completed (`how`). Whether it may be is `dlpath.learner.completion`'s rule."""
        how = CompletionKind(how)
        with self.transaction() as db:
            db.execute(
                "INSERT INTO completions (lesson, how, at) VALUES (?, ?, ?) "
                "ON CONFLICT (lesson) DO UPDATE SET how = excluded.how, at = excluded.at",
                (lesson_id, how.value, now()),
            )

    def uncomplete(self, lesson_ids: list[str]) -> int:
        """Forget the completion of these ids; returns how many there were."""
        with self.transaction() as db:
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
            uid=os.urandom(16).hex(), project=project, lesson=lesson, at=now(), passed=bool(passed),
            verdict=verdict, metrics=dict(metrics or {}), duration_s=float(duration_s), device=device,
            seed=seed, report=None if report is None else _nan_to_none(dict(report)),
        )
        with self.transaction() as db:
            insert_attempt(db, attempt)
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

    def passed_projects(self) -> set[str]:
        """The ids of the projects (and exercise folders) with at least one counted pass."""
        return {str(r["project"]) for r in self._query("SELECT DISTINCT project FROM attempts WHERE passed")}

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
        at = at or now()
        with self.transaction() as db:
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

    def review_log(self) -> list[dict[str, Any]]:
        """Every answer `dlpath review` recorded, oldest first."""
        return [{"uid": r["uid"], "card": r["card"], "at": r["at"], "correct": bool(r["correct"]), "rating": r["rating"]}
                for r in self._query("SELECT uid, card, at, correct, rating FROM review_log ORDER BY at, id")]

    # -- settings and counters

    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self._query("SELECT value FROM settings WHERE key = ?", (key,))
        return json.loads(rows[0]["value"]) if rows else default

    def set_setting(self, key: str, value: Any) -> None:
        """Set a setting; None removes it."""
        with self.transaction() as db:
            if value is None:
                db.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                db.execute(
                    "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) "
                    "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    (key, json.dumps(value), now()),
                )

    def settings(self) -> list[dict[str, Any]]:
        """Every setting with its value and when it changed, by key."""
        return [{"key": r["key"], "value": json.loads(r["value"]), "updated_at": r["updated_at"]}
                for r in self._query("SELECT key, value, updated_at FROM settings ORDER BY key")]

    def counters(self) -> dict[str, int]:
        return {r["key"]: int(r["value"]) for r in self._query("SELECT key, value FROM counters")}

    def counter(self, key: str) -> int:
        rows = self._query("SELECT value FROM counters WHERE key = ?", (key,))
        return int(rows[0]["value"]) if rows else 0

    def bump_counter(self, key: str) -> int:
        """Add one to a counter and return its new value."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO counters (key, value) VALUES (?, 1) "
                "ON CONFLICT (key) DO UPDATE SET value = value + 1",
                (key,),
            )
            return int(db.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()[0])

    # -- moving between machines


class Transaction:
    """One BEGIN IMMEDIATE transaction on the store (`Store.transaction()`)."""

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


def insert_attempt(db: sqlite3.Connection, a: Attempt, ignore_existing: bool = False) -> int:
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
            migrate(db)
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

