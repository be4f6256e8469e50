"""Nothing a learner writes runs outside the sandbox (issue 21, class 1); grades made with options that weaken them
complete no lesson (class 6); every report says which defences were active.

Each attack is real and checks that it tried: a fake session daemon that runs what it is told, a payload that
leaves a marker wherever it runs, a file the judge would read for ever, a graph that asks the judge for
gigabytes. Each test then checks the refusal and its reason (a missing module or a timeout is not a refusal).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import types
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_PROJECTS, FIXTURES, learner_folder, processes_in

ATTACKS = FIXTURES / "attacks"
ROOT = Path(__file__).resolve().parents[1]


class Payload:
    """A pickle that, when unpickled, writes `marker` (what a hostile file would do instead)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('the payload ran')",)


# ------------------------------------------------------------------ a session daemon of the user


class FakeDaemon:
    """A session daemon that runs what it is told, as tmux, screen or a D-Bus session bus would: for each line
    `touch PATH` it creates PATH, outside any sandbox, and answers `ok`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(8)
        self.heard: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                line = conn.recv(4096).decode(errors="replace").strip()
                self.heard.append(line)
                if line.startswith("touch "):
                    Path(line[6:]).write_text("a command ran outside the sandbox")
                conn.sendall(b"ok")

    def close(self) -> None:
        self.server.close()


def _folder(tmp_path: Path, name: str, project: str = "rings") -> Path:
    folder = (tmp_path / "work" / name).resolve()
    folder.mkdir(parents=True)
    shutil.copyfile(ATTACKS / f"{name}.py", folder / "train.py")
    (folder / ".dlpath-project").write_text(f"project: {project}\n")
    (folder / "marker-path.txt").write_text(str(tmp_path / "outside" / "marker"))
    (tmp_path / "outside").mkdir()
    return folder


def _dlpath(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlpath", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def reached_outside(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One grade of an attack that asks two session daemons (one in /tmp, one under the learner's home folder)
    to run a command, under `python -m dlpath check` run from the project folder, as a learner would."""
    tmp_path = tmp_path_factory.mktemp("daemons")
    folder = _folder(tmp_path, "reach_daemons")
    home = tmp_path / "home"  # the user's home folder, with an agent's socket in it
    daemons = [FakeDaemon(tmp_path / "tmux-1000" / "default"), FakeDaemon(home / ".ssh" / "agent.sock")]
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # an abstract socket (X11 keeps one): no file
    abstract.bind(f"\0dlpath-test-{os.getpid()}-{tmp_path.name}")
    abstract.listen(1)
    names = [str(d.path) for d in daemons] + ["@" + abstract.getsockname()[1:].decode()]
    (folder / "daemon-sockets.txt").write_text("\n".join(names))
    env = dict(os.environ, HOME=str(home), DLPATH_HOME=str(tmp_path / "dlpath-home"),
               DLPATH_PROJECTS=str(FIXTURE_PROJECTS))
    proc = _dlpath(["check", "--json", "--device", "cpu"], folder, env)
    for daemon in daemons:
        daemon.close()
    abstract.setblocking(False)
    try:
        abstract.accept()
        reached_abstract = True
    except BlockingIOError:
        reached_abstract = False
    abstract.close()
    return {"proc": proc, "report": json.loads(proc.stdout), "daemons": daemons, "abstract": names[-1],
            "reached_abstract": reached_abstract,
            "marker": tmp_path / "outside" / "marker", "folder": folder}


@pytest.mark.slow
def test_session_daemons_are_out_of_the_learners_reach(reached_outside: dict) -> None:
    report, daemons = reached_outside["report"], reached_outside["daemons"]
    tail = report["output_tail"]
    assert "AssertionError" not in tail, tail  # the attack asked every daemon
    assert not reached_outside["marker"].exists(), [d.heard for d in daemons]
    assert all(d.heard == [] for d in daemons)
    tmp_daemon, home_daemon = (str(d.path) for d in daemons)
    # refused for the designed reason: /tmp is private (the socket is not there), the home folder's
    # socket is covered (nothing listens there), and the mounts that hide them cannot be undone
    assert f"daemon at {tmp_daemon}: FileNotFoundError" in tail, tail
    assert f"daemon at {home_daemon}: ConnectionRefusedError" in tail, tail
    assert "umount /tmp: Operation not permitted" in tail, tail
    # an abstract socket belongs to its network namespace: the learner's has none but its own
    assert f"daemon at {reached_outside['abstract']}: ConnectionRefusedError" in tail, tail
    assert reached_outside["reached_abstract"] is False
    assert "answered" not in tail
    sandbox = report["sandbox"]
    assert sandbox["level"] == "full" and sandbox["sockets"] is True, sandbox
    assert processes_in(reached_outside["folder"]) == []


@pytest.mark.slow
def test_threads_started_before_the_sandbox_do_not_exist_to_run_the_learners_code(tmp_path: Path) -> None:
    """Capabilities, no_new_privs and Landlock hold per thread: the learner's process confines itself while it
    has one thread, before torch starts any, so every thread the attack signals is as confined as the main one."""
    folder = _folder(tmp_path, "older_threads")
    # two threads for torch, as on a user's machine (the suite's workers run with one: then torch starts none)
    env = dict(os.environ, DLPATH_HOME=str(tmp_path / "dlpath-home"), DLPATH_PROJECTS=str(FIXTURE_PROJECTS),
               OMP_NUM_THREADS="2", MKL_NUM_THREADS="2")
    proc = _dlpath(["check", "--json", "--device", "cpu", "--no-record"], folder, env)
    report = json.loads(proc.stdout)
    tail = report["output_tail"]
    assert not (tmp_path / "outside" / "marker").exists(), tail
    assert "other threads:" in tail and "no handler ran" not in tail, tail  # torch's threads were there
    handled = [line for line in tail.splitlines() if "NoNewPrivs" in line]
    assert handled and all("NoNewPrivs 1 CapEff 0000000000000000" in line for line in handled), tail
    assert "umount /tmp: Operation not permitted" in tail and "wrote the marker" not in tail, tail
    assert report["sandbox"]["level"] == "full", report["sandbox"]


def test_a_thread_outside_the_sandbox_makes_the_report_say_so(monkeypatch) -> None:
    from dlpath.grading import harness, sandbox

    full = harness._sandbox_report(True, dict.fromkeys(("filesystem", "network", "processes", "signals", "sockets"),
                                                      True), [])
    assert full.level == "full"
    monkeypatch.setattr(sandbox, "unconfined_threads", lambda: [])
    assert harness._all_threads_confined(True, full) is full
    monkeypatch.setattr(sandbox, "unconfined_threads", lambda: ["4242"])
    loose = harness._all_threads_confined(True, full)
    assert loose.level == "none" and "1 thread(s) of the learner's process run outside the sandbox" in loose.why
    assert harness._all_threads_confined(False, full) is full  # --no-sandbox: nothing was claimed


def test_a_thread_is_unconfined_when_it_holds_more_than_the_calling_one() -> None:
    from dlpath.grading.sandbox import _confinement, unconfined_threads

    assert _confinement("Name:\tpython\nNoNewPrivs:\t1\nCapEff:\t0000000000000000\n") == (1, 0)
    assert _confinement("Name:\tpython\n") is None
    done = threading.Event()
    worker = threading.Thread(target=done.wait)
    worker.start()
    try:
        assert unconfined_threads() == []  # threads of one process, all as (un)confined as this one
    finally:
        done.set()
        worker.join()


SANDBOX = """
import json, os, socket, sys
from dlpath.grading import sandbox
home, keep, shm, system = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sandbox._KNOWN_SOCKETS = (system,)  # stands for LXD's or Incus's socket, which act for a group
iso = sandbox.enter_namespaces((), keep=(keep,), home=home, private=("/run", "/dev/shm"), shm_mb=shm)
seen = {"sockets": iso.sockets, "covered": iso.covered, "why": iso.why, "kept": sorted(os.listdir(keep))}
for name, path in (("agent", os.path.join(home, ".gnupg", "S.gpg-agent")), ("system", system)):
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
        seen[name] = "connected"
    except OSError as exc:
        seen[name] = type(exc).__name__
try:
    with open("/dev/shm/big", "wb") as fh:
        fh.write(b"x" * (2 * shm) * 2**20)
    seen["shm"] = "written"
except OSError as exc:
    seen["shm"] = exc.strerror
print(json.dumps(seen))
"""


def test_the_sandbox_covers_sockets_under_home_and_bounds_its_shared_memory(tmp_path: Path) -> None:
    """The pieces, without PyTorch: the scan of the home folder alone (here /tmp is not made private, so only
    the scan stands between the learner and an agent's socket), a folder kept visible, a /dev/shm of its size."""
    home, keep = tmp_path / "home", tmp_path / "keep"
    agent, system = FakeDaemon(home / ".gnupg" / "S.gpg-agent"), FakeDaemon(tmp_path / "lxd" / "unix.socket")
    keep.mkdir()
    (keep / "train.py").write_text("")
    proc = subprocess.run([sys.executable, "-c", SANDBOX, str(home), str(keep), "8", str(system.path)],
                          capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    agent.close()
    system.close()
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    if not seen["sockets"] and "not allowed" in seen["why"]:
        pytest.skip(f"no user namespaces here: {seen['why']}")
    assert seen == {"sockets": True, "covered": 2, "why": "", "kept": ["train.py"], "agent": "ConnectionRefusedError",
                    "system": "ConnectionRefusedError", "shm": "No space left on device"}, seen
    assert agent.heard == [] and system.heard == []


def test_the_folders_made_private_include_the_runtime_and_temporary_folders(tmp_path: Path, monkeypatch) -> None:
    import tempfile

    from dlpath.grading.sandbox import PRIVATE_DIRS, private_dirs

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    assert private_dirs() == [*PRIVATE_DIRS, str(tmp_path / "runtime"), str(tmp_path / "temp")]
    assert {"/tmp", "/var/tmp", "/run", "/var/run", "/dev/shm"} <= set(PRIVATE_DIRS)


# ------------------------------------------------------------------ modules dlpath imports after the grade


@pytest.mark.slow
def test_modules_left_in_the_project_folder_never_run_in_dlpaths_own_process(tmp_path: Path) -> None:
    """`python -m dlpath` puts the working folder first on sys.path; the chart library and the date parser are
    imported only after the grade, when the learner's code has had the chance to leave its own there."""
    folder = _folder(tmp_path, "shadow_modules")
    env = dict(os.environ, DLPATH_HOME=str(tmp_path / "dlpath-home"), DLPATH_PROJECTS=str(FIXTURE_PROJECTS))
    proc = _dlpath(["check", "--device", "cpu"], folder, env)  # the text report: charts, dates
    assert all((folder / f"{name}.py").is_file() for name in ("plotext", "calendar", "_strptime"))
    marker = tmp_path / "outside" / "marker"
    assert not marker.exists(), marker.read_text()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "NOT YET" in proc.stdout and "Traceback" not in proc.stderr


#: modules that Python, dlpath or a grader's child process imports before the learner's code runs
_EARLY = ("__future__", "typing", "textwrap", "json", "dataclasses", "ast", "enum", "subprocess", "pathlib",
          "tempfile", "shutil", "contextlib", "functools", "signal", "socket", "struct", "secrets", "types")


def _plant_shadows(folder: Path, marker: Path) -> None:
    """Modules in the project folder named like the standard library's: each notes where it ran (a write that
    the sandbox refuses), then becomes the real module, so nothing else changes."""
    for name in _EARLY:
        (folder / f"{name}.py").write_text(
            "import os, sys, sysconfig, importlib.util\n"
            "try:\n"
            f"    open({str(marker)!r}, 'a').write(f'{name} ran in ' + repr(sys.argv[:2]) + '\\n')\n"
            "except OSError:\n"
            "    pass\n"
            "_std = sysconfig.get_paths()['stdlib']\n"
            f"_file = os.path.join(_std, {name!r} + '.py')\n"
            f"_package = os.path.join(_std, {name!r})\n"
            f"_spec = (importlib.util.spec_from_file_location({name!r}, _file) if os.path.exists(_file) else "
            f"importlib.util.spec_from_file_location({name!r}, os.path.join(_package, '__init__.py'), "
            "submodule_search_locations=[_package]))\n"
            "_real = importlib.util.module_from_spec(_spec)\n"
            f"sys.modules[{name!r}] = _real\n"
            "_spec.loader.exec_module(_real)\n", encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["python -m dlpath, from the folder", "dlpath watch-like launch, from the folder"])
def test_modules_named_like_the_standard_librarys_never_run_outside_the_sandbox(tmp_path: Path, how: str) -> None:
    """A file in the project folder named like a module the grader's processes import first (`textwrap.py`,
    `__future__.py`): a child interpreter started in that folder must not import it before its sandbox exists,
    and neither must `python -m dlpath` started there (nor the `dlpath check` that `watch` and `grade` start)."""
    folder = learner_folder(tmp_path, "solution")
    marker = tmp_path / "outside" / "ran-outside"
    marker.parent.mkdir()
    _plant_shadows(folder, marker)
    env = dict(os.environ, DLPATH_HOME=str(tmp_path / "dlpath-home"), DLPATH_PROJECTS=str(FIXTURE_PROJECTS))
    if how.startswith("python -m"):
        proc = _dlpath(["check", ".", "--device", "cpu", "--json"], folder, env)
    else:
        from dlpath.paths import dlpath_command

        proc = subprocess.run(dlpath_command("check", str(folder), "--device", "cpu", "--json"), cwd=folder, env=env,
                              capture_output=True, text=True, timeout=240)
    report = json.loads(proc.stdout)
    if report["sandbox"]["level"] != "full":  # the learner's own process is then outside too, and says so
        pytest.skip(f"the sandbox is {report['sandbox']['level']} here: {report['sandbox']['why']}")
    assert not marker.exists(), marker.read_text()
    assert report["passed"] is True, report["verdict"]


def test_python_m_dlpath_keeps_the_working_folder_off_sys_path(tmp_path: Path) -> None:
    (tmp_path / "dlpath_probe_shadow.py").write_text("raise SystemExit('imported from the working folder')\n")
    code = ("import runpy, sys; sys.argv = ['dlpath', '--help']; "
            "sys.exit = lambda *a: None; runpy.run_module('dlpath', run_name='__main__'); "
            "import importlib.util; print(importlib.util.find_spec('dlpath_probe_shadow'))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.stdout.strip().splitlines()[-1] == "None", proc.stdout + proc.stderr


def test_a_notebooks_check_imports_nothing_from_the_folder_it_grades(tmp_path: Path, monkeypatch) -> None:
    import dlpath.learner.attempts as attempts
    from dlpath import notebook

    folder = learner_folder(tmp_path, "passes")
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(sys, "path", ["", *sys.path])
    seen = []

    def fake_check(where, **kwargs):
        seen.append([p for p in sys.path if p in ("", str(folder))])
        raise RuntimeError("stop here")

    monkeypatch.setattr(attempts, "check_folder", fake_check)
    with pytest.raises(RuntimeError, match="stop here"):
        notebook.check(folder)
    assert seen == [[]]
    assert sys.path[0] == "" and str(folder) in sys.path  # the notebook's own path, as it was


NOTEBOOK_CALLS = """
import sys
sys.path.insert(0, "")  # a notebook kernel looks in its working folder first (the project folder here)
import dlpath
from dlpath.errors import DlpathError
for call in (lambda: dlpath.gpu(), lambda: dlpath.next(), lambda: dlpath.check(".")):
    try:
        call()
    except DlpathError as exc:
        print("dlpath said:", str(exc)[:60])
print("path after:", sys.path[0] == "")
"""


def test_no_call_of_the_notebook_api_imports_a_module_left_in_the_working_folder(tmp_path: Path) -> None:
    """A learner's code may write into its project folder, where a notebook often runs: every call of the
    notebook API (not only check) keeps that folder off sys.path before its first import."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / ".dlpath-project").write_text("project: no-such-project\n")
    marker = tmp_path / "ran"
    for name in ("yaml", "rich", "pynvml", "plotext", "typer", "fsrs"):
        (folder / f"{name}.py").write_text(f"open({str(marker)!r}, 'a').write({name!r} + ' ')\n")
    proc = subprocess.run([sys.executable, "-c", NOTEBOOK_CALLS], cwd=folder, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, DLPATH_HOME=str(tmp_path / "home"),
                                                PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists(), marker.read_text()
    assert "path after: True" in proc.stdout  # the notebook's own path comes back


# ------------------------------------------------------------------ folders that hold what runs outside


@pytest.mark.slow
def test_a_project_folder_that_holds_the_data_home_is_refused_before_any_training(tmp_path: Path) -> None:
    """A project folder at ~ holds the data home: the learner's code could write the progress store and the
    caches dlpath reads after the grade. The write_store attack, there."""
    folder = (tmp_path / "student").resolve()
    folder.mkdir()
    shutil.copyfile(ATTACKS / "write_store.py", folder / "train.py")
    (folder / ".dlpath-project").write_text("project: rings\n")
    home = folder / ".local" / "share" / "dlpath"
    (folder / "store-path.txt").write_text(str(home / "progress.sqlite3"))
    env = dict(os.environ, DLPATH_HOME=str(home), DLPATH_PROJECTS=str(FIXTURE_PROJECTS))
    proc = _dlpath(["check", str(folder), "--device", "cpu", "--json"], tmp_path, env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["message"] == (f"dlpath will not grade {folder}: it holds dlpath's data folder ({home}), which "
                                "code graded there could change.")
    assert "dlpath start rings" in error["hint"]
    if (home / "progress.sqlite3").exists():
        with sqlite3.connect(home / "progress.sqlite3") as db:
            assert db.execute("SELECT COUNT(*) FROM completions").fetchone() == (0,)


@pytest.mark.parametrize("what", ["python", "dlpath", "home", "course", "project"])
def test_a_project_folder_that_holds_python_dlpath_or_the_home_folder_is_refused(tmp_path: Path, what: str,
                                                                                  monkeypatch) -> None:
    from dlpath.errors import UsageError
    from dlpath.grading import grade as grading

    folder = learner_folder(tmp_path, "passes")
    inside = folder / "inside"
    inside.mkdir()
    if what == "python":
        monkeypatch.setattr(sys, "prefix", str(inside))
        said = f"the Python environment dlpath runs in ({inside})"
    elif what == "dlpath":
        monkeypatch.setattr(grading, "_DLPATH_ROOT", inside)
        said = f"dlpath's own files ({inside})"
    elif what == "home":
        monkeypatch.setenv("HOME", str(inside))
        said = f"your home folder ({inside})"
    elif what == "course":
        monkeypatch.setenv("DLPATH_CURRICULUM", str(inside))
        said = f"the course it is graded by ({inside})"
    else:
        said = f"the project's own files ({inside})"
    project = types.SimpleNamespace(id="rings", path=inside if what == "project" else FIXTURE_PROJECTS / "rings")
    with pytest.raises(UsageError) as caught:
        grading.check_folder_is_gradable(folder, project)
    assert caught.value.message == f"dlpath will not grade {folder}: it holds {said}, which code graded there could change."


# ------------------------------------------------------------------ caches dlpath reads


def test_a_curriculum_cache_planted_in_the_data_home_is_never_unpickled(tmp_path: Path, dlpath_home: Path) -> None:
    from dlpath.course.loading import load_curriculum

    first = load_curriculum()
    caches = list((dlpath_home / "cache").glob("curriculum-*"))
    assert len(caches) == 1
    marker = tmp_path / "ran"
    caches[0].write_bytes(pickle.dumps(Payload(marker)))  # what code that can write the data home would leave
    again = load_curriculum()
    assert not marker.exists()
    assert [lesson.id for lesson in again.lessons] == [lesson.id for lesson in first.lessons]
    assert json.loads(caches[0].read_text())["format"] >= 1  # rebuilt, as JSON


def test_the_curriculum_cache_round_trips_every_field(dlpath_home: Path) -> None:
    from dataclasses import fields

    from dlpath.course.loading import load_curriculum

    built = load_curriculum(use_cache=False)
    load_curriculum()  # writes the cache
    cached = load_curriculum()  # reads it

    def plain(value):
        if hasattr(value, "__dataclass_fields__"):
            return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        return str(value) if isinstance(value, Path) else value

    assert plain(cached) == plain(built)


# ------------------------------------------------------------------ model files the grader loads


RINGS_EXPORT = dict(id="t", task="exported_model", lesson="fixture-lesson")


def _exported(tmp_path: Path) -> bytes:
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2)).eval()
    program = torch.export.export(model, (torch.randn(64, 2),), dynamic_shapes=({0: torch.export.Dim("batch")},))
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    return buffer.getvalue()


def _rewrite(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for entry in source.infolist():
            body = change(entry.filename, source.read(entry))
            if body is not None:
                archive.writestr(entry.filename, body)
    return out.getvalue()


def hostile(kind: str, data: bytes, marker: Path) -> bytes:
    """A torch.export file that runs `Payload(marker)` when torch.export.load reads it."""
    payload = pickle.dumps(Payload(marker))
    if kind == "pickled-weight":  # the weights' config says weight_0 is pickled: torch.load(weights_only=False)
        def change(name: str, body: bytes):
            if name.endswith("/data/weights/model_weights_config.json"):
                config = json.loads(body)
                first = next(iter(config["config"].values()))
                first["use_pickle"] = True
                return json.dumps(config)
            return payload if name.endswith("/data/weights/" + "weight_0") else body
    elif kind == "sample-inputs":  # refused by the safe load, then loaded again with the full unpickler
        def change(name: str, body: bytes):
            return payload if "/data/sample_inputs/" in name else body
    elif kind == "shape-expression":  # a symbolic shape's formula goes to sympy.sympify, which evaluates it
        code = f"__import__('builtins').exec({f'open({str(marker)!r}, {chr(39)}w{chr(39)}).write(1)'!r}) or "

        def first_formula(node) -> bool:
            if isinstance(node, dict):
                if isinstance(node.get("expr_str"), str):
                    node["expr_str"] = code + node["expr_str"]
                    return True
                return any(first_formula(v) for v in node.values())
            return isinstance(node, list) and any(first_formula(v) for v in node)

        def change(name: str, body: bytes):
            if not name.endswith("/models/model.json"):
                return body
            program = json.loads(body)
            assert first_formula(program), "no formula to change"
            return json.dumps(program)
    elif kind == "native-library":  # an AOTInductor package: loading it opens a shared library
        def change(name: str, body: bytes):
            return body
        data = _rewrite(data, change)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = archive.namelist()[0].split("/")[0]
        out = io.BytesIO(data)
        with zipfile.ZipFile(out, "a") as archive:
            archive.writestr(f"{root}/data/aotinductor/model/model.so", b"\x7fELF" + b"\0" * 60)
        return out.getvalue()
    else:
        raise ValueError(kind)
    return _rewrite(data, change)


EXPORT_SOURCE = """
import torch
from torch import nn
def build_model(info):
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, info["num_classes"]))
def train(model, data, device, log):
    model.eval()
def export(model, example, path):
    with open({hostile!r}, "rb") as source, open(path, "wb") as out:
        out.write(source.read())
"""


@pytest.mark.parametrize("kind,member", [("pickled-weight", "data/weights/weight_0"),
                                         ("sample-inputs", "data/sample_inputs/model.pt"),
                                         ("shape-expression", "models/model.json"),
                                         ("native-library", "data/aotinductor/model/model.so")])
def test_a_model_file_that_would_run_code_is_refused_before_anything_loads_it(tmp_path: Path, kind: str,
                                                                              member: str, one_thread) -> None:
    from dlpath.grading.project import DatasetSpec, Threshold
    from dlpath.grading.tasks.exported import FILE_NAME
    from tests.taskrun import mentor

    marker = tmp_path / "ran"
    source = tmp_path / "hostile.pt2"
    source.write_bytes(hostile(kind, _exported(tmp_path), marker))
    folder = tmp_path / "folder"
    folder.mkdir()
    project = dict(RINGS_EXPORT, thresholds=(Threshold("test_accuracy", 0.9),),
                   dataset=DatasetSpec("rings", {"classes": 2, "noise": 0.05}, 200, 50, 300))
    diagnoses, got = mentor(EXPORT_SOURCE.format(hostile=str(source)), project, folder=folder)
    assert (folder / FILE_NAME).read_bytes() == source.read_bytes()  # the learner's file is the hostile one
    assert not marker.exists()
    problem = got["facts"].extra["export"]
    assert problem["problem"] == "unsafe" and member in problem["detail"], problem
    assert "loader:load" not in got["asked"]  # the judge refused it: the loader never saw it
    assert [d.code for d in diagnoses][:1] == ["unsafe-file"]


@pytest.mark.parametrize("kind", ["pickled-weight", "sample-inputs", "shape-expression", "native-library"])
def test_the_loader_refuses_the_same_files_by_itself(tmp_path: Path, kind: str) -> None:
    import torch

    from dlpath.grading.observe import Watch
    from dlpath.grading.tasks import LearnerError, LearnerSide
    from dlpath.grading.tasks.exported import ExportedModelTask

    marker = tmp_path / "ran"
    data = hostile(kind, _exported(tmp_path), marker)
    loader = LearnerSide(module=None, device="cpu", log=lambda **k: None, watch=Watch(enabled=False), role="loader")
    with pytest.raises(LearnerError, match="refused"):
        ExportedModelTask().answer("load", {}, {"file": torch.frombuffer(bytearray(data), dtype=torch.uint8)}, loader)
    assert not marker.exists()


def test_a_plain_exported_program_still_loads_and_serves(tmp_path: Path) -> None:
    import torch

    from dlpath.grading.pt2 import check, loadable

    data = _exported(tmp_path)
    check(data)
    program = torch.export.load(io.BytesIO(loadable(data)))
    assert program.module()(torch.randn(5, 2)).shape == (5, 2)


def test_a_node_that_calls_anything_but_a_tensor_operator_is_refused(tmp_path: Path) -> None:
    from dlpath.grading.pt2 import UnsafeFile, check

    def change(name: str, body: bytes):
        if not name.endswith("/models/model.json"):
            return body
        program = json.loads(body)
        program["graph_module"]["graph"]["nodes"][0]["target"] = "torch.serialization.os.system"
        return json.dumps(program)

    with pytest.raises(UnsafeFile, match="models/model.json: a node calls 'torch.serialization.os.system', which is "
                                         "not a tensor operator"):
        check(_rewrite(_exported(tmp_path), change))


@pytest.mark.parametrize("change,reason", [
    (lambda name, body: body + b"x" * 70 * 2**20 if name.endswith("weight_0") else body, "larger than"),
    (lambda name, body: body, "compressed"),
])
def test_huge_or_compressed_members_are_refused(tmp_path: Path, change, reason: str) -> None:
    from dlpath.grading.pt2 import UnsafeFile, check

    data = _exported(tmp_path)
    if reason == "compressed":
        source = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for entry in source.infolist():
                archive.writestr(entry.filename, source.read(entry))
        data = out.getvalue()
    else:
        data = _rewrite(data, change)
    with pytest.raises(UnsafeFile, match=reason):
        check(data)


# ------------------------------------------------------------------ the judge's own limits


JUDGE_READ = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, resource.RLIM_INFINITY))  # so that a failure cannot hurt
from pathlib import Path
from types import SimpleNamespace
from dlpath.grading.tasks.regression_by_hand import count_autograd_in_source, learner_trees
trees, unchecked = learner_trees(SimpleNamespace(sources=None, folder=Path(sys.argv[1])))
print(count_autograd_in_source(trees), len(unchecked))
"""


def test_the_judge_reads_the_learners_sources_within_bounds(tmp_path: Path) -> None:
    """The learner's *.py are read for the "no autograd" rules (by the parent, before the learner's code runs;
    by the judge when none came): a link to /dev/zero, a named pipe nobody writes, a file of gigabytes are each
    read within a bound, not for ever (the subprocess's own memory limit and time limit stand for the machine's,
    which the grader would otherwise exhaust), and each counts as a file that cannot be vouched for."""
    (tmp_path / "train.py").write_text("import torch\nloss.backward()\n")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.py")
    with open(tmp_path / "huge.py", "wb") as fh:
        fh.truncate(4 * 2**30)  # sparse: costs no disk
    proc = subprocess.run([sys.executable, "-c", JUDGE_READ, str(tmp_path)], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["1", "3"]  # train.py's backward(), counted; the three traps, not read


MARKER_READ = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, resource.RLIM_INFINITY))
from dlpath.errors import UsageError
from dlpath.grading.workspace import find_project
try:
    find_project(sys.argv[1])
except UsageError as exc:
    print(exc.message)
"""


def test_a_project_marker_of_gigabytes_is_read_within_bounds(tmp_path: Path) -> None:
    """The parent reads the folder's marker before and after grades; the learner's code may have rewritten it."""
    with open(tmp_path / ".dlpath-project", "wb") as fh:
        fh.write(b"project: rings\n")
        fh.truncate(4 * 2**30)
    proc = subprocess.run([sys.executable, "-c", MARKER_READ, str(tmp_path)], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == f"{tmp_path / '.dlpath-project'}: expected a line `project: PROJECT_ID`."


JUDGE_REPLAY = """
import sys
from dlpath.grading.judge import cap_memory
import torch
cap_memory(int(sys.argv[1]))
from dlpath.grading.artifact import ReplayError, replay
graph = {"format": 1, "inputs": [0], "outputs": [4], "batch": 1, "nodes": [
    {"op": "prim::Constant", "in": [], "out": [1], "value": {"v": 600_000_000}},
    {"op": "prim::ListConstruct", "in": [1], "out": [2]},
    {"op": "prim::Constant", "in": [], "out": [3], "value": {"v": None}},
    {"op": "aten::ones", "in": [2, 3, 3, 3, 3], "out": [4], "overload": ""}]}
try:
    replay(graph, {}, [torch.zeros(1, 2)])
    print("replayed")
except ReplayError as exc:
    print(exc)
"""


def test_a_replayed_graph_that_asks_for_gigabytes_meets_the_judges_memory_cap() -> None:
    proc = subprocess.run([sys.executable, "-c", JUDGE_REPLAY, "512"], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == ("aten::ones asked for more memory than the judge's 512 MB allow: a graph that "
                                   "builds a tensor far larger than the model needs"), proc.stdout


def test_a_judge_out_of_memory_is_a_verdict_with_the_cap() -> None:
    from dlpath.grading.judge import failure_message
    from dlpath.grading.protocol import FailureKind
    from dlpath.grading.runner import judge_failure, judge_memory_mb

    assert judge_memory_mb(types.SimpleNamespace(memory_mb=512)) == 2048  # at least 2 GB
    assert judge_memory_mb(types.SimpleNamespace(memory_mb=3000)) == 6000  # twice the project's cap
    said = failure_message(MemoryError(), 2048)
    assert said.out_of_memory is True
    failure = judge_failure(said, 2048)
    assert failure is not None and failure.kind is FailureKind.JUDGE_MEMORY
    assert failure.verdict() == ("stopped: measuring your work needed more than the judge's 2048 MB (what your code "
                                 "left for it to read or replay is far larger than the task needs)")
    assert judge_failure(failure_message(ValueError("a bug"), 2048), 2048) is None  # a bug stays exit status 2


# ------------------------------------------------------------------ PyTorch still works in the sandbox


@pytest.mark.slow
def test_a_dataloader_with_forkserver_workers_trains_in_the_sandbox(tmp_path: Path, runner, fixture_projects) -> None:
    from dlpath.cli import app

    folder = learner_folder(tmp_path, "dataloader_workers")
    result = runner.invoke(app, ["check", str(folder), "--json", "--device", "cpu", "--no-record", "--timeout", "120"])
    report = json.loads(result.stdout)
    assert result.exit_code == 0, report["verdict"] + report["output_tail"]
    assert report["sandbox"]["level"] == "full" and report["sandbox"]["sockets"] is True


# ------------------------------------------------------------------ options that weaken a grade (class 6)


@pytest.fixture
def passing(tmp_path: Path, fixture_projects: Path) -> Path:
    return learner_folder(tmp_path, "passes")


def _store() -> tuple[dict, list]:
    from dlpath.learner.store import open_store

    with open_store() as store:
        return store.completions(), [(a.passed, a.verdict) for a in store.attempts(project="rings")]


@pytest.mark.slow
def test_a_pass_with_a_chosen_seed_is_shown_and_recorded_but_completes_nothing(runner, passing: Path) -> None:
    from dlpath.cli import app

    result = runner.invoke(app, ["check", str(passing), "--json", "--device", "cpu", "--seed", "4242"])
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["passed"] is True, report["verdict"]
    assert report["weakened_by"] == [{"option": "seed", "flag": "--seed 4242",
                                      "why": "the held-out data is chosen, not hidden"}]
    assert report["recorded"] is True and report["lesson_completed"] is False
    assert report["not_completed"] == ("graded with --seed 4242, an option for debugging (the held-out data is "
                                       "chosen, not hidden): this pass completes no lesson")
    completions, attempts = _store()
    assert completions == {}
    assert attempts == [(False, "every threshold met, with --seed 4242: not counted")]
    from rich.console import Console

    from dlpath.grading.report import report_from_json
    from dlpath.render.grading import render_check

    out = io.StringIO()
    render_check(types.SimpleNamespace(report=report_from_json(report), recorded=True, lesson_completed=False,
                                       not_completed=report["not_completed"], record_problem=None),
                 Console(file=out, width=200, no_color=True))
    assert ("Not completed: graded with --seed 4242, an option for debugging (the held-out data is chosen, not "
            "hidden): this pass completes no lesson. Grade it without that option to complete the lesson.") in out.getvalue()


@pytest.mark.slow
def test_options_no_weaker_than_the_projects_complete_the_lesson_with_the_defences_listed(runner,
                                                                                            passing: Path) -> None:
    from dlpath.cli import app

    # no more time than the project's budget (a shorter one: test_which_options_weaken_a_grade, without a grade a busy
    # machine could run out of time for), less memory than its cap, the CPU
    result = runner.invoke(app, ["check", str(passing), "--json", "--device", "cpu", "--timeout", "20",
                                 "--memory-mb", "900"])
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["weakened_by"] == [], report["verdict"]
    assert report["lesson_completed"] is True and report["not_completed"] is None
    sandbox = report["sandbox"]
    assert sandbox["level"] == "full"
    assert {k: sandbox[k] for k in ("filesystem", "network", "processes", "signals", "sockets")} == dict.fromkeys(
        ("filesystem", "network", "processes", "signals", "sockets"), True)
    assert sandbox["judge_memory_mb"] == 2048 and sandbox["files_inspected"] is False


@pytest.mark.parametrize("sandbox,line", [
    (dict(level="full", filesystem=True, network=True, processes=True, signals=True, sockets=True,
          judge_memory_mb=2048, files_inspected=True),
     "Sandbox: full (files, network, processes, signals, sockets); judge cap 2048 MB; model file inspected"),
    (dict(level="partial", why="no processes, no signals, no sockets isolation: user namespaces are not allowed "
          "here (EPERM)", filesystem=True, network=True, judge_memory_mb=2048),
     "Sandbox: partial (files, network); missing processes, signals, sockets: user namespaces are not allowed here "
     "(EPERM); judge cap 2048 MB"),
    (dict(level="none", why="turned off with --no-sandbox"), "Sandbox: none (turned off with --no-sandbox)"),
])
def test_the_report_says_which_defences_were_active_in_one_line(sandbox: dict, line: str) -> None:
    from dlpath.grading.protocol import SandboxReport
    from dlpath.render.grading import sandbox_line

    assert sandbox_line(SandboxReport(**sandbox)) == line


def test_which_options_weaken_a_grade(passing: Path) -> None:
    from dlpath.grading.grade import weakening_options
    from dlpath.grading.project import load_project

    project = load_project(FIXTURE_PROJECTS / "rings")
    assert weakening_options(project) == []
    assert weakening_options(project, timeout_s=project.budget_s / 2, memory_mb=project.memory_mb // 2,
                             device="cpu") == []
    assert weakening_options(project, device="cuda") == []  # the same budget, on the GPU auto would pick
    said = weakening_options(project, timeout_s=project.budget_s * 2, memory_mb=project.memory_mb * 2, seed=7,
                             sandbox=False)
    assert [(w.option, f"{w.flag}: {w.why}") for w in said] == [
        ("seed", "--seed 7: the held-out data is chosen, not hidden"),
        ("timeout", f"--timeout {project.budget_s * 2:g}: more time than the project's {project.budget_s:g} s budget"),
        ("memory-mb", f"--memory-mb {project.memory_mb * 2}: more memory than the project's {project.memory_mb} MB cap"),
        ("no-sandbox", "--no-sandbox: your code ran with all of your rights")]


@pytest.mark.slow
def test_a_course_may_let_debugging_options_complete_a_lesson(runner, passing: Path, tmp_path: Path,
                                                              monkeypatch) -> None:
    from dlpath.cli import app

    shutil.copytree(FIXTURES / "course", tmp_path / "course")
    course = tmp_path / "course" / "curriculum"
    index = course / "curriculum.yaml"
    index.write_text(index.read_text() + "complete_with: [seed]\n")
    monkeypatch.setenv("DLPATH_CURRICULUM", str(course))
    result = runner.invoke(app, ["check", str(passing), "--json", "--device", "cpu", "--seed", "4242"])
    report = json.loads(result.stdout)
    assert report["weakened_by"] and report["lesson_completed"] is True and report["not_completed"] is None


def test_complete_with_is_read_with_its_line(tmp_path: Path) -> None:
    from dlpath.course.loading import validate_curriculum

    shutil.copytree(FIXTURES / "course", tmp_path / "course")
    course = tmp_path / "course" / "curriculum"
    index = course / "curriculum.yaml"
    lines = index.read_text().splitlines()
    index.write_text("\n".join(lines + ["complete_with: [seed, no-sandboxx]"]) + "\n")
    _, _, problems = validate_curriculum(course)
    assert [str(p) for p in problems] == [
        f"curriculum.yaml:{len(lines) + 1}: complete_with: 'no-sandboxx' is not a grading option that weakens a "
        "grade (did you mean 'no-sandbox'?); the options are seed, timeout, memory-mb, no-sandbox, project-copy"]


def test_a_copy_of_a_shipped_project_that_grades_differently_completes_nothing(tmp_path: Path, monkeypatch) -> None:
    """A red-team learner named a copy of gridworld-agent with lower thresholds in DLPATH_PROJECTS and completed
    the shipped course's lesson with it; such a pass is now shown and recorded, but completes nothing (unless a
    course says `complete_with: [project-copy]`). A copy that grades alike, and dlpath's own folder, are not
    weakenings."""
    import yaml

    from dlpath.grading.grade import copy_of_shipped, weakening_options
    from dlpath.grading.project import load_project
    from dlpath.learner.attempts import not_counted
    from dlpath.paths import projects_dir

    shutil.copytree(projects_dir() / "gridworld-agent", tmp_path / "mine" / "gridworld-agent")
    monkeypatch.setenv("DLPATH_PROJECTS", str(tmp_path / "mine"))
    alike = load_project("gridworld-agent")
    assert alike.path == tmp_path / "mine" / "gridworld-agent" and copy_of_shipped(alike) is None
    assert copy_of_shipped(load_project(projects_dir() / "gridworld-agent")) is None
    spec = tmp_path / "mine" / "gridworld-agent" / "project.yaml"
    data = yaml.safe_load(spec.read_text())
    data["hints"] = ["a hint of my own"]  # texts do not change the grade
    spec.write_text(yaml.safe_dump(data))
    assert weakening_options(load_project("gridworld-agent")) == []
    for threshold in data["thresholds"]:
        threshold["min"] = -1.0
    spec.write_text(yaml.safe_dump(data))
    said = weakening_options(load_project("gridworld-agent"))
    assert [(w.option, w.flag) for w in said] == [("project-copy", "a copy of the project")]
    assert "takes the id of dlpath's own gridworld-agent but differs in its thresholds" in said[0].why
    report = types.SimpleNamespace(passed=True, weakened_by=said)
    assert not_counted(report, None).endswith("differs in its thresholds: this pass completes no lesson")
    assert not_counted(report, types.SimpleNamespace(complete_with=("project-copy",))) is None


def test_a_project_of_its_own_that_names_a_graded_lesson_completes_nothing() -> None:
    """A red-team learner gave an easy copy of mlp-spirals an id of its own (so it is no `project-copy`) and
    `lesson: first-network` in DLPATH_PROJECTS: its pass completed the shipped lesson. A pass completes a
    lesson only when the lesson names that work; a reading lesson (no graded work) and the lesson's own
    project still do."""
    from dlpath.course.loading import load_curriculum
    from dlpath.learner.completion import completes_lesson

    course = load_curriculum(None)
    graded = next(lesson for lesson in course.lessons if lesson.project)
    assert not completes_lesson(course, graded.id, "project", {"trivial-pass"}, "trivial-pass")
    assert completes_lesson(course, graded.id, "project", {graded.project}, graded.project)
    exercised = next(lesson for lesson in course.lessons if lesson.exercises and not lesson.project)
    assert not completes_lesson(course, exercised.id, "project", {"trivial-pass"}, "trivial-pass")


def test_a_project_of_its_own_that_makes_the_course_invalid_completes_nothing(tmp_path: Path, monkeypatch,
                                                                             dlpath_home: Path) -> None:
    """The red team's project with an id of its own named `lesson: first-network` in DLPATH_PROJECTS: the course
    then fails to load (two projects for one lesson), and the pass completed the lesson by its id, without any
    rule. A pass now completes nothing while the course cannot be loaded, and says why; it is recorded as an
    attempt that does not count, as a weakened pass is."""
    import dataclasses

    import yaml

    from dlpath.grading.project import load_project
    from dlpath.learner.attempts import record
    from dlpath.learner.store import open_store
    from dlpath.paths import projects_dir
    from tests.test_platform_formats import make_report

    mine = tmp_path / "mine" / "trivial-pass"
    shutil.copytree(projects_dir() / "mlp-spirals", mine)
    data = yaml.safe_load((mine / "project.yaml").read_text())
    data.update(id="trivial-pass", lesson="first-network", thresholds=[{"metric": "test_accuracy", "min": 0.0}])
    (mine / "project.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("DLPATH_PROJECTS", str(tmp_path / "mine"))
    project = load_project("trivial-pass")
    report = dataclasses.replace(make_report("passed"), project="trivial-pass", lesson="first-network")
    outcome = record(report, project)
    assert outcome.recorded and not outcome.lesson_completed
    assert "the course could not be loaded" in outcome.not_completed
    assert "named by several projects" in outcome.not_completed
    with open_store() as store:
        assert "first-network" not in store.completions()
        assert "trivial-pass" not in store.passed_projects()  # kept as an attempt that does not count


@pytest.mark.slow
def test_an_answer_the_judge_cannot_read_is_the_submissions_fault_not_the_graders(tmp_path: Path) -> None:
    """The learner's process answers with a tensor index naming impossible sizes: a verdict against the
    submission (the grader stopped it, for a protocol breach), not "dlpath could not grade" (exit 2)."""
    folder = _folder(tmp_path, "unreadable_answer")
    env = dict(os.environ, DLPATH_HOME=str(tmp_path / "dlpath-home"), DLPATH_PROJECTS=str(FIXTURE_PROJECTS))
    proc = _dlpath(["check", str(folder), "--device", "cpu", "--json"], tmp_path, env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["passed"] is False and report["failure"]["kind"] == "protocol", report["verdict"]
    assert "cannot read" in report["verdict"] and "bad shape" in report["verdict"], report["verdict"]


@pytest.mark.slow
def test_the_reference_solutions_cannot_be_borrowed_at_grade_time(tmp_path: Path) -> None:
    """A train.py that imports the project's shipped solution when it is graded: it passes without the sandbox
    (the attack is real), and in the sandbox the solutions (and exercise graders) are empty files and folders."""
    folder = _folder(tmp_path, "borrow_the_solution")
    env = dict(os.environ, DLPATH_HOME=str(tmp_path / "dlpath-home"), DLPATH_PROJECTS=str(FIXTURE_PROJECTS))
    proc = _dlpath(["check", str(folder), "--device", "cpu", "--json", "--no-record"], tmp_path, env)
    report = json.loads(proc.stdout)
    if report["sandbox"]["level"] != "full":
        pytest.skip(f"the sandbox is {report['sandbox']['level']} here: {report['sandbox']['why']}")
    assert "ORACLE solution empty" in report["output_tail"], report["output_tail"]
    assert report["passed"] is False, report["verdict"]
    loose = _dlpath(["check", str(folder), "--device", "cpu", "--json", "--no-record", "--no-sandbox"], tmp_path, env)
    report = json.loads(loose.stdout)
    assert "ORACLE solution found" in report["output_tail"] and report["passed"] is True, report["verdict"]
    assert (FIXTURE_PROJECTS / "rings" / "solution" / "train.py").stat().st_size > 0  # hidden only in the sandbox


@pytest.mark.slow
def test_the_checkout_dlpath_runs_from_shows_no_git_objects_in_the_sandbox(tmp_path: Path) -> None:
    """Run from a clone, dlpath's folder sits beside .git, whose objects hold every shipped file (the real data
    sets' held-back rows too): the learner's process finds it empty."""
    if not (ROOT / ".git").is_dir():
        pytest.skip("dlpath does not run from a git checkout here")
    folder = _folder(tmp_path, "read_the_checkout")
    env = dict(os.environ, DLPATH_HOME=str(tmp_path / "dlpath-home"), DLPATH_PROJECTS=str(FIXTURE_PROJECTS))
    report = json.loads(_dlpath(["check", str(folder), "--device", "cpu", "--json", "--no-record"], tmp_path,
                                env).stdout)
    if report["sandbox"]["level"] != "full":
        pytest.skip(f"the sandbox is {report['sandbox']['level']} here: {report['sandbox']['why']}")
    assert "GIT True []" in report["output_tail"], report["output_tail"]
    assert any((ROOT / ".git").iterdir())  # hidden in the sandbox only

