"""`dlpath dev check --update-calibration` on a copy of the `rings` fixture: the block is rewritten, notes kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from dlpath.cli import app
from tests.conftest import FIXTURE_PROJECTS

NOTES = ("Solution: a small MLP; test_accuracy >= 0.9 sits under its worst seed. A note long enough to be "
         "wrapped over several lines of the folded block, with a colon: and a # that YAML must keep.")


def test_update_calibration_rewrites_the_block_and_keeps_the_notes(runner, tmp_path: Path, monkeypatch) -> None:
    projects = tmp_path / "projects"
    shutil.copytree(FIXTURE_PROJECTS / "rings", projects / "rings")
    path = projects / "rings" / "project.yaml"
    old = {"machine": "somewhere", "date": "2020-01-01", "seeds": [11, 22, 33],
           "solution": {"test_accuracy": [0.1, 0.2], "train_s": [1.0, 1.0]}, "notes": NOTES}
    path.write_text(path.read_text(encoding="utf-8") + yaml.safe_dump({"calibration": old}, sort_keys=False),
                    encoding="utf-8")
    monkeypatch.setenv("DLPATH_PROJECTS", str(projects))

    result = runner.invoke(app, ["dev", "check", "rings", "--seeds", "1", "--update-calibration", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["seeds"] == 1

    text = path.read_text(encoding="utf-8")
    assert text.count("calibration:") == 1 and "  notes: >-\n" in text
    block = yaml.safe_load(text)["calibration"]
    assert block["notes"] == NOTES
    assert block["seeds"] == [11] and block["date"] != "2020-01-01" and "load average" in block["machine"]
    low, high = block["solution"]["test_accuracy"]
    assert 0.9 <= low <= high <= 1.0
    assert {"solution", "starter", "naive"} <= set(block)

