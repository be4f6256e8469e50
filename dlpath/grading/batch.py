"""`dlpath grade`: a class's submissions graded in parallel, each in its own `dlpath check` process.

    parent (this module)                  one child per submission, N at a time
    unpacks each submission into   --->   python -m dlpath check WORK --format json --no-record
    OUT/.work/S/submission, starts the    (its own session; its own learner process and judge,
    children, watches their time, reads   sandboxed as for any check); the JSON report goes to
    their JSON reports, caches each       OUT/.work/S/report.json, beside WORK, never inside it
    result under OUT/.cache/

The conversation is one-way and ends with the child: the parent hands over a
folder, a project id and limits on the command line (no secret: the child
draws its own hidden test seed) and reads back one JSON object (docs/json.md),
which it parses into a `GradeReport` (`report_from_json`). A child that
prints no report, or runs past `wall_limit_s`, is an `error`, never a grade.

- **Isolation**: each grade is its own process, because the grader sets
  process-wide state (the child subreaper, non-dumpability, signal handling).
  Children get a private `DLPATH_HOME` and `--no-record`: the instructor's
  store is never touched. They run with a neutral working folder, so nothing
  in a submission can shadow dlpath's own modules.
- **Failures stay local**: a submission that crashes, hangs or is refused is
  one line of the summary; the batch goes on.
- **Stopping**: Ctrl-C (or SIGTERM) sends SIGINT to every running child, which
  stops its learner process and judge as `dlpath check` does; a child still
  there after `STOP_GRACE_S` is killed, and so is anything it left (the parent
  is the child subreaper while the batch runs). Each child also dies with the
  parent (a parent-death signal), so even a killed batch leaves nothing behind.
- **Resuming**: a finished grade is cached under the SHA-256 of the
  submission, the project file, dlpath's version and the limits; a rerun
  reuses it and grades only the rest. Identical submissions are graded once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from dlpath.atomic import write_text
from dlpath.version import __version__
from dlpath.errors import UsageError
from dlpath.grading.processes import children, interrupt_groups, kill_adopted
from dlpath.grading.report import GradeReport, report_from_json
from dlpath.paths import dlpath_command
from dlpath.grading.submissions import Submission, SubmissionRefused, fingerprint, unpack
from dlpath.grading.project import Project
from dlpath.text import TextEnum, clean

__all__ = ["Status", "StudentResult", "Progress", "BatchPhase", "BatchEvent", "BatchResult", "grade_batch",
           "default_jobs", "wall_limit_s", "student_slug", "STOP_GRACE_S"]

STOP_GRACE_S = 10.0  #: seconds a child has to stop its processes after SIGINT before it is killed
_POLL_S = 0.1
_TICK_S = 0.5
_PER_GRADE_MB = 400  #: memory a grade needs beside the learner's cap: the judge and the check process
_CACHE_VERSION = 1
_OVERHEAD_S = 30.0  #: a grade's seconds besides training (interpreters started, torch imported, evaluation)


class Status(TextEnum):
    """How a submission ended up."""

    PASSED = "passed"  #: graded, every threshold met
    FAILED = "failed"  #: graded, not passed (a threshold missed, a crash, the budget ran out, ...)
    REFUSED = "refused"  #: not graded: the submission itself is unacceptable (a hostile zip, no train.py)
    ERROR = "error"  #: not graded: the grader could not grade it here (an environment problem)


@dataclass(frozen=True)
class StudentResult:
    """One student's line of the summary."""

    student: str
    status: Status
    message: str  #: the verdict, or why it was not graded
    report: GradeReport | None = None  #: the grade, when there is one
    duration_s: float = 0.0  #: wall time of the grade (of the original one, when cached)
    sha256: str | None = None  #: the submission's fingerprint
    cached: bool = False  #: taken from an earlier run's cache
    same_as: str | None = None  #: graded once with another student's identical submission
    report_file: str | None = None  #: the full JSON report, relative to the output folder


@dataclass(frozen=True)
class Progress:
    """Where the batch stands."""

    total: int
    done: int
    running: tuple[str, ...]
    passed: int
    failed: int  #: failed, refused or error
    cached: int
    eta_s: float | None  #: expected seconds left (None until a grade has finished)
    elapsed_s: float


class BatchPhase(TextEnum):
    """What a `BatchEvent` tells."""

    STARTED = "started"  #: a submission's grade started
    FINISHED = "finished"  #: a submission is graded (`result` says how)
    TICK = "tick"  #: time passes


@dataclass(frozen=True)
class BatchEvent:
    """Something the live display may show."""

    kind: BatchPhase
    progress: Progress
    student: str | None = None
    result: StudentResult | None = None


@dataclass(frozen=True)
class BatchResult:
    """A whole batch (the `dlpath grade --json` shape is `gradebook.summary_json` of it)."""

    project: Project
    results: list[StudentResult]
    out: Path
    jobs: int
    timeout_s: float | None
    memory_mb: int | None
    device: str
    wall_s: float
    skipped: list[str] = field(default_factory=list)  #: files in the submissions folder that are not submissions

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)


def default_jobs(project: Project) -> int:
    """Grades at once: the usable cores over the processes one grade trains with, within the free memory."""
    from dlpath.hardware.system import read_system

    system = read_system()
    cores = system.usable_cores or os.cpu_count() or 1
    by_cores = cores // max(1, project.requires.processes)
    jobs = by_cores
    if system.ram_available_mib:
        jobs = min(jobs, system.ram_available_mib // (project.memory_mb + _PER_GRADE_MB))
    return max(1, jobs)


def wall_limit_s(project: Project, timeout_s: float | None) -> float:
    """How long a child may run before the batch stops it: its own limits plus a margin."""
    from dlpath.grading.runner import STARTUP_LIMIT_S

    budget = float(timeout_s if timeout_s is not None else project.budget_s)
    return budget + STARTUP_LIMIT_S + (60.0 + 0.5 * budget) + 60.0


def _key(project: Project, digest: str, options: tuple) -> str:
    h = hashlib.sha256()
    h.update(f"dlpath {__version__} cache {_CACHE_VERSION}\n{project.id}\n{options!r}\n".encode())
    h.update((project.path / "project.yaml").read_bytes())
    h.update(digest.encode())
    return h.hexdigest()


def _slug(student: str) -> str:
    """A file name for `student`: the name itself when it is a safe one, else a safe one made unique."""
    import re

    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._")[:60] or "student"
    return safe if safe == student else f"{safe}-{hashlib.sha256(student.encode()).hexdigest()[:6]}"


student_slug = _slug  #: the file name of a student's report (reports/NAME.json) and feedback (feedback/NAME.txt)


# ------------------------------------------------------------------ one child


@dataclass
class _Job:
    submission: Submission
    sha256: str
    key: str
    twins: list[Submission] = field(default_factory=list)  #: identical submissions graded with this one


@dataclass
class _Running:
    job: _Job
    proc: subprocess.Popen
    started: float
    work: Path  #: the grade's folder: the child's report and errors, and the submission's copy below
    stdout: Path
    stderr: Path


def _mark(marker: Path, project: str) -> None:
    """Write the grader's own project marker into an unpacked submission; a submission whose `.dlpath-project`
    is a folder, a link or anything but a plain file is refused (one submission must not stop the class)."""
    if marker.is_symlink() or (marker.exists() and not marker.is_file()):
        raise SubmissionRefused(f"it holds a {'link' if marker.is_symlink() else 'folder'} named {marker.name}, "
                                "where the grader writes its own marker file; remove it and submit again")
    try:
        marker.write_text(f"project: {project}\n", encoding="utf-8")
    except OSError as exc:
        raise SubmissionRefused(f"the grader could not write {marker.name} into it ({exc.strerror or exc})") from None


class _Batch:
    def __init__(self, project: Project, out: Path, *, jobs: int, timeout_s: float | None, memory_mb: int | None,
                 device: str, curriculum: Path | None, user: str | None,
                 on_event: Callable[[BatchEvent], None] | None) -> None:
        self.project, self.out, self.jobs = project, out, jobs
        self.timeout_s, self.memory_mb, self.device = timeout_s, memory_mb, device
        self.curriculum, self.user = curriculum, user
        self.notify = on_event or (lambda event: None)
        self.options = (timeout_s, memory_mb, device)
        self.limit_s = wall_limit_s(project, timeout_s)
        self.cache = out / ".cache"
        self.work_root = out / ".work"
        self.reports = out / "reports"
        self.results: dict[str, StudentResult] = {}
        self.order: list[str] = []
        self.queue: list[_Job] = []
        self.running: list[_Running] = []
        self.durations: list[float] = []
        self.started = time.monotonic()
        self.home = ""
        self.me = os.getpid()
        self.others = children(self.me)  #: children this process had before the batch: never touched

    # ------------------------------------------------------------ planning

    def plan(self, submissions: list[Submission]) -> None:
        by_key: dict[str, _Job] = {}
        first_cached: dict[str, str] = {}  #: key -> the first student whose cached grade it is (a resumed batch)
        for sub in submissions:
            self.order.append(sub.student)
            try:
                digest = fingerprint(sub)
            except SubmissionRefused as exc:
                self.results[sub.student] = StudentResult(sub.student, Status.REFUSED, exc.message)
                continue
            key = _key(self.project, digest, self.options)
            cached = self.read_cache(key, sub.student, digest)
            if cached is not None:
                if key in first_cached:  # identical to an earlier submission, graded before Ctrl-C
                    cached = dataclasses.replace(cached, same_as=first_cached[key])
                first_cached.setdefault(key, sub.student)
                self.results[sub.student] = cached
                self.durations.append(cached.duration_s)  # a fair guess of how long the others take
            elif key in by_key:
                by_key[key].twins.append(sub)
            else:
                by_key[key] = _Job(sub, digest, key)
                self.queue.append(by_key[key])

    def read_cache(self, key: str, student: str, digest: str) -> StudentResult | None:
        path = self.cache / f"{key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            report = report_from_json(data["report"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        file = self.save_report(student, data["report"])
        status = Status.PASSED if report.passed else Status.FAILED
        return StudentResult(student, status, report.verdict, report, float(data.get("duration_s", 0.0)), digest,
                             cached=True, report_file=file)

    def save_report(self, student: str, data: dict) -> str:
        self.reports.mkdir(parents=True, exist_ok=True)
        path = self.reports / f"{_slug(student)}.json"
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path.relative_to(self.out).as_posix()

    # ------------------------------------------------------------ children

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        roots = [str(self.project.path.parent)] + [p for p in env.get("DLPATH_PROJECTS", "").split(os.pathsep) if p]
        env.update({"DLPATH_HOME": self.home, "DLPATH_PROJECTS": os.pathsep.join(roots), "NO_COLOR": "1",
                    "HOME": self.home})
        env.pop("DLPATH_DEBUG", None)
        if self.curriculum is not None:
            env["DLPATH_CURRICULUM"] = str(self.curriculum)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        threads = str(max(1, cores // self.jobs))  # N grades at once share the cores instead of fighting for them
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, threads)
        return env

    def command(self, folder: Path) -> list[str]:
        cmd = dlpath_command("check", str(folder), "--format", "json", "--no-record", "--device", self.device)
        if self.timeout_s is not None:
            cmd += ["--timeout", f"{self.timeout_s:g}"]
        if self.memory_mb is not None:
            cmd += ["--memory-mb", str(self.memory_mb)]
        return cmd

    def start(self, job: _Job) -> None:
        from dlpath.grading.sandbox import die_with_parent
        from dlpath.grading.workspace import MARKER

        base = self.work_root / _slug(job.submission.student)  # the report goes here, the code runs below
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        try:
            folder = unpack(job.submission, base / "submission", self.project.entry)
            _mark(folder / MARKER, self.project.id)
        except SubmissionRefused as exc:
            shutil.rmtree(base, ignore_errors=True)
            self.finish(job, StudentResult(job.submission.student, Status.REFUSED, exc.message, sha256=job.sha256))
            return
        if self.user:
            for parent in (self.out, self.work_root, base):  # the user may pass through, not list nor write
                os.chmod(parent, os.stat(parent).st_mode | 0o111)
            _give(base / "submission", self.user)
        stdout, stderr = base / "report.json", base / "stderr.txt"
        extra: dict[str, Any] = {}
        if self.user:
            import pwd

            entry = pwd.getpwnam(self.user)
            extra = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        with open(stdout, "wb") as out, open(stderr, "wb") as err:
            proc = subprocess.Popen(self.command(folder), cwd=self.home, env=self.environment(),
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True,
                                    preexec_fn=die_with_parent, **extra)
        self.running.append(_Running(job, proc, time.monotonic(), base, stdout, stderr))
        self.notify(BatchEvent(BatchPhase.STARTED, self.progress(), student=job.submission.student))

    def collect(self, run: _Running, *, overtime: bool = False) -> StudentResult:
        student = run.job.submission.student
        duration = time.monotonic() - run.started
        code = run.proc.returncode
        try:
            text = run.stdout.read_text(encoding="utf-8", errors="replace")
            data = json.loads(text) if text.strip() else None
        except (OSError, ValueError):
            data = None
        if overtime:
            return StudentResult(student, Status.ERROR, f"the grade did not finish within {self.limit_s:.0f} s and "
                                 "was stopped", duration_s=duration, sha256=run.job.sha256)
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            message = clean(str(data["error"].get("message", "")))[:500]
            return StudentResult(student, Status.ERROR, f"dlpath could not grade it: {message}", duration_s=duration,
                                 sha256=run.job.sha256)
        try:
            report = report_from_json(data)
        except ValueError:
            tail = _tail(run.stderr)
            return StudentResult(student, Status.ERROR, f"the grader stopped with exit status {code} and no report"
                                 + (f": {tail}" if tail else ""), duration_s=duration, sha256=run.job.sha256)
        assert isinstance(data, dict)
        self.cache.mkdir(parents=True, exist_ok=True)
        entry = {"version": _CACHE_VERSION, "student": student, "duration_s": round(duration, 3), "report": data}
        write_text(self.cache / f"{run.job.key}.json", json.dumps(entry, ensure_ascii=False))
        self.durations.append(duration)
        status = Status.PASSED if report.passed else Status.FAILED
        return StudentResult(student, status, report.verdict, report, round(duration, 3), run.job.sha256,
                             report_file=self.save_report(student, data))

    def finish(self, job: _Job, result: StudentResult) -> None:
        self.results[result.student] = result
        self.notify(BatchEvent(BatchPhase.FINISHED, self.progress(), student=result.student, result=result))
        for twin in job.twins:
            copy = dataclasses.replace(result, student=twin.student, same_as=result.student, report_file=(
                self.save_report(twin.student, json.loads((self.out / result.report_file).read_text(
                    encoding="utf-8"))) if result.report_file else None))
            self.results[twin.student] = copy
            self.notify(BatchEvent(BatchPhase.FINISHED, self.progress(), student=twin.student, result=copy))

    def end(self, run: _Running, *, overtime: bool = False) -> None:
        self.running.remove(run)
        if overtime:
            interrupt_groups([run.proc], STOP_GRACE_S)
        kill_adopted(self.me, self.others | {r.proc.pid for r in self.running})
        result = self.collect(run, overtime=overtime)
        shutil.rmtree(run.work, ignore_errors=True)
        self.finish(run.job, result)

    # ------------------------------------------------------------ the loop

    def progress(self) -> Progress:
        done = len(self.results)
        passed = sum(1 for r in self.results.values() if r.status is Status.PASSED)
        eta = None
        if self.durations:
            mean = sum(self.durations) / len(self.durations)
            now = time.monotonic()
            running = [self._still_to_run(now - r.started, mean) for r in self.running]
            left = mean * len(self.queue) + sum(running)
            eta = max([left / max(1, min(self.jobs, len(self.queue) + len(self.running))), *running])
        return Progress(total=len(self.order), done=done, running=tuple(r.job.submission.student for r in self.running),
                        passed=passed, failed=done - passed, cached=sum(1 for r in self.results.values() if r.cached),
                        eta_s=eta, elapsed_s=time.monotonic() - self.started)

    def _still_to_run(self, elapsed: float, mean: float) -> float:
        """Seconds a grade running for `elapsed` may still take: the typical grade's rest, or, past it (a hanging
        or slow submission), what is left of its training budget and the time to start and evaluate, at most
        the batch's own limit."""
        if elapsed < mean:
            return mean - elapsed
        budget = float(self.timeout_s if self.timeout_s is not None else self.project.budget_s)
        return max(0.0, min(self.limit_s, budget + _OVERHEAD_S) - elapsed)

    def run(self) -> None:
        for name in self.order:  # refused and cached ones are known before anything runs
            if name in self.results:
                self.notify(BatchEvent(BatchPhase.FINISHED, self.progress(), student=name, result=self.results[name]))
        last_tick = 0.0
        while self.queue or self.running:
            while self.queue and len(self.running) < self.jobs:
                self.start(self.queue.pop(0))
            now = time.monotonic()
            for run in list(self.running):
                if run.proc.poll() is not None:
                    self.end(run)
                elif now - run.started > self.limit_s:
                    self.end(run, overtime=True)
            if now - last_tick >= _TICK_S:
                last_tick = now
                self.notify(BatchEvent(BatchPhase.TICK, self.progress()))
            time.sleep(_POLL_S)

    def stop_all(self) -> None:
        procs = [r.proc for r in self.running]
        interrupt_groups(procs, STOP_GRACE_S)
        kill_adopted(self.me, self.others)
        for run in self.running:
            shutil.rmtree(run.work, ignore_errors=True)
        self.running.clear()


def _tail(path: Path, limit: int = 300) -> str:
    try:
        lines = clean(path.read_text(encoding="utf-8", errors="replace")).strip().splitlines()
    except OSError:
        return ""
    return lines[-1][:limit] if lines else ""


def _give(folder: Path, user: str) -> None:
    """Hand `folder` and everything in it to `user` (the learner's code runs as that user)."""
    import pwd

    entry = pwd.getpwnam(user)
    for where, dirs, files in os.walk(folder):
        os.chown(where, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(where, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def grade_batch(
    project: Project,
    submissions: list[Submission],
    *,
    out: Path,
    jobs: int | None = None,
    timeout_s: float | None = None,
    memory_mb: int | None = None,
    device: str = "auto",
    curriculum: Path | None = None,
    user: str | None = None,
    on_event: Callable[[BatchEvent], None] | None = None,
) -> BatchResult:
    """Grade every submission against `project`, `jobs` at a time, each in its own process.

    Results go to `out` (reports/, the cache); `gradebook.write_gradebook` writes the
    summaries. With `user` (when running as root), the learner's code runs as that
    user. KeyboardInterrupt (Ctrl-C, or SIGTERM) stops every child, keeps what is
    cached, and propagates.
    """
    from dlpath.grading.grade import check_options
    from dlpath.grading.sandbox import set_child_subreaper

    check_options(project, timeout_s=timeout_s, device=device, memory_mb=memory_mb)
    jobs = default_jobs(project) if jobs is None else jobs
    if jobs < 1:
        raise UsageError("--jobs must be at least 1.")
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; --out names the folder the summaries go to.")
    out.mkdir(parents=True, exist_ok=True)
    batch = _Batch(project, out, jobs=jobs, timeout_s=timeout_s, memory_mb=memory_mb, device=device,
                   curriculum=curriculum, user=user, on_event=on_event)
    batch.plan(submissions)
    batch.home = tempfile.mkdtemp(prefix="dlpath-grade-home-")
    previous = signal.getsignal(signal.SIGTERM)
    subreaper = set_child_subreaper(True)
    try:
        if user:
            _give(Path(batch.home), user)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            batch.run()
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
            try:
                batch.stop_all()
            finally:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        if subreaper:
            set_child_subreaper(False)
        shutil.rmtree(batch.home, ignore_errors=True)
        shutil.rmtree(batch.work_root, ignore_errors=True)
    results = [batch.results[name] for name in batch.order]
    return BatchResult(project, results, out, jobs, timeout_s, memory_mb, device,
                       round(time.monotonic() - batch.started, 3))


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
