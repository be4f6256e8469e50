"""The built wheel, installed in a fresh venv, finds its content from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_runs_dlpath_next_from_another_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = dist.glob("dlpath-*.whl")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # the wheel alone: its dependencies (torch is gigabytes) come from this interpreter's site-packages, named
    # on PYTHONPATH, where no .pth file runs, so an editable dlpath there is not what gets imported
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)],
        capture_output=True, text=True, timeout=1200,
    )
    assert install.returncode == 0, install.stderr[-2000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DLPATH_CURRICULUM", "PYTHONPATH")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p.endswith("site-packages"))
    env["DLPATH_HOME"] = str(tmp_path / "home")
    where = subprocess.run(
        [str(python), "-c", "import dlpath.paths as p; print(p.curriculum_dir()); print(p.projects_dir())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60,
    )
    curriculum_dir, projects_dir = where.stdout.split()
    assert curriculum_dir.startswith(str(env_dir)) and projects_dir.startswith(str(env_dir))
    assert (Path(projects_dir) / "mlp-spirals" / "project.yaml").is_file()

    result = subprocess.run(
        [str(env_dir / "bin" / "dlpath"), "next"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Next: ")
    result = subprocess.run(
        [str(env_dir / "bin" / "dlpath"), "validate"], cwd=elsewhere, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
