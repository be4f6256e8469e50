"""Shared test setup: every test runs with its own empty DLPATH_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def dlpath_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, private data folder; the real user's data is never touched."""
    home = tmp_path / "dlpath-home"
    monkeypatch.setenv("DLPATH_HOME", str(home))
    monkeypatch.delenv("DLPATH_CURRICULUM", raising=False)
    monkeypatch.delenv("DLPATH_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    from dlpath.cli import state

    state.curriculum = None
    state.debug = False
    return home


@pytest.fixture
def runner():
    from typer.testing import CliRunner

    return CliRunner()


@pytest.fixture
def course(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Use the small fixture curriculum (tests/fixtures/course/curriculum) for every command."""
    path = FIXTURES / "course" / "curriculum"
    monkeypatch.setenv("DLPATH_CURRICULUM", str(path))
    return path
