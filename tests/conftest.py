"""Shared test setup: every test runs with its own empty DLPATH_HOME."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Under `pytest -n N`, N workers already share the cores: one thread per torch process (this worker's, and
    # the learner, judge and loader processes it starts, which keep OMP_* settings) instead of N x cores
    # threads fighting over the same cores. Set before anything imports torch.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

# A diagnosis rule that raises fails its test instead of falling silent (dlpath.grading.diagnose re-raises).
os.environ.setdefault("DLPATH_STRICT_RULES", "1")

# Kernels written with numba-cuda run on its simulator in the tests, on every machine (a GPU included): numba
# reads this once, when a test first imports it, so it is set before any test can.
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

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


FIXTURE_PROJECTS = FIXTURES / "projects"
VARIANTS = FIXTURES / "variants"


@pytest.fixture
def fixture_projects(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Look for projects in tests/fixtures/projects first (`rings`, `wave`)."""
    monkeypatch.setenv("DLPATH_PROJECTS", str(FIXTURE_PROJECTS))
    return FIXTURE_PROJECTS


def learner_folder(tmp_path: Path, variant: str, project: str = "rings") -> Path:
    """A learner's folder for `project` whose train.py is tests/fixtures/variants/<variant>.py
    (or the project's own starter/solution/naive when `variant` names one)."""
    import shutil

    folder = (tmp_path / f"{project}-{variant}").resolve()
    folder.mkdir(parents=True)
    own = FIXTURE_PROJECTS / project / variant / "train.py"
    shutil.copyfile(own if own.is_file() else VARIANTS / f"{variant}.py", folder / "train.py")
    (folder / ".dlpath-project").write_text(f"project: {project}\n", encoding="utf-8")
    return folder


def processes_in(folder: Path) -> list[int]:
    """Live (not zombie) processes whose working folder is `folder` (a learner process and its children)."""
    import os

    found = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{name}/cwd") == str(folder):
                with open(f"/proc/{name}/stat", "rb") as f:
                    if f.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X"):
                        found.append(int(name))
        except OSError:
            continue
    return found


@pytest.fixture
def one_thread():
    """Tiny models train fastest on one thread (two spinning threads crawl on a busy CPU)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def check_junit(text: str):
    """Parse JUnit XML `text` and check it against tests/schemas/gitlab-junit.schema.json (GitLab's field
    list): every element known and under its parent, only known attributes, the required ones present."""
    import json
    import xml.etree.ElementTree as ET

    schema = json.loads((Path(__file__).parent / "schemas" / "gitlab-junit.schema.json").read_text())
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag in schema["root"]

    def walk(element) -> None:
        rules = schema["elements"][element.tag]
        assert set(element.attrib) <= set(rules["attributes"]), (element.tag, element.attrib)
        assert set(rules["required"]) <= set(element.attrib), (element.tag, element.attrib)
        if "time" in element.attrib:
            assert float(element.get("time")) >= 0
        for child in element:
            assert child.tag in rules["children"], (element.tag, child.tag)
            walk(child)

    walk(root)
    return root
