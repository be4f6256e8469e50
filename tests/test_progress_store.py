"""The progress store: concurrency, migrations, damage, export and import."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from dlpath.cli import app
from dlpath.learner.export import export_progress, merge_progress
from dlpath.learner.migrations import MIGRATIONS, SCHEMA_VERSION
from dlpath.learner.store import CompletionKind, StoreDamaged, StoreTooNew, open_store, store_path


def _writer(home: str, n: int, worker: int) -> None:
    with open_store(Path(home)) as store:
        for i in range(n):
            store.record_attempt(project=f"p{worker}", lesson=None, passed=i % 2 == 0, verdict="v",
                                 metrics={"i": i})
            store.complete(f"lesson-{worker}-{i}", CompletionKind.DONE)
            store.bump_counter("shared")


def test_several_processes_writing_at_once_lose_nothing(dlpath_home: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(str(dlpath_home), 25, w)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
        assert p.exitcode == 0
    with open_store() as store:
        assert store.attempt_count() == 100
        assert len(store.completions()) == 100
        assert store.counter("shared") == 100


def test_a_fresh_home_is_not_written_by_reading(dlpath_home: Path) -> None:
    with open_store() as store:
        assert store.completions() == {}
        assert store.attempts() == []
    assert not store_path().exists()


def test_the_store_says_dlpath_manages_it(dlpath_home: Path) -> None:
    with open_store() as store:
        store.complete("a")
    db = sqlite3.connect(store_path())
    meta = dict(db.execute("SELECT key, value FROM meta"))
    assert meta["managed_by"] == "dlpath"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert meta[f"migration_{SCHEMA_VERSION}"] == MIGRATIONS[-1][0]


def test_a_store_of_an_older_schema_is_migrated_in_place(dlpath_home: Path) -> None:
    path = store_path()
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    MIGRATIONS[0][1](db)  # a version-1 store, as the first release wrote it
    db.execute("INSERT INTO meta VALUES ('managed_by', 'dlpath')")
    db.execute("INSERT INTO completions VALUES ('python-for-dl', 'done', '2026-01-01T00:00:00+00:00')")
    db.execute("INSERT INTO attempts (project, lesson, at, passed, verdict, metrics) VALUES "
               "('mlp-spirals', 'multilayer-perceptron', '2026-01-02T00:00:00+00:00', 1, 'passed', '{\"a\": 1}')")
    db.execute("INSERT INTO settings VALUES ('track', '\"vision\"')")
    db.execute("COMMIT")
    db.execute("PRAGMA user_version = 1")
    db.close()

    with open_store() as store:
        assert store.completions()["python-for-dl"].how == "done"
        (attempt,) = store.attempts()
        assert attempt.metrics == {"a": 1} and attempt.uid and attempt.seed is None
        assert store.get_setting("track") == "vision"
        assert store.bump_counter("hints:x") == 1
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 2000])
def test_a_damaged_store_gives_a_clear_error_and_is_left_as_it_was(dlpath_home: Path, runner, course, content: bytes) -> None:
    path = store_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(StoreDamaged):
        with open_store() as store:
            store.completions()
    result = runner.invoke(app, ["progress"])
    assert result.exit_code == 2
    assert f"Error: the progress store {path} is damaged or is not a dlpath store" in result.output
    assert "dlpath has left it exactly as it was." in result.output
    assert "`dlpath progress repair` keeps the damaged file" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert path.read_bytes() == content


def test_a_database_dlpath_did_not_make_is_not_touched(dlpath_home: Path) -> None:
    path = store_path()
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE other (x)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreDamaged, match="tables that dlpath did not make"):
        open_store()
    assert path.read_bytes() == before


def test_a_store_from_a_newer_dlpath_is_refused(dlpath_home: Path) -> None:
    with open_store() as store:
        store.complete("a")
    db = sqlite3.connect(store_path())
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreTooNew):
        open_store()


def test_export_then_import_on_a_fresh_home_reproduces_progress(tmp_path: Path, dlpath_home: Path, runner, course,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["skip", "python"]).exit_code == 0
    assert runner.invoke(app, ["done", "maths"]).exit_code == 0
    assert runner.invoke(app, ["track", "vision"]).exit_code == 0
    with open_store() as store:
        store.record_attempt(project="tiny-project", lesson="perceptron", passed=False,
                             verdict="below threshold", metrics={"test_accuracy": 0.5}, seed=7)
    before = json.loads(runner.invoke(app, ["progress", "--json"]).output)

    export = tmp_path / "progress.json"
    result = runner.invoke(app, ["progress", "export", str(export)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Exported 2 completion(s), 1 attempt(s) and 1 setting(s)")

    monkeypatch.setenv("DLPATH_HOME", str(tmp_path / "other-machine"))
    result = runner.invoke(app, ["progress", "import", str(export)])
    assert result.exit_code == 0, result.output
    after = json.loads(runner.invoke(app, ["progress", "--json"]).output)
    assert after == before

    # importing twice changes nothing
    result = runner.invoke(app, ["progress", "import", str(export)])
    assert "0 completion(s), 0 attempt(s) and 0 setting(s) added or updated" in result.output


def test_import_keeps_newer_data(tmp_path: Path, dlpath_home: Path) -> None:
    with open_store() as store:
        store.set_setting("track", "vision")
        old = export_progress(store)
        store.set_setting("track", "language")  # newer than the export
        store.complete("x", "done")
    old["completions"].append({"lesson": "x", "how": "skipped", "at": "2000-01-01T00:00:00+00:00"})
    with open_store() as store:
        merge_progress(store, old)
        assert store.get_setting("track") == "language"
        assert store.completions()["x"].how == "done"


def test_import_of_a_bad_file_says_what_is_wrong(tmp_path: Path, runner) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = runner.invoke(app, ["progress", "import", str(bad)])
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {bad} is not valid JSON")
    bad.write_text('{"hello": 1}')
    result = runner.invoke(app, ["progress", "import", str(bad)])
    assert result.exit_code == 2
    assert f'Error: {bad} is not a dlpath progress export: it has no "format": "dlpath-progress".' in result.output


def test_a_version_2_store_gets_reports_and_the_review_schedule_in_place(dlpath_home: Path) -> None:
    path = store_path()
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    MIGRATIONS[0][1](db)
    MIGRATIONS[1][1](db)  # the store as the release before the companion wrote it
    db.execute("INSERT INTO meta VALUES ('managed_by', 'dlpath')")
    db.execute("INSERT INTO attempts (uid, project, lesson, at, passed, verdict, metrics) VALUES "
               "('u1', 'mlp-spirals', 'multilayer-perceptron', '2026-01-02T00:00:00+00:00', 1, 'passed', "
               "'{\"test_accuracy\": 0.93}')")
    db.execute("COMMIT")
    db.execute("PRAGMA user_version = 2")
    db.close()

    with open_store() as store:
        (old,) = store.attempts()
        assert old.report is None and old.metrics == {"test_accuracy": 0.93}
        new = store.record_attempt(project="p", lesson=None, passed=True, verdict="v",
                                   report={"passed": True, "curves": {"series": [{"points": [[1, float("nan")]]}]}})
        assert store.review_cards() == {}
    with open_store() as store:
        stored = store.attempts(project="p")[0]
        assert stored.uid == new.uid
        assert stored.report == {"passed": True, "curves": {"series": [{"points": [[1, None]]}]}}  # NaN -> null
    meta = dict(sqlite3.connect(path).execute("SELECT key, value FROM meta"))
    assert meta["migration_3"] == "attempt reports (the grader's full report as JSON)"
    assert meta["migration_4"] == "review schedule: FSRS cards and the review log"


def test_export_and_import_carry_reports_and_the_review_schedule(tmp_path: Path, dlpath_home: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store() as store:
        store.record_attempt(project="p", lesson=None, passed=True, verdict="v", report={"thresholds": []})
        store.save_review("a/0000", "a", {"card_id": 1, "due": "x"}, "2026-02-01T00:00:00.000000+00:00",
                          correct=True, rating=3, at="2026-01-01T00:00:00.000000+00:00")
        data = export_progress(store)
    monkeypatch.setenv("DLPATH_HOME", str(tmp_path / "other"))
    with open_store() as store:
        merge_progress(store, json.loads(json.dumps(data)))
        merge_progress(store, json.loads(json.dumps(data)))  # twice: nothing doubles
        assert store.attempts()[0].report == {"thresholds": []}
        assert store.review_due_times() == {"a/0000": "2026-02-01T00:00:00.000000+00:00"}
        assert store.review_count() == 1


def test_a_data_home_that_is_a_file_says_what_to_do(tmp_path: Path, runner, course,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home-file"
    home.write_text("not a folder")
    monkeypatch.setenv("DLPATH_HOME", str(home))
    for args in (["next"], ["done", "maths"], ["progress"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert result.output == (
            f"Error: DLPATH_HOME ({home}) is a file, not a folder: dlpath keeps your progress in a folder.\n"
            "Point DLPATH_HOME at a folder (dlpath creates it if it does not exist), or unset DLPATH_HOME to use "
            "the default one.\n"
        )
    assert home.read_text() == "not a folder"


# ---------------------------------------------------------------- the way back from damage (issue 23 item 20)


def _store_with_many_attempts(n: int = 300) -> None:
    from dlpath.learner.store import Attempt, insert_attempt

    with open_store() as store:
        store.complete("maths", CompletionKind.DONE)
        store.complete("python", CompletionKind.SKIPPED)
        store.set_setting("track", "vision")
        with store.transaction() as db:
            for i in range(n):
                insert_attempt(db, Attempt(uid=f"u{i:04d}", project="tiny-project", lesson="perceptron",
                                           at=f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}+00:00", passed=False,
                                           verdict="v", metrics={"i": i}, duration_s=1.0, device="cpu", seed=i,
                                           report={"note": f"MARKER{i:04d}" + "x" * 500}))


def test_repair_keeps_the_damaged_file_and_restores_what_can_be_read(dlpath_home: Path, runner, course) -> None:
    _store_with_many_attempts()
    path = store_path()
    data = bytearray(path.read_bytes())
    page = 4096
    at = data.index(b"MARKER0150") // page * page  # a page of the attempts table, in the middle of the file
    data[at:at + page] = b"\xde\xad" * (page // 2)
    path.write_bytes(bytes(data))
    damaged = bytes(data)
    assert runner.invoke(app, ["progress", "export", str(dlpath_home / "x.json")]).exit_code == 2  # it is damaged

    result = runner.invoke(app, ["progress", "repair", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["damaged"] is True and "malformed" in report["problem"]
    assert Path(report["kept_at"]).read_bytes() == damaged  # kept, exactly as it was
    read, lost = report["read"]["attempts"], report["unreadable"].get("attempts", 0)
    assert read + lost == 300 and 0 < lost < 50
    assert report["read"]["completions"] == 2 and report["read"]["settings"] == 1
    with open_store() as store:
        assert {k: c.how for k, c in store.completions().items()} == {"maths": "done", "python": "skipped"}
        assert store.get_setting("track") == "vision"
        attempts = store.attempts(limit=None)
        assert len(attempts) == read and attempts[0].report["note"].startswith("MARKER0299")
    salvaged = json.loads(Path(report["export"]).read_text())
    assert len(salvaged["attempts"]) == read
    text = " ".join(runner.invoke(app, ["progress", "repair"]).output.split())
    assert text == f"The progress store {path} is readable: nothing to repair."


def test_repair_of_a_file_that_is_no_database_keeps_it_and_starts_a_new_store(dlpath_home: Path, runner,
                                                                              course) -> None:
    path = store_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database at all" * 100)
    result = runner.invoke(app, ["progress", "repair"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    kept = next(path.parent.glob("progress.sqlite3.damaged-*"))
    assert kept.read_bytes() == b"this is not a database at all" * 100
    assert f"The damaged file is kept, as it was, at {kept}" in text
    assert "Read nothing from the damaged store" in text
    assert "If you have an export of your own, `dlpath progress import FILE` restores it." in text
    assert runner.invoke(app, ["progress"]).exit_code == 0
