"""`dlpath ci init`: ready workflows for GitLab CI and GitHub Actions, and the grading script they share."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from dlpath.cli import app
from dlpath.grading.ci import GRADE_SCRIPT
from tests.conftest import check_junit

CI_SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]  # how GitHub runs `shell: bash`


def test_gitlab_gets_a_job_whose_junit_reports_it_shows(runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["ci", "init", "--gitlab", "--projects", "course/projects"])
    assert result.exit_code == 0, result.output
    job = yaml.safe_load((tmp_path / ".gitlab-ci.yml").read_text())["dlpath"]
    assert job["artifacts"]["reports"]["junit"] == "dlpath-reports/*.xml"
    assert job["artifacts"]["when"] == "always"
    assert job["variables"]["DLPATH_PROJECTS"] == "$CI_PROJECT_DIR/course/projects"
    script = job["script"]
    assert "download.pytorch.org/whl/cpu" in script[0]
    assert script[1] == 'python -m pip install --quiet ".dlpath/dlpath-0.1.0-py3-none-any.whl"'
    assert (tmp_path / ".dlpath" / "dlpath-0.1.0-py3-none-any.whl").is_file()  # dlpath is on no package index
    assert "this dlpath (dlpath-0.1.0-py3-none-any.whl) is in" in " ".join(result.output.split())
    assert script[2] == GRADE_SCRIPT
    again = runner.invoke(app, ["ci", "init", "--gitlab"])
    assert again.exit_code == 2 and ".gitlab-ci.yml exists; dlpath will not overwrite it." in again.output
    assert runner.invoke(app, ["ci", "init", "--gitlab", "--force"]).exit_code == 0


def test_github_gets_a_workflow_with_a_junit_reporter(runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["ci", "init", "--github", "--install", "git+https://example.org/dlpath@v0.1.0"])
    assert result.exit_code == 0, result.output
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "dlpath.yml").read_text())
    steps = workflow["jobs"]["grade"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert uses[0].startswith("actions/checkout@") and uses[1].startswith("actions/setup-python@")
    report = next(s for s in steps if s.get("uses", "").startswith("mikepenz/action-junit-report@"))
    assert report["if"] == "always()" and report["with"]["report_paths"] == "dlpath-reports/*.xml"
    assert workflow["permissions"]["checks"] == "write"
    install = next(s for s in steps if s.get("name") == "Install dlpath")["run"]
    assert 'pip install --quiet "git+https://example.org/dlpath@v0.1.0"' in install
    assert next(s for s in steps if s.get("name") == "Grade every project folder")["run"] == GRADE_SCRIPT
    assert runner.invoke(app, ["ci", "init", "--github", "--gitlab"]).exit_code == 2


@pytest.fixture
def fake_dlpath(tmp_path: Path) -> Path:
    """A stand-in `dlpath` on PATH: `check FOLDER ... -o FILE` writes FILE and exits with FOLDER/status."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "dlpath"
    script.write_text('#!/bin/sh\nfolder=$2\nwhile [ $# -gt 1 ]; do [ "$1" = -o ] && out=$2; shift; done\n'
                      'echo "<testsuites><testsuite name=\\"rings\\" tests=\\"1\\"><testcase classname=\\"rings\\" name=\\"acc\\" '
                      'time=\\"1\\"/></testsuite></testsuites>" > "$out"\nexit "$(cat "$folder/status")"\n')
    script.chmod(0o755)
    return bin_dir


def test_the_grading_script_grades_every_project_folder(tmp_path: Path, fake_dlpath: Path) -> None:
    repo = tmp_path / "repo"
    for folder, status in (("week1/mlp", 0), ("week2/cnn project", 1), ("week3/rnn", 2), (".git/x", 2)):
        (repo / folder).mkdir(parents=True)
        (repo / folder / ".dlpath-project").write_text("project: rings\n")
        (repo / folder / "status").write_text(str(status))
    env = dict(os.environ, PATH=f"{fake_dlpath}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(CI_SHELL + [GRADE_SCRIPT], cwd=repo, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr  # the worst status wins
    assert sorted(p.name for p in (repo / "dlpath-reports").iterdir()) == ["week1_mlp.xml", "week2_cnn_project.xml",
                                                                          "week3_rnn.xml"]
    assert "== ./week2/cnn project: exit status 1" in done.stdout
    report = check_junit((repo / "dlpath-reports" / "week2_cnn_project.xml").read_text())
    assert report.find("testsuite/testcase").get("classname") == "week2_cnn_project"  # one name per folder
    (repo / "week3" / "rnn" / "status").write_text("0")
    assert subprocess.run(CI_SHELL + [GRADE_SCRIPT], cwd=repo, env=env, capture_output=True,
                          timeout=60).returncode == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run(["sh", "-e", "-c", GRADE_SCRIPT], cwd=empty, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "nothing to grade" in done.stdout


def test_dlpaths_dependencies_in_the_wheel_are_pyprojects() -> None:
    import re

    from dlpath.grading.wheel import DEPENDENCIES

    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    block = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    lines = [line.split("#", 1)[0] for line in block.splitlines()]  # comments quote words too
    assert tuple(re.findall(r'"([^"]+)"', "\n".join(lines))) == DEPENDENCIES


@pytest.mark.slow
def test_the_workflows_install_step_installs_this_dlpath_and_grades_with_it(runner, tmp_path: Path,
                                                                           monkeypatch, fixture_projects: Path) -> None:
    """The default workflow installs the wheel `ci init` wrote; run its install line for real (without the
    dependencies, which this environment has), then its grading script with the installed dlpath."""
    import sys

    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)
    assert runner.invoke(app, ["ci", "init", "--gitlab"]).exit_code == 0
    script = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())["dlpath"]["script"]
    install = script[1].replace("python -m pip", f'"{sys.executable}" -m pip', 1)
    target = tmp_path / "site"
    done = subprocess.run(CI_SHELL + [f"{install} --no-deps --target {target}"], cwd=repo, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    env = dict(os.environ, PYTHONPATH=str(target), PATH=f"{target / 'bin'}{os.pathsep}{os.environ['PATH']}",
               DLPATH_PROJECTS=str(fixture_projects))
    where = subprocess.run([str(target / "bin" / "dlpath"), "--version"], env=env, capture_output=True, text=True)
    assert where.returncode == 0 and where.stdout.strip() == "dlpath 0.1.0", where.stderr
    imported = subprocess.run([sys.executable, "-c", "import dlpath; print(dlpath.__file__)"], env=env,
                              capture_output=True, text=True)
    assert imported.stdout.strip().startswith(str(target))  # the installed wheel, not this checkout
    assert subprocess.run([str(target / "bin" / "dlpath"), "start", "rings", "week1"], cwd=repo, env=env,
                          capture_output=True).returncode == 0
    graded = subprocess.run(CI_SHELL + [script[2]], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert "== ./week1: exit status 1" in graded.stdout, graded.stdout + graded.stderr  # the untouched starter
    assert (repo / "dlpath-reports" / "week1.xml").is_file()


def test_a_course_with_kernel_projects_installs_the_kernels_extra(runner, tmp_path: Path, monkeypatch) -> None:
    from dlpath.grading.wheel import EXTRAS

    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    for extra, needs in EXTRAS.items():  # the wheel's extras are pyproject's
        assert f'{extra} = {list(needs)!r}'.replace("'", '"') in text
    monkeypatch.chdir(tmp_path)
    (tmp_path / "week9").mkdir()
    (tmp_path / "week9" / ".dlpath-project").write_text("project: scale-and-add-kernel\n")
    assert runner.invoke(app, ["ci", "init", "--github"]).exit_code == 0
    workflow = (tmp_path / ".github" / "workflows" / "dlpath.yml").read_text()
    assert 'pip install --quiet ".dlpath/dlpath-0.1.0-py3-none-any.whl[kernels]"' in workflow
