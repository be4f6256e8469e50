"""`dlpath autograder gradescope`: the bundle, and its run_autograder run here in a simulated /autograder."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from dlpath.cli import app
from tests.conftest import VARIANTS

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "gradescope-results.schema.json").read_text())


def build(runner, tmp_path: Path, *extra: str) -> Path:
    bundle = tmp_path / "autograder.zip"
    result = runner.invoke(app, ["autograder", "gradescope", "rings", "-o", str(bundle), *extra])
    assert result.exit_code == 0, result.output
    return bundle


def autograder_root(tmp_path: Path, bundle: Path, files: dict[str, bytes]) -> Path:
    """Gradescope's layout: source/ (the bundle), run_autograder copied beside it, submission/."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    (root / "run_autograder").write_bytes((root / "source" / "run_autograder").read_bytes())
    for rel, data in files.items():
        (root / "submission" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / rel).write_bytes(data)
    (root / "submission").mkdir(exist_ok=True)
    return root


def student_user() -> str | None:
    """As root: `nobody` when it can run this Python, else root's own name; None otherwise."""
    if os.geteuid() != 0:
        return None
    try:
        subprocess.run([sys.executable, "-c", "0"], user="nobody", check=True, timeout=60, capture_output=True)
        return "nobody"
    except (subprocess.CalledProcessError, PermissionError, OSError):
        return getpass.getuser()


def run_autograder(root: Path) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("DLPATH_PROJECTS", "PYTHONPATH")}
    env.update(AUTOGRADER_ROOT=str(root), DLPATH_PYTHON=sys.executable)
    user = student_user()
    if user:
        env["DLPATH_STUDENT_USER"] = user
    done = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600)
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    return done, results


def test_the_bundle_holds_what_gradescope_needs_and_no_solution(runner, tmp_path: Path,
                                                                fixture_projects: Path) -> None:
    bundle = build(runner, tmp_path)
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        requirements = archive.read("requirements.txt").decode().split()
        config = json.loads(archive.read("dlpath-autograder.json"))
        solution = archive.read("projects/rings/solution/train.py").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", "README.md", "lib/dlpath/__init__.py",
            "lib/dlpath/grading/runner.py", "projects/rings/project.yaml", "projects/rings/starter/train.py"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/_data/projects/" in n]
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert run.startswith("#!/usr/bin/env bash") and setup.startswith("#!/usr/bin/env bash")
    from importlib.metadata import version

    torch = version("torch").split("+")[0]
    assert f'--index-url https://download.pytorch.org/whl/cpu "torch=={torch}"' in setup
    assert f"torch>=2.2,<3,<={torch}" in requirements and f"typer>=0.12,<0.29,<={version('typer')}" in requirements
    assert 'adduser student --no-create-home --disabled-password --gecos ""' in setup
    assert config == {"project": "rings", "dlpath": "0.1.0", "timeout_s": None, "user": "student",
                      "curriculum": "curriculum"}
    assert "def train" in (fixture_projects / "rings" / "solution" / "train.py").read_text()
    assert "Not shipped in the autograder bundle" in solution and "def train" not in solution

    (tmp_path / "mine.zip").write_bytes(b"my own work")
    result = runner.invoke(app, ["autograder", "gradescope", "rings", "-o", str(tmp_path / "mine.zip")])
    assert result.exit_code == 2 and "is not an autograder dlpath built" in result.output
    assert (tmp_path / "mine.zip").read_bytes() == b"my own work"
    assert runner.invoke(app, ["autograder", "gradescope", "rings", "-o", str(bundle)]).exit_code == 0  # rebuilt


@pytest.mark.slow
def test_run_autograder_grades_a_submission_into_results_json(runner, tmp_path: Path, fixture_projects: Path,
                                                              dlpath_home: Path) -> None:
    bundle = build(runner, tmp_path)
    root = autograder_root(tmp_path, bundle, {"my-project/train.py": (VARIANTS / "passes.py").read_bytes()})
    done, results = run_autograder(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert results["score"] == 2.0
    assert [(t["name"], t["score"], t["max_score"], t["status"]) for t in results["tests"]] == [
        ("test_accuracy >= 0.9", 1.0, 1.0, "passed"), ("parameters <= 5000", 1.0, 1.0, "passed")]
    assert results["output"].startswith("PASSED (rings): every threshold met")
    assert "passed: every threshold met" in done.stdout  # the instructor's log (Gradescope keeps it hidden)
    if os.geteuid() == 0:
        assert (os.stat(root / "results").st_mode & 0o777) == 0o700
    assert (root / "submission" / "my-project" / "train.py").is_file()  # graded on a copy
    assert not (dlpath_home / "progress.sqlite3").exists()


def test_run_autograder_always_writes_results_json(runner, tmp_path: Path, fixture_projects: Path) -> None:
    bundle = build(runner, tmp_path)
    root = autograder_root(tmp_path, bundle, {"notes.txt": b"no code here"})
    done, results = run_autograder(root)
    assert done.returncode == 0
    assert results["score"] == 0 and results["tests"] == []
    assert results["output"] == ("Your submission was not graded: no train.py in the submission (it holds "
                                 "notes.txt). Submit your train.py (and any files it needs) for the project.")
    (root / "source" / "dlpath-autograder.json").unlink()  # a broken bundle still answers the student
    done, results = run_autograder(root)
    assert results["score"] == 0 and "The autograder could not run" in results["output"]
    assert "please tell your instructor" in results["output"]


def test_a_gpu_project_cannot_go_to_gradescope(runner, tmp_path: Path, fixture_projects: Path) -> None:
    import dataclasses

    from dlpath.grading.autograder import build_gradescope_bundle
    from dlpath.errors import UsageError
    from dlpath.grading.project import Requires, load_project

    project = dataclasses.replace(load_project("rings"), requires=Requires(cuda=True))
    with pytest.raises(UsageError, match="Gradescope's autograders have none"):
        build_gradescope_bundle(project, tmp_path / "a.zip")


def _pypi_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("python", ["3.10", "3.12"])  # Ubuntu 22.04 and 24.04, the images the bundle's README names
def test_the_bundles_requirements_resolve_for_each_python_it_claims(runner, tmp_path: Path, fixture_projects: Path,
                                                                     python: str) -> None:
    if not _pypi_reachable():
        pytest.skip("PyPI is not reachable from here: the resolution cannot be tried")
    import subprocess
    import sys

    bundle = build(runner, tmp_path)
    with zipfile.ZipFile(bundle) as archive:
        (tmp_path / "requirements.txt").write_bytes(archive.read("requirements.txt"))
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                           "--python-version", python, "--only-binary=:all:", "--target", str(tmp_path / "t"),
                           "--report", str(report), "-r", str(tmp_path / "requirements.txt")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    chosen = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in json.loads(report.read_text())["install"]}
    assert {"numpy", "torch", "typer", "rich", "pyyaml"} <= set(chosen)
