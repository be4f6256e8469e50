"""The store's schema: named migrations, in order, each in one transaction.

`MIGRATIONS[n]` brings a store from version n to n + 1 (SQLite's `user_version`);
`migrate` runs the ones a store lacks and writes each one's name in the `meta`
table, which also says that dlpath manages the file.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]


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


def migrate(db: sqlite3.Connection) -> None:
    """Bring `db` up to `SCHEMA_VERSION` in one BEGIN IMMEDIATE transaction (another process may be doing the same)."""
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
