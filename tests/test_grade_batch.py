"""`dlpath grade`: a class of twenty submissions (passes, fails, crashes, a hang, hostile zips), stopped with
Ctrl-C halfway and resumed, ends with the right outcome for each and one summary."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlpath.cli import app
from dlpath.grading.report import report_json
from tests.conftest import VARIANTS, check_junit
from tests.test_submissions import make_zip

# student -> (status, the verdict starts with / holds this, how it is handed in)
EXPECTED = {
    "alice": ("passed", "every threshold met"),
    "bob": ("passed", "every threshold met"),
    "carol": ("passed", "every threshold met"),
    "dan": ("passed", "every threshold met"),  # the same files as alice: graded once
    "erin": ("passed", "every threshold met"),
    "frank": ("failed", "test_accuracy is 0."),
    "grace": ("failed", "your code raised ValueError"),
    "heidi": ("failed", "your code raised ValueError"),  # the same files as grace
    "ivan": ("failed", "your code called sys.exit(3)"),
    "judy": ("failed", "your code raised SyntaxError"),
    "ken": ("failed", "stopped after the 20 s budget"),
    "leo": ("refused", "no train.py in the submission"),
    "mallory": ("refused", "the zip holds a path that climbs out of its folder ('../../escaped.py')"),
    "niaj": ("refused", "the zip holds an absolute path ('/tmp/escaped.py')"),
    "olivia": ("refused", "the zip holds a symbolic link ('data')"),
    "peggy": ("refused", "the zip entry 'weights.bin' expands"),
    "quinn": ("refused", "the folder holds a symbolic link ('data')"),
    "rupert": ("refused", "not a readable zip"),
    "sybil": ("refused", "several train.py in the submission"),
    "trent": ("failed", "your code raised ValueError"),  # ships a fake `dlpath` package that prints a pass
}


def _variant(name: str, tag: str = "") -> bytes:
    return (VARIANTS / f"{name}.py").read_bytes() + (f"\n# {tag}\n".encode() if tag else b"")


def _folder(root: Path, name: str, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / name / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / name / rel).write_bytes(data)


def _zip(root: Path, name: str, files: dict[str, bytes], links: dict[str, str] | None = None) -> None:
    make_zip(root / f"{name}.zip", files, links=links)


def make_class(root: Path) -> Path:
    """Twenty submissions, one per student, in `root`/class."""
    from tests.test_platform_formats import make_report

    subs = root / "class"
    subs.mkdir()
    passes = _variant("passes")
    _folder(subs, "alice", {"train.py": passes})
    _zip(subs, "bob", {"train.py": _variant("passes", "bob")})
    _zip(subs, "carol", {"carol/train.py": _variant("passes", "carol"), "carol/notes.md": b"my notes",
                         "__MACOSX/carol/._train.py": b"\x00junk"})
    _folder(subs, "dan", {"train.py": passes})
    _folder(subs, "erin", {"train.py": passes})
    _folder(subs, "frank", {"train.py": _variant("below_threshold")})
    _folder(subs, "grace", {"train.py": _variant("raises")})
    _folder(subs, "heidi", {"train.py": _variant("raises")})
    _folder(subs, "ivan", {"train.py": _variant("exits_early")})
    _folder(subs, "judy", {"train.py": b"import torch\ndef build_model(info)\n    pass\n"})
    _folder(subs, "ken", {"train.py": _variant("hangs")})
    _folder(subs, "leo", {"README.md": b"I forgot my code"})
    _zip(subs, "mallory", {"train.py": passes, "../../escaped.py": b"print('out')\n"})
    _zip(subs, "niaj", {"train.py": passes, "/tmp/escaped.py": b"print('out')\n"})
    _zip(subs, "olivia", {"train.py": passes}, links={"data": "/etc"})
    _zip(subs, "peggy", {"train.py": passes, "weights.bin": bytes(64 * 2**20)})
    _folder(subs, "quinn", {"train.py": passes})
    (subs / "quinn" / "data").symlink_to("/etc")
    (subs / "rupert.zip").write_bytes(b"PK\x05\x06 not really a zip at all")
    _folder(subs, "sybil", {"v1/train.py": passes, "v2/train.py": passes})
    forged = json.dumps(report_json(make_report("passed")))
    fake = f"import sys\nsys.stdout.write({forged!r})\nsys.exit(0)\n".encode()
    _folder(subs, "trent", {"train.py": _variant("raises", "trent"), "dlpath/__init__.py": fake,
                            "dlpath/__main__.py": fake})
    (subs / "roster.txt").write_text("not a submission\n")
    return subs


def processes_under(path: Path) -> list[int]:
    """Live processes whose working folder is `path` or inside it."""
    found = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{name}/cwd")
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if (cwd == str(path) or cwd.startswith(str(path) + "/")) and state not in (b"Z", b"X"):
            found.append(int(name))
    return found


@pytest.mark.slow
def test_a_class_is_graded_stopped_resumed_and_summarised(runner, tmp_path: Path, fixture_projects: Path,
                                                         dlpath_home: Path) -> None:
    subs = make_class(tmp_path)
    out = tmp_path / "grades"
    command = [sys.executable, "-m", "dlpath", "grade", str(subs), "--project", "rings", "--out", str(out),
               "--jobs", "2", "--device", "cpu"]

    # 1. Ctrl-C once two grades are cached: it stops cleanly and keeps them.
    # Ctrl-C as at a terminal: a suite started in the background (`cmd &`) ignores SIGINT, and a child would keep
    # that (Python installs no handler for a signal it starts ignoring)
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 240
    while len(list((out / ".cache").glob("*.json"))) < 2 and time.monotonic() < deadline:
        assert first.poll() is None, first.communicate()
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)
    stdout, stderr = first.communicate(timeout=60)
    assert first.returncode == 130, (stdout, stderr)
    assert "Stopped: the grades that finished are kept in" in stderr
    assert "Error: interrupted." in stderr
    assert processes_under(out) == [] and processes_under(subs) == []
    assert not (out / ".work").exists()
    assert not (out / "summary.json").exists()  # summaries come with a finished batch
    kept = len(list((out / ".cache").glob("*.json")))
    assert kept >= 2

    # 2. The same command again grades the rest; the cached grades are reused.
    result = runner.invoke(app, ["grade", str(subs), "--project", "rings", "--out", str(out), "--jobs", "2",
                                 "--device", "cpu", "--json"])
    assert result.exit_code == 1, result.output  # some did not pass
    summary = json.loads(result.stdout)
    students = {s["student"]: s for s in summary["students"]}
    assert list(students) == sorted(EXPECTED)
    for name, (status, verdict) in EXPECTED.items():
        s = students[name]
        assert s["status"] == status, (name, s["verdict"])
        assert verdict in s["verdict"], (name, s["verdict"])
        assert s["passed"] == (status == "passed")
    assert summary["counts"] == {"passed": 5, "failed": 7, "refused": 8, "error": 0, "total": 20,
                                 "cached": summary["counts"]["cached"]}
    assert summary["counts"]["cached"] >= kept
    assert sum(s["cached"] for s in students.values()) == summary["counts"]["cached"]
    for twin, original in (("dan", "alice"), ("erin", "alice"), ("heidi", "grace")):
        assert students[twin]["same_as"] == original, students[twin]  # after a resume too
    assert summary["skipped"] == ["roster.txt"]
    assert "budget-exhausted" in [d["code"] for d in students["ken"]["diagnoses"]]
    assert not (tmp_path / "escaped.py").exists() and not Path("/tmp/escaped.py").exists()
    assert not (dlpath_home / "progress.sqlite3").exists()  # the instructor's store is never written

    # 3. One summary, the same points everywhere, no hidden seed in it.
    for s in students.values():
        if s["report"]:
            report = json.loads((out / s["report"]).read_text())
            assert report["score"] == s["score"] == sum(t["points"] for t in s["thresholds"])
            assert str(report["seed"]) not in (out / "summary.json").read_text()
        else:
            assert s["status"] == "refused" and s["score"] == 0
    with open(out / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["student"] for r in rows] == sorted(EXPECTED)
    assert {r["student"]: r["status"] for r in rows} == {n: s["status"] for n, s in students.items()}
    assert rows[0]["test_accuracy"] and float(rows[0]["score"]) == students["alice"]["score"] == 2.0
    assert all(len(r["test_accuracy"].lstrip("0.").replace(".", "")) <= 6 for r in rows if r["test_accuracy"])
    junit = check_junit((out / "junit.xml").read_text())
    suites = {suite.get("name"): suite for suite in junit.findall("testsuite")}
    assert list(suites) == sorted(EXPECTED)
    assert suites["alice"].get("failures") == "0" and suites["alice"].get("errors") == "0"
    assert suites["mallory"].find("testcase/error").get("type") == "refused"
    assert int(junit.get("tests")) == sum(int(s.get("tests")) for s in suites.values())
    assert processes_under(out) == []

    # 4. What the class got wrong, on a page; each student's feedback; the hostile zips never compared.
    klass = summary["class"]
    assert {c["code"]: c["count"] for c in klass["causes"]}.get("budget-exhausted") == 1
    assert {s["student"] for s in klass["stopped"]} >= {"grace", "heidi", "ivan", "judy", "ken", "trent"}
    assert "mallory" in klass["similarity"]["not_compared"] and "leo" in klass["similarity"]["not_compared"]
    flagged = {(p["a"], p["b"]) for p in klass["similarity"]["pairs"] if p["worth_a_look"]}
    assert ("grace", "heidi") in flagged  # identical files are alike, of course (alice's and dan's, the passing
    # fixture, is the code most of this class shares: more than half and 10 students, so the class's idiom)
    page = (out / "report.html").read_text()
    assert "What the class got wrong" in page and 'href="feedback/alice.txt"' in page
    assert (out / "feedback" / "frank.txt").read_text().startswith("NOT YET (rings): test_accuracy is 0.")


def test_grade_says_what_is_wrong_with_its_arguments(runner, tmp_path: Path, fixture_projects: Path) -> None:
    result = runner.invoke(app, ["grade", str(tmp_path / "nowhere"), "--project", "rings"])
    assert result.exit_code == 2
    assert f"Error: {tmp_path / 'nowhere'} is not a folder: `dlpath grade` grades a folder holding one folder or " \
           ".zip per student." in " ".join(result.output.split())
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["grade", str(tmp_path / "empty"), "--project", "rings"])
    assert result.exit_code == 2 and "holds no submissions" in result.output
    (tmp_path / "empty" / "alice").mkdir()
    result = runner.invoke(app, ["grade", str(tmp_path / "empty"), "--project", "rings", "--jobs", "0", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["message"] == "--jobs must be at least 1."
    result = runner.invoke(app, ["grade", str(tmp_path / "empty"), "--project", "ringz"])
    assert result.exit_code == 2 and "there is no project 'ringz'" in result.output
    result = runner.invoke(app, ["grade", str(tmp_path / "empty"), "--project", "rings", "--due", "friday", "--json"])
    assert result.exit_code == 2 and json.loads(result.stdout)["error"]["message"] == (
        "--due: 'friday' is not a date and time; write it as 2026-12-01T23:59:00+01:00 (ISO 8601, with the time zone).")
    result = runner.invoke(app, ["grade", str(tmp_path / "empty"), "--project", "rings", "--due", "2026-12-01T23:59",
                                 "--json"])
    assert json.loads(result.stdout)["error"]["message"] == ("--due: '2026-12-01T23:59' has no time zone: add one, "
                                                             "for example 2026-12-01T23:59+00:00 or 2026-12-01T23:59Z")


def test_default_jobs_fit_the_cores_and_the_memory(fixture_projects: Path, monkeypatch) -> None:
    import dataclasses

    from dlpath.grading import batch
    from dlpath.hardware import system
    from dlpath.grading.project import Requires, load_project

    project = load_project("rings")
    info = system.read_system()
    monkeypatch.setattr(system, "read_system", lambda: dataclasses.replace(info, usable_cores=16,
                                                                          ram_available_mib=64_000))
    assert batch.default_jobs(project) == 16
    assert batch.default_jobs(dataclasses.replace(project, requires=Requires(processes=2))) == 8
    monkeypatch.setattr(system, "read_system", lambda: dataclasses.replace(info, usable_cores=16,
                                                                          ram_available_mib=3000))
    assert batch.default_jobs(project) == 2  # 1024 MB cap + the judge's and the checker's share each


def test_the_time_left_counts_a_hanging_submissions_budget(fixture_projects: Path, tmp_path: Path) -> None:
    """A grade running past the typical one (a hanging submission) may still take what is left of its budget:
    the bar never says "0 s left" while it runs."""
    from dlpath.grading.batch import _Batch, _Job, _Running
    from dlpath.grading.project import load_project
    from dlpath.grading.submissions import Submission

    project = load_project("rings")
    batch = _Batch(project, tmp_path / "grades", jobs=2, timeout_s=None, memory_mb=None, device="cpu",
                   curriculum=None, user=None, on_event=None)
    batch.durations = [5.0, 5.0]  # the grades so far took 5 s
    now = time.monotonic()
    job = _Job(Submission("ken", tmp_path), "0" * 64, "k")
    batch.running = [_Running(job=job, proc=None, started=now - 20.0, work=tmp_path, stdout=tmp_path,
                              stderr=tmp_path)]  # 20 s in: well past the typical grade
    eta = batch.progress().eta_s
    assert eta is not None and eta >= project.budget_s + 30 - 20 - 1  # what is left of its budget and overhead
    batch.running = [_Running(job=job, proc=None, started=now - 2.0, work=tmp_path, stdout=tmp_path,
                              stderr=tmp_path)]
    assert 2.0 <= batch.progress().eta_s <= 3.5  # an ordinary grade: the typical rest


def test_a_submission_whose_marker_is_a_folder_or_a_link_is_refused_not_the_whole_class(tmp_path: Path) -> None:
    """The grader writes its own `.dlpath-project` into each unpacked submission: one that holds a folder or a link
    by that name is that student's refusal (it aborted the batch before), and a link is never written through."""
    from dlpath.grading.batch import _mark
    from dlpath.grading.submissions import SubmissionRefused

    folder = tmp_path / "a"
    (folder / ".dlpath-project").mkdir(parents=True)
    with pytest.raises(SubmissionRefused, match="folder named .dlpath-project"):
        _mark(folder / ".dlpath-project", "rings")
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / ".dlpath-project").symlink_to(outside)
    with pytest.raises(SubmissionRefused, match="link named .dlpath-project"):
        _mark(tmp_path / "b" / ".dlpath-project", "rings")
    assert outside.read_text() == "keep me"
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / ".dlpath-project").write_text("project: something-else\n")
    _mark(tmp_path / "c" / ".dlpath-project", "rings")
    assert (tmp_path / "c" / ".dlpath-project").read_text() == "project: rings\n"
