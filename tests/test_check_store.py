"""A grade is never thrown away: the store is checked before training, and a failure to record keeps the grade."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dlpath.cli import app
from tests.conftest import FIXTURES, learner_folder


def test_a_damaged_store_is_reported_before_any_training(runner, tmp_path: Path, fixture_projects: Path,
                                                         dlpath_home: Path) -> None:
    dlpath_home.mkdir(parents=True)
    (dlpath_home / "progress.sqlite3").write_bytes(b"this is not a database" * 100)
    result = runner.invoke(app, ["check", str(learner_folder(tmp_path, "passes"))])
    assert result.exit_code == 2
    assert "Error: your grade could not be recorded:" in result.output and "--no-record" in result.output
    assert "Training" not in result.output  # no time was spent
    assert (dlpath_home / "progress.sqlite3").read_bytes() == b"this is not a database" * 100


def test_a_data_home_that_is_a_file_is_reported(runner, tmp_path: Path, fixture_projects: Path, monkeypatch) -> None:
    home = tmp_path / "a-file"
    home.write_text("x")
    monkeypatch.setenv("DLPATH_HOME", str(home))
    result = runner.invoke(app, ["check", str(learner_folder(tmp_path, "passes"))])
    assert result.exit_code == 2 and "your grade could not be recorded" in result.output


def test_a_read_only_store_is_reported_before_training(runner, tmp_path: Path, fixture_projects: Path,
                                                       dlpath_home: Path, monkeypatch) -> None:
    from dlpath.learner.store import open_store

    with open_store() as store:
        store.set_setting("track", "vision")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if str(path).startswith(str(dlpath_home))
                        else real_access(path, mode, **kw))  # what a read-only file or folder gives a non-root user
    result = runner.invoke(app, ["check", str(learner_folder(tmp_path, "passes"))])
    assert result.exit_code == 2
    assert f"your grade could not be recorded: the progress store {dlpath_home / 'progress.sqlite3'} is read-only." \
           in " ".join(result.output.split())


@pytest.mark.slow
def test_no_record_grades_all_the_same(runner, tmp_path: Path, fixture_projects: Path, dlpath_home: Path) -> None:
    dlpath_home.mkdir(parents=True)
    (dlpath_home / "progress.sqlite3").write_bytes(b"garbage")
    result = runner.invoke(app, ["check", str(learner_folder(tmp_path, "passes")), "--no-record", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["passed"] is True and report["recorded"] is False and report["record_problem"] is None


@pytest.mark.slow
def test_a_full_disk_after_grading_keeps_the_grade(runner, tmp_path: Path, fixture_projects: Path,
                                                   monkeypatch) -> None:
    import sqlite3

    from dlpath.learner import store as progress

    def full(self, **kwargs):
        raise progress._storage_error(self.path, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(progress.Store, "record_attempt", full)
    result = runner.invoke(app, ["check", str(learner_folder(tmp_path, "passes")), "--device", "cpu"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "PASSED rings: every threshold met" in text  # the whole report, first
    assert "test_accuracy >= 0.9" in text
    assert "This grade was NOT recorded: the disk holding" in text and "is full" in text
    assert "internal error" not in text and "cannot rollback" not in text


@pytest.mark.slow
def test_passing_a_project_whose_lesson_is_locked_records_it_but_does_not_complete_the_lesson(
        runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DLPATH_CURRICULUM", str(FIXTURES / "course" / "curriculum"))
    folder = learner_folder(tmp_path, "passes")
    (folder / ".dlpath-project").write_text("project: tiny-project\n")
    result = runner.invoke(app, ["check", str(folder), "--json", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["passed"] is True and report["recorded"] is True and report["lesson_completed"] is False
    from dlpath.learner.store import open_store

    with open_store() as store:
        assert store.completions() == {}
        assert [a.passed for a in store.attempts(project="tiny-project")] == [True]
    human = runner.invoke(app, ["check", str(folder), "--device", "cpu"])
    assert "it needs maths, python first" in " ".join(human.output.split())
