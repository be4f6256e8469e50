"""`dlpath progress repair`: the way back from a damaged progress store, losing nothing.

A store that SQLite cannot read (a disk that filled up mid-write, a file cut
short by a copy, a bad sector) makes every command stop with `StoreDamaged`.
`repair_store` then, and only when asked:

1. moves the damaged file (and SQLite's journal files beside it) to
   `progress.sqlite3.damaged-<time>`: it is kept, never deleted or overwritten;
2. reads what can still be read from it, table by table, each table from
   its start up to a damaged page and from its end back down to one, and
   checks every entry as an import checks an export from elsewhere (a damaged
   page can hold anything);
3. writes what it read as a progress export beside it
   (`progress-salvaged-<time>.json`, for `dlpath progress import` anywhere);
4. merges that into a new, empty store, and says how much it read and how
   much it could not.

A healthy store is left alone. The store's own module never replaces a file;
this is the one place that moves one aside, because the learner asked.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from dlpath.learner.export import (EXPORT_FORMAT, EXPORT_VERSION, checked_entries, export_progress, merge_progress,
                                   write_export_file)
from dlpath.learner.store import StoreDamaged, open_store, store_path

__all__ = ["RepairResult", "repair_store", "salvage"]

_EPOCH = "1970-01-01T00:00:00+00:00"  # when a value from an old store says nothing of when it changed


@dataclass(frozen=True)
class RepairResult:
    """What `dlpath progress repair` did (its `--json` shape)."""

    store: str  #: the progress store
    damaged: bool  #: the store could not be read (nothing else was done when it could)
    problem: str | None  #: what was wrong with it
    kept_at: str | None  #: where the damaged file now is (kept as it was)
    export: str | None  #: the export file of what could be read
    read: dict[str, int] = field(default_factory=dict)  #: entries read and restored, per kind
    unreadable: dict[str, int] = field(default_factory=dict)  #: entries seen but not readable, per kind
    lost_tables: list[str] = field(default_factory=list)  #: tables none of whose rows could be read
    message: str = ""


def _rows(db: sqlite3.Connection, table: str) -> tuple[dict[int, sqlite3.Row], int]:
    """The readable rows of `table` by rowid, and how many more rows it holds that could not be read (counted
    through an index when one survives, else unknown: 0)."""
    found: dict[int, sqlite3.Row] = {}
    for order in ("ASC", "DESC"):  # from each end up to a damaged page
        try:
            for row in db.execute(f"SELECT rowid AS _rowid, * FROM {table} ORDER BY rowid {order}"):
                found.setdefault(row["_rowid"], row)
            if order == "ASC":
                return found, 0
        except sqlite3.DatabaseError:
            pass
    try:
        total = int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.DatabaseError:
        total = len(found)
    return found, max(0, total - len(found))


def _value(row: sqlite3.Row, key: str, default: Any = None) -> Any:
    return row[key] if key in row.keys() else default


def _json(text: Any, default: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else default
    except ValueError:
        return default


def _attempt(row: sqlite3.Row) -> dict[str, Any]:
    entry = {
        "project": row["project"], "lesson": row["lesson"], "at": row["at"], "passed": bool(row["passed"]),
        "verdict": row["verdict"], "metrics": _json(row["metrics"], {}), "duration_s": row["duration_s"],
        "device": row["device"], "seed": _value(row, "seed"), "report": _json(_value(row, "report"), None),
    }
    # an attempt from a store older than uids gets a stable one from what it says, so a second repair merges
    entry["uid"] = _value(row, "uid") or hashlib.sha256(json.dumps(entry, sort_keys=True, default=str).encode()
                                                        ).hexdigest()[:32]
    return entry


_TABLES: dict[str, Callable[[sqlite3.Row], Any]] = {
    "completions": lambda r: {"lesson": r["lesson"], "how": r["how"], "at": r["at"]},
    "attempts": _attempt,
    "settings": lambda r: {"key": r["key"], "value": _json(r["value"], None),
                           "updated_at": _value(r, "updated_at") or _EPOCH},
    "counters": lambda r: (r["key"], r["value"]),
    "review_cards": lambda r: {"card": r["card"], "lesson": r["lesson"], "state": _json(r["state"], None),
                               "due": r["due"], "updated_at": r["updated_at"]},
    "review_log": lambda r: {"uid": r["uid"], "card": r["card"], "at": r["at"], "correct": bool(r["correct"]),
                             "rating": r["rating"]},
}


_NAMES = {"completions": ("completed lesson", "completed lessons"), "attempts": ("attempt", "attempts"),
          "settings": ("setting", "settings"), "counters": ("counter", "counters"),
          "review_cards": ("review card", "review cards"), "review_log": ("review answer", "review answers")}


def _count(n: int, table: str) -> str:
    return f"{n} {_NAMES[table][n != 1]}"


def _open_read_only(path: Path) -> sqlite3.Connection | None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        db.row_factory = sqlite3.Row
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.DatabaseError:
        return None


def _tables(db: sqlite3.Connection) -> set[str]:
    try:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:  # the schema itself is damaged: try every table dlpath makes
        return set(_TABLES)


def salvage(path: Path) -> tuple[dict[str, Any], dict[str, int], dict[str, int], list[str]]:
    """What can be read from the store file at `path`, as a progress export (checked entry by entry), with how
    many entries were read and how many were not, per kind, and the tables of which nothing could be read."""
    data: dict[str, Any] = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION,
                            "exported_at": datetime.now(timezone.utc).isoformat(timespec="microseconds")}
    read: dict[str, int] = {}
    unreadable: dict[str, int] = {}
    lost: list[str] = []
    db = _open_read_only(path)
    present = _tables(db) if db is not None else set()
    for table, convert in _TABLES.items():
        rows: dict[int, sqlite3.Row] = {}
        missing = 0
        complete = db is not None
        if db is not None and table in present:
            try:
                rows, missing = _rows(db, table)
            except sqlite3.DatabaseError:
                complete = False
        entries, bad = [], missing
        for row in rows.values():
            try:
                entries.append(convert(row))
            except (IndexError, KeyError, TypeError, ValueError):
                bad += 1
        if table == "counters":
            good = dict(checked_entries("counters", dict(entries)))
            bad += len(entries) - len(good)
            data["counters"] = good
            kept = len(good)
        else:
            good_list = checked_entries(table, entries)
            bad += len(entries) - len(good_list)
            data[table] = good_list
            kept = len(good_list)
        read[table] = kept
        if bad:
            unreadable[table] = bad
        if (not complete or missing) and not kept:
            lost.append(table)
    if db is not None:
        db.close()
    return data, read, unreadable, lost


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _damage(path: Path) -> str | None:
    """Why the store at `path` cannot be read in full, or None when it can."""
    try:
        with open_store(path.parent) as store:
            export_progress(store)
    except StoreDamaged as exc:
        return exc.detail
    return None


def repair_store(home: Path | None = None) -> RepairResult:
    """Repair the learner's store if it is damaged (the module's docstring says how); leave it alone if not."""
    path = store_path(home)
    problem = _damage(path) if path.exists() else None
    if problem is None:
        return RepairResult(store=str(path), damaged=False, problem=None, kept_at=None, export=None,
                            message=f"The progress store {path} is readable: nothing to repair."
                            if path.exists() else f"There is no progress store yet ({path}): nothing to repair.")
    stamp = _stamp()
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    path.rename(kept)
    for suffix in ("-journal", "-wal", "-shm"):  # SQLite's own files beside it belong with it
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.rename(kept.with_name(kept.name + suffix))
    data, read, unreadable, lost = salvage(kept)
    export = path.with_name(f"progress-salvaged-{stamp}.json")
    write_export_file(export, data)
    with open_store(path.parent) as store:
        merge_progress(store, data, source=str(export))
    total = sum(read.values())
    summary = ", ".join(_count(n, kind) for kind, n in read.items() if n) or "nothing"
    message = (f"Read {summary} from the damaged store into a new one at {path}. The damaged file is kept, as it "
               f"was, at {kept}; what was read is also in {export} (`dlpath progress import` takes it anywhere).")
    if unreadable:
        message += " Could not read " + ", ".join(_count(n, kind) for kind, n in unreadable.items()) + "."
    if lost:
        message += f" Nothing could be read of the {', '.join(_NAMES[t][1] for t in lost)}."
    if not total:
        message += " If you have an export of your own, `dlpath progress import FILE` restores it."
    return RepairResult(store=str(path), damaged=True, problem=problem, kept_at=str(kept), export=str(export),
                        read=read, unreadable=unreadable, lost_tables=lost, message=message)
