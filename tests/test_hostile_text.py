"""Text from outside dlpath stays inert: no escape sequence or control character reaches the terminal, and an
import with absurd numbers, deep nesting or nulls is bad input, not an internal error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dlpath.cli import app
from tests.conftest import FIXTURES

ESC = "\x1b[2J\x1b]0;pwned\x07"


def export(tmp_path: Path, **changes) -> Path:
    data = {"format": "dlpath-progress", "version": 1,
            "completions": [{"lesson": "python-for-dl", "how": "done", "at": "2026-01-01T00:00:00Z"}],
            "attempts": [], "settings": [], "counters": {}}
    data.update(changes)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"completions": [{"lesson": f"python-for-dl{ESC}", "how": "done", "at": "2026"}]}, "control characters"),
        ({"completions": [{"lesson": None, "how": "done", "at": "2026"}]}, "\"lesson\" is missing or null"),
        ({"attempts": [{"uid": "u", "project": "p", "at": "2026", "passed": True, "duration_s": 1e300}]},
         "\"duration_s\" must be a finite number of sensible size"),
        ({"attempts": [{"uid": "u", "project": "p", "at": "2026", "passed": "yes"}]}, "\"passed\" must be true or false"),
        ({"counters": {"hints:x": 10**30}}, "must be a whole number of sensible size"),
        ({"completions": "all of them"}, "\"completions\" must be a list"),
    ],
)
def test_a_hostile_import_is_bad_input_and_changes_nothing(runner, tmp_path: Path, changes: dict, words: str) -> None:
    path = export(tmp_path, **changes)
    result = runner.invoke(app, ["progress", "import", str(path)])
    assert result.exit_code == 2, result.output
    assert words in result.output and "internal error" not in result.output
    assert "\x1b" not in result.output
    from dlpath.learner.store import open_store

    with open_store() as store:
        assert store.completions() == {}


def test_deep_nesting_is_bad_input(runner, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    result = runner.invoke(app, ["progress", "import", str(path)])
    assert result.exit_code == 2 and "internal error" not in result.output


def test_a_course_with_escape_codes_in_its_text_shows_none(runner, tmp_path: Path, monkeypatch) -> None:
    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "course" / "curriculum", course)
    one = course / "one.yaml"
    one.write_text(one.read_text().replace("title:", "title: \"\\e[2J\\e]0;pwned\\a\"", 1))
    body = next((course / "lessons").glob("*.md"))
    body.write_text(body.read_text() + f"\n{ESC}\n")
    monkeypatch.setenv("DLPATH_CURRICULUM", str(course))
    for command in (["next"], ["map"], ["show", body.stem], ["search", "maths"]):
        result = runner.invoke(app, command)
        assert "\x1b" not in result.output and "\x07" not in result.output, (command, result.output)


@pytest.mark.slow
def test_a_learner_error_with_escape_codes_is_stored_and_shown_clean(runner, tmp_path: Path,
                                                                     fixture_projects: Path) -> None:
    folder = tmp_path / "mine"
    runner.invoke(app, ["start", "rings", str(folder)])
    (folder / "train.py").write_text(
        "def build_model(info):\n    raise ValueError('bad \\x1b[2J\\x1b]0;pwned\\x07 model')\n"
        "def train(model, data, device, log):\n    pass\n")
    result = runner.invoke(app, ["check", str(folder), "--device", "cpu"])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "bad" in result.output
    progress = runner.invoke(app, ["progress"])
    assert "\x1b" not in progress.output
    from dlpath.learner.store import open_store

    with open_store() as store:
        assert "\x1b" not in store.attempts(project="rings")[0].verdict
