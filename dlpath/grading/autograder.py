"""A project as a Gradescope autograder: the bundle (`build_gradescope_bundle`) and what it runs (`run_gradescope`).

The bundle is the zip Gradescope's "Configure Autograder" page takes
(https://gradescope-autograders.readthedocs.io/en/latest/specs/):

    setup.sh                  run once, as root, when Gradescope builds the image: installs Python, the
                              pinned dependencies (the CPU build of torch), and adds the user `student`
    run_autograder            run as root, in /autograder, once per submission: `dlpath autograder run`
    requirements.txt          dlpath's dependencies: their ranges, capped at the versions that built the bundle
    dlpath-autograder.json    the project id, dlpath's version, the budget, the student user
    lib/dlpath/               this dlpath, as it is (the pinned dlpath: no other is installed)
    curriculum/               the curriculum in use (lesson names in the advice)
    projects/<id>/            project.yaml and starter/; solution/ and naive/ hold placeholders,
                              because the student's code can read this folder

`run_gradescope(root)` grades `root/submission` as `dlpath grade` grades one
submission (unpacked with suspicion into a fresh folder, `dlpath check` in its
own process with a private home, nothing recorded), with the student's code
running as the unprivileged user when it runs as root (Gradescope's advice),
and writes `root/results/results.json`, which only root may write. It always
writes one: a submission that cannot be graded gets a score of 0 and the
reason, never Gradescope's bare "autograder failed". Gradescope's own
timeout is the one thing it cannot survive; the project's budget keeps a
grade well inside it.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlpath.atomic import write_text
from dlpath.version import __version__
from dlpath.errors import UsageError
from dlpath.grading.project import Project
from dlpath.grading.wheel import DEPENDENCIES

__all__ = ["Bundle", "build_gradescope_bundle", "run_gradescope", "pinned_requirements", "requirement_lines",
           "read_metadata",
           "SubmissionInfo", "CONFIG", "STUDENT_USER"]

CONFIG = "dlpath-autograder.json"
STUDENT_USER = "student"
VENV = "/opt/dlpath-venv"  #: where setup.sh installs Python and the dependencies
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"  #: Gradescope's machines have no GPU: the CPU build
_SKIP_PARTS = {"__pycache__", ".pytest_cache"}

_PLACEHOLDER = '''"""Not shipped in the autograder bundle: the student's code can read this folder.

`dlpath dev check` proves the real one on your own machine.
"""
'''

_SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# Written by `dlpath autograder gradescope` (dlpath {version}) for the project '{project}'.
set -euo pipefail
cd /autograder/source
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q python3 python3-venv python3-pip
python3 -m venv {venv}
{venv}/bin/python -m pip install --quiet --upgrade pip
# The CPU build of torch first (the default one is the much larger CUDA build), then the rest, pinned.
{venv}/bin/python -m pip install --quiet --index-url {index} "torch=={torch}"
{venv}/bin/python -m pip install --quiet -r requirements.txt
# The student's code runs as this user, which cannot write the results (Gradescope's advice).
id -u {user} >/dev/null 2>&1 || adduser {user} --no-create-home --disabled-password --gecos ""
chmod -R a+rX /autograder/source {venv}
# A last check: this dlpath runs and finds the project.
PYTHONPATH=/autograder/source/lib DLPATH_PROJECTS=/autograder/source/projects DLPATH_HOME="$(mktemp -d)" \\
  {venv}/bin/python -m dlpath projects --json >/dev/null
echo "dlpath {version} is ready to grade '{project}'."
"""

_RUN = """#!/usr/bin/env bash
# Gradescope runs this as root in /autograder, once per submission. Written by `dlpath autograder gradescope`.
# It grades /autograder/submission and writes /autograder/results/results.json; the student's code
# runs as the user '{user}' (DLPATH_STUDENT_USER names another). AUTOGRADER_ROOT and DLPATH_PYTHON let
# you try it elsewhere (see README.md).
set -u
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{DLPATH_PYTHON:-{venv}/bin/python}}"
export PYTHONPATH="$ROOT/source/lib"
cd "$ROOT"
exec "$PYTHON" -m dlpath autograder run --root "$ROOT" ${{DLPATH_STUDENT_USER:+--user "$DLPATH_STUDENT_USER"}}
"""

_README = """# Autograder for the dlpath project '{project}'

Built by `dlpath autograder gradescope` with dlpath {version}. Upload this zip on
Gradescope: Programming Assignment -> Configure Autograder -> Zip file upload,
base image Ubuntu (22.04 or newer). Students submit their `train.py` (and any
files it needs); each submission is trained and measured on held-out data, one
test per threshold of the project, with the mentor's advice in the output.

Try it on your own machine before you release it, with a fake /autograder:

    mkdir -p try/source try/submission && unzip autograder.zip -d try/source
    cp my_solution/train.py try/submission/
    AUTOGRADER_ROOT=$PWD/try DLPATH_PYTHON=$(which python) bash try/source/run_autograder
    cat try/results/results.json

(`DLPATH_PYTHON` is a Python with dlpath's dependencies; on Gradescope, setup.sh
installs them in {venv}.)
"""


@dataclass(frozen=True)
class Bundle:
    """What `dlpath autograder gradescope` built."""

    path: Path
    project: str
    dlpath: str
    pins: dict[str, str]  #: each dependency and the version pinned
    files: list[str]
    size_bytes: int


def _release(version: str) -> str:
    """`2.13.0+cpu` -> `2.13.0`: the public version pip can pin."""
    return version.split("+", 1)[0]


def pinned_requirements() -> dict[str, str]:
    """dlpath's own dependencies (no extras), each with the version installed here (the tested one)."""
    from importlib import metadata

    pins: dict[str, str] = {}
    for requirement in DEPENDENCIES:
        name = _name(requirement)
        try:
            pins[name] = _release(metadata.version(name))
        except metadata.PackageNotFoundError:
            raise UsageError(f"dlpath needs {name}, which is not installed here; install dlpath's "
                             "dependencies first.") from None
    return pins


def requirement_lines(pins: dict[str, str]) -> list[str]:
    """requirements.txt for the bundle: each dependency's own range, capped at the version tested here.

    Not `==`: Gradescope's images run different Pythons (Ubuntu 22.04 has 3.10, 24.04 has 3.12), and a
    version pinned here may not exist for theirs (numpy 2.4 has no wheel for 3.10); pip picks, for each
    Python, the newest version within the range that is no newer than the one this bundle was tested with.
    """
    lines = []
    for requirement in DEPENDENCIES:
        name = _name(requirement)
        spec = requirement[len(name):]
        lines.append(f"{name}{spec + ',' if spec else ''}<={pins[name]}")
    own = {_name(r) for r in DEPENDENCIES}
    lines += [f"{name}<={version}" for name, version in pins.items() if name not in own]  # a task's own packages
    return lines


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match is not None, requirement
    return match.group(0)


def task_requirements(project: Project) -> dict[str, str]:
    """The distributions the project's task kind needs beyond dlpath's own (numba-cuda for kernels), pinned."""
    from dlpath.grading.tasks import TASKS, missing_for_project
    from dlpath.hardware.nvml import installed_version

    missing = missing_for_project(project)
    if missing is not None:
        raise UsageError(f"'{project.id}': {missing[0]}.", hint=missing[1])
    task = TASKS.get(project.task)
    names = [*getattr(task, "packages", ()), *project.requires.packages]
    return {name: _release(installed_version(name) or "") for name in dict.fromkeys(names)}


def _add_file(archive: zipfile.ZipFile, name: str, data: bytes, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _add_tree(archive: zipfile.ZipFile, folder: Path, prefix: str, *, skip: tuple[str, ...] = ()) -> None:
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if set(rel.parts) & _SKIP_PARTS or path.suffix == ".pyc" or rel.as_posix().startswith(skip):
            continue
        if path.is_file() and not path.is_symlink():
            _add_file(archive, f"{prefix}/{rel.as_posix()}", path.read_bytes())


def build_gradescope_bundle(project: Project, out: Path, *, timeout_s: float | None = None,
                            curriculum: Path | None = None, force: bool = False) -> Bundle:
    """Write the Gradescope autograder zip for `project` to `out`."""
    from dlpath.paths import curriculum_dir

    if project.requires.cuda:
        raise UsageError(f"'{project.id}' needs a CUDA GPU, and Gradescope's autograders have none.",
                         hint="Grade it on a GPU machine with `dlpath grade`, or in CI on a GPU runner.")
    if timeout_s is not None and not timeout_s > 0:
        raise UsageError("--timeout must be a positive number of seconds.")
    out = Path(out)
    if out.is_dir():
        raise UsageError(f"{out} is a folder; -o names the zip to write (for example autograder.zip).")
    if out.exists() and not force and not _is_bundle(out):
        raise UsageError(f"{out} exists and is not an autograder dlpath built; dlpath will not overwrite it.",
                         hint="Choose another name, or add --force.")
    pins = pinned_requirements()
    pins.update(task_requirements(project))
    package = Path(__file__).resolve().parents[1]  # the dlpath package this module belongs to
    course = Path(curriculum) if curriculum is not None else curriculum_dir()
    config = {"project": project.id, "dlpath": __version__, "timeout_s": timeout_s, "user": STUDENT_USER,
              "curriculum": "curriculum" if course.is_dir() else None}
    values = dict(version=__version__, project=project.id, venv=VENV, index=TORCH_INDEX, torch=pins.get("torch", ""),
                  user=STUDENT_USER)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _add_file(archive, "setup.sh", _SETUP.format(**values).encode(), executable=True)
        _add_file(archive, "run_autograder", _RUN.format(**values).encode(), executable=True)
        _add_file(archive, "requirements.txt", "".join(f"{line}\n" for line in requirement_lines(pins)).encode())
        _add_file(archive, CONFIG, (json.dumps(config, indent=2) + "\n").encode())
        _add_file(archive, "README.md", _README.format(**values).encode())
        _add_tree(archive, package, "lib/dlpath", skip=("_data/projects",))
        if course.is_dir():
            _add_tree(archive, course, "curriculum")
        base = f"projects/{project.id}"
        _add_file(archive, f"{base}/project.yaml", (project.path / "project.yaml").read_bytes())
        _add_tree(archive, project.starter_dir, f"{base}/starter")
        if (project.path / "grading.py").is_file():  # an exercise folder's judge-side cases and reference
            _add_file(archive, f"{base}/grading.py", (project.path / "grading.py").read_bytes())
        for variant in ("solution",) + (("naive",) if project.hands_on == "project" else ()):
            _add_file(archive, f"{base}/{variant}/{project.entry}", _PLACEHOLDER.encode())
        files = archive.namelist()
    data = buffer.getvalue()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return Bundle(out.resolve(), project.id, __version__, pins, files, len(data))


def _is_bundle(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return CONFIG in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


# ------------------------------------------------------------------ inside Gradescope


def run_gradescope(root: Path, *, user: str | None = None) -> dict[str, Any]:
    """Grade `root/submission` and write `root/results/results.json` (Gradescope's layout); the results.

    A results.json is written whatever happens: a problem of the autograder itself
    gives a score of 0 with a message for the student and the details on stdout.
    """
    from dlpath.grading.platforms import gradescope_problem

    root = Path(root).resolve()
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    if _is_root():
        os.chmod(results_dir, 0o700)  # the student's code must not write its own score
    try:
        results = _grade_submission(root, user)
    except Exception as exc:  # noqa: BLE001 - Gradescope must get a results.json, whatever broke
        import traceback

        traceback.print_exc(file=sys.stdout)
        message = exc.message if isinstance(exc, UsageError) else f"{type(exc).__name__}: {exc}"
        results = gradescope_problem(f"The autograder could not run ({message}). This is not your code's fault; "
                                     "please tell your instructor.")
    write_text(results_dir / "results.json", json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return results


@dataclass(frozen=True)
class SubmissionInfo:
    """What Gradescope's submission_metadata.json says of this submission, read against the release policy."""

    late: bool = False  #: made after the assignment's due date
    limited: str | None = None  #: why it is not graded (the limit per day), or None
    previous: dict[str, Any] | None = None  #: the results of the last graded submission, kept when limited

    def limited_results(self, project: str) -> dict[str, Any]:
        """The results of a submission over the limit: the last graded one's, with the reason on top (Gradescope's
        advice for rate limiting), or a score of 0 if there is none."""
        from dlpath.grading.platforms import gradescope_problem

        if self.previous is None:
            return gradescope_problem(str(self.limited), project=project)
        kept = dict(self.previous)
        kept["output"] = f"{self.limited}\n\n{kept.get('output', '')}".strip()
        kept["extra_data"] = {**dict(kept.get("extra_data") or {}), "graded": False}
        return kept


def _when(text: Any) -> Any:
    from dlpath.grading.release import parse_when

    try:
        return parse_when(str(text)) if text else None
    except ValueError:
        return None


def read_metadata(path: Path, policy: Any) -> SubmissionInfo:
    """Lateness and the limit per day from Gradescope's submission_metadata.json (no file: neither applies).

    Times are Gradescope's own (`created_at`, the previous `submission_time`s), so that a regrade
    decides as the first grade did. A previous submission counts when dlpath graded it
    (`extra_data.graded` is not false: one over the limit, or refused, does not count).
    """
    import datetime as dt

    from dlpath.grading.release import rate_limit

    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return SubmissionInfo()
    if not isinstance(meta, dict):
        return SubmissionInfo()
    created = _when(meta.get("created_at"))
    assignment = meta.get("assignment") if isinstance(meta.get("assignment"), dict) else {}
    due = _when(assignment.get("due_date")) or policy.due
    late = bool(created and due and created > due)
    graded, last = [], None
    for previous in meta.get("previous_submissions") or []:
        if not isinstance(previous, dict):
            continue
        results = previous.get("results") if isinstance(previous.get("results"), dict) else {}
        when = _when(previous.get("submission_time"))
        if when is None or (results.get("extra_data") or {}).get("graded") is False:
            continue
        graded.append(when)
        if results and (last is None or when > last[0]):
            last = (when, results)
    now = created or dt.datetime.now(dt.timezone.utc)
    next_at = rate_limit(policy, graded, now)
    if next_at is None:
        return SubmissionInfo(late=late)
    limit = policy.submissions_per_day
    stamp = next_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    reason = (f"Not graded: you may have {limit} graded submission{'s' if limit != 1 else ''} in any 24 hours, and "
              f"you have had them. The next one can be graded from {stamp} UTC. "
              + ("Your score stays the one of your last graded submission." if last else ""))
    return SubmissionInfo(late=late, limited=reason.strip(), previous=last[1] if last else None)


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _grade_submission(root: Path, user: str | None) -> dict[str, Any]:
    import pwd

    from dlpath.grading.batch import Status, grade_batch
    from dlpath.grading.platforms import gradescope_problem, gradescope_results
    from dlpath.grading.submissions import Submission
    from dlpath.grading.project import load_project

    config = json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))
    project = load_project((root / "source" / "projects" / str(config["project"])).resolve())
    student_user = (user or config.get("user") or STUDENT_USER) if _is_root() else None
    if student_user:
        try:
            pwd.getpwnam(student_user)
        except KeyError:
            raise UsageError(f"the user '{student_user}' does not exist (setup.sh adds it); dlpath does not run "
                             "a student's code as root") from None
    curriculum = root / "source" / config["curriculum"] if config.get("curriculum") else None
    submission = read_metadata(root / "submission_metadata.json", project.release)
    if submission.limited is not None:
        print(f"not graded: {submission.limited}", flush=True)
        return submission.limited_results(project.id)
    print(f"dlpath {__version__}: grading {root / 'submission'} against '{project.id}'"
          + (f", the student's code running as '{student_user}'." if student_user else
             " (not root: the student's code runs as this user)."), flush=True)
    with tempfile.TemporaryDirectory(prefix="dlpath-autograder-") as scratch:
        if student_user:
            os.chmod(scratch, 0o711)
        batch = grade_batch(project, [Submission("submission", root / "submission")], out=Path(scratch) / "out",
                            jobs=1, timeout_s=config.get("timeout_s"), device="auto", curriculum=curriculum,
                            user=student_user)
    result = batch.results[0]
    print(f"{result.status.value}: {result.message}", flush=True)
    if result.report is not None:
        return gradescope_results(result.report, project.release, late=submission.late)
    if result.status is Status.REFUSED:
        return gradescope_problem(f"Your submission was not graded: {result.message}. Submit your train.py (and "
                                  "any files it needs) for the project.", project=project.id)
    return gradescope_problem(f"The grader could not grade your submission: {result.message}. This is not your "
                              "code's fault; please tell your instructor.", project=project.id)
