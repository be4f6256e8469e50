"""`dlpath ci init`: a ready CI workflow for a course repository (GitLab CI or GitHub Actions).

The workflow installs dlpath (and the CPU build of torch, pinned to the
version that wrote it), finds every folder holding a `.dlpath-project` file
(what `dlpath start` writes), grades each with `dlpath check --no-record
--format junit`, and publishes the JUnit files: GitLab shows them through
`artifacts:reports:junit`, GitHub through a JUnit reporter action. Each
folder's tests carry its name as their `classname` (GitLab's "suite"; it keeps
only the first of two tests with one name). The job fails when a project does
not pass (the highest exit status wins: 2 over 1).

dlpath is not on a package index: by default `ci init` writes this dlpath as a
wheel into the repository (`.dlpath/dlpath-VERSION-py3-none-any.whl`, built by
`dlpath.grading.wheel`), and the workflow installs that file, so CI grades with
exactly the dlpath the instructor tested. `--install REQUIREMENT` names another
source instead (a git URL, an index of the course's own); the result says which.

The same grading script serves both files (`GRADE_SCRIPT`, POSIX sh), so a
test can run it here with a stand-in `dlpath`, under `-e` as CI shells run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dlpath.version import __version__
from dlpath.errors import UsageError

__all__ = ["CiFile", "KINDS", "GRADE_SCRIPT", "workflow_text", "write_workflow"]

KINDS = {"gitlab": Path(".gitlab-ci.yml"), "github": Path(".github/workflows/dlpath.yml")}
REPORTS = "dlpath-reports"
WHEEL_FOLDER = ".dlpath"  #: where `ci init` writes this dlpath's wheel, in the course repository

GRADE_SCRIPT = """set -u +e  # CI shells stop at the first failing command (-e); every folder must be graded
mkdir -p {reports}
find . -name .dlpath-project -not -path './.git/*' -not -path './{reports}/*' | sort > {reports}/folders.txt
status=0
count=0
while IFS= read -r marker; do
  folder=$(dirname "$marker")
  name=$(printf '%s' "${{folder#./}}" | tr -c 'A-Za-z0-9._-' '_')
  [ "$folder" = . ] && name=top
  count=$((count + 1))
  echo "== dlpath check $folder"
  dlpath check "$folder" --no-record --format junit -o "{reports}/$name.xml" < /dev/null
  code=$?
  # Name the tests after the folder: two folders of one project must not share test names.
  [ -f "{reports}/$name.xml" ] && sed -i 's/ classname="[^"]*"/ classname="'"$name"'"/' "{reports}/$name.xml"
  echo "== $folder: exit status $code (0 passed, 1 not yet, 2 not graded)"
  [ "$code" -gt "$status" ] && status=$code
done < {reports}/folders.txt
rm -f {reports}/folders.txt
if [ "$count" -eq 0 ]; then echo "No folder holds a .dlpath-project file: nothing to grade."; exit 2; fi
exit $status
""".format(reports=REPORTS)


@dataclass(frozen=True)
class CiFile:
    """What `dlpath ci init` wrote."""

    path: Path
    kind: str  #: "gitlab" or "github"
    dlpath: str  #: the pip requirement that installs dlpath (the wheel's path in the repository, by default)
    torch: str  #: the torch version pinned
    wheel: Path | None = None  #: the wheel written into the repository (None when --install names another source)


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else "" for line in text.rstrip("\n").splitlines())


def _install_lines(install: str, torch: str) -> list[str]:
    return [f'python -m pip install --quiet --index-url https://download.pytorch.org/whl/cpu "torch=={torch}"',
            f'python -m pip install --quiet "{install}"']


def workflow_text(kind: str, *, install: str, torch: str, projects: str | None = None) -> str:
    """The workflow file of `kind` ("gitlab" or "github")."""
    head = f"# Written by `dlpath ci init --{kind}` (dlpath {__version__}): grades every dlpath project folder\n" \
           "# (a folder holding a .dlpath-project file) on each push; one JUnit report per folder.\n"
    lines = _install_lines(install, torch)
    if kind == "gitlab":
        variables = ["  variables:", '    PIP_DISABLE_PIP_VERSION_CHECK: "1"']
        if projects:
            variables.append(f'    DLPATH_PROJECTS: "$CI_PROJECT_DIR/{projects}"')
        return head + "\n".join([
            "dlpath:",
            "  image: python:3.12-slim",
            "  timeout: 1h",
            *variables,
            "  script:",
            *[f"    - '{line}'" if '"' in line else f"    - {line}" for line in lines],
            "    - |",
            _indent(GRADE_SCRIPT, 6),
            "  artifacts:",
            "    when: always",
            "    paths:",
            f"      - {REPORTS}/",
            "    reports:",
            f"      junit: {REPORTS}/*.xml",
        ]) + "\n"
    if kind == "github":
        env = ["    env:", '      PIP_DISABLE_PIP_VERSION_CHECK: "1"']
        if projects:
            env.append(f"      DLPATH_PROJECTS: ${{{{ github.workspace }}}}/{projects}")
        return head + "\n".join([
            "name: dlpath",
            "on: [push, pull_request, workflow_dispatch]",
            "permissions:",
            "  contents: read",
            "  checks: write",
            "jobs:",
            "  grade:",
            "    runs-on: ubuntu-latest",
            "    timeout-minutes: 60",
            *env,
            "    steps:",
            "      - uses: actions/checkout@v4",
            "      - uses: actions/setup-python@v5",
            "        with:",
            '          python-version: "3.12"',
            "      - name: Install dlpath",
            "        run: |",
            _indent("\n".join(lines), 10),
            "      - name: Grade every project folder",
            "        shell: bash",
            "        run: |",
            _indent(GRADE_SCRIPT, 10),
            "      - name: Test report",
            "        if: always()",
            "        uses: mikepenz/action-junit-report@v5",
            "        with:",
            f"          report_paths: {REPORTS}/*.xml",
            "          check_name: dlpath",
            "      - name: Keep the reports",
            "        if: always()",
            "        uses: actions/upload-artifact@v4",
            "        with:",
            f"          name: {REPORTS}",
            f"          path: {REPORTS}/",
        ]) + "\n"
    raise UsageError(f"unknown CI '{kind}'; dlpath writes: {', '.join(KINDS)}.")


def write_workflow(kind: str, folder: Path | None = None, *, install: str | None = None,
                   projects: str | None = None, force: bool = False) -> CiFile:
    """Write the workflow of `kind` into `folder` (default: the current folder); never over another file
    unless `force`."""
    from dlpath.grading.autograder import pinned_requirements
    from dlpath.grading.wheel import build_wheel

    if kind not in KINDS:
        raise UsageError(f"unknown CI '{kind}'; dlpath writes: {', '.join(KINDS)}.")
    folder = Path(folder) if folder is not None else Path.cwd()
    path = folder / KINDS[kind]
    if path.exists() and not force:
        raise UsageError(f"{path} exists; dlpath will not overwrite it.",
                         hint="Merge the job by hand (`dlpath ci init` with --force writes it anew).")
    torch = pinned_requirements().get("torch", "")
    wheel = None
    if install is None:
        wheel = build_wheel(folder / WHEEL_FOLDER)
        extras = _extras_needed(folder, projects)
        install = f"{WHEEL_FOLDER}/{wheel.name}" + (f"[{','.join(extras)}]" if extras else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow_text(kind, install=install, torch=torch, projects=projects), encoding="utf-8")
    return CiFile(path.resolve(), kind, install, torch, wheel.resolve() if wheel else None)


def _extras_needed(folder: Path, projects: str | None) -> list[str]:
    """The extras the course's project folders need (`kernels` for CUDA-kernel projects): those of the projects
    its `.dlpath-project` markers name, and of the course's own projects (`--projects`)."""
    import yaml

    from dlpath.grading.project import load_project
    from dlpath.grading.tasks import TASKS

    ids = set()
    for marker in folder.rglob(".dlpath-project"):
        if ".git" in marker.parts:
            continue
        try:
            data = yaml.safe_load(marker.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and isinstance(data.get("project"), str):
            ids.add(data["project"])
    found = []
    for project_id in sorted(ids):
        try:
            found.append(load_project(project_id))
        except UsageError:
            continue  # the grade will say what is wrong with it
    own = folder / projects if projects else None
    if own is not None and own.is_dir():
        for child in sorted(own.iterdir()):
            if (child / "project.yaml").is_file():
                try:
                    found.append(load_project(child))
                except UsageError:
                    continue
    return ["kernels"] if any(getattr(TASKS.get(p.task), "packages", ()) for p in found) else []
