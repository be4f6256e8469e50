"""The parent side of a grade: start the learner process and the judge, relay, watch, stop.

    learner process (sandboxed)         parent (this module)            judge (clean interpreter)
    dlpath.grading.harness      <-->    budget, memory cap,     <-->    dlpath.grading.judge
    imports train.py, trains,           relays requests and             hidden test data,
    answers the judge's requests        answers, kills everything       every metric

The parent imports neither torch nor the learner's code. It is single-threaded:
it waits on both channels and on both processes' output with a short timeout,
and between reads enforces:

- the training budget (from the learner's "ready": torch imported, data built,
  until "trained"), then a limit on answering the judge;
- the memory cap: the resident set size (RSS) of every process the learner
  started, read from /proc and summed (and, once that sum is over the cap, the
  proportional set size, so pages a fork shares are counted once); on CPU the
  learner process also caps its own address space, and a failed allocation is
  reported as the same memory verdict, with the peak the parent saw;
- a bounded capture of the learner's output (only the tail is kept).

The learner process may say only what `protocol.LEARNER_SAYS` allows, the judge
only `protocol.JUDGE_SAYS`; anything else stops the grade. Only the judge's
`Result` carries metrics. The hidden test seed and the world seed reach the
judge over its private pipe and never go anywhere else; the learner process
gets its training data from the judge (`PublicData`, relayed once, before it
says "ready"). For `dlpath run` (no test seed) the judge only builds that data.

On every end (result, failure, exit, timeout, memory, Ctrl-C) both process
groups are killed with SIGKILL, with every descendant seen and every orphan the
parent adopted as the child subreaper, and the parent waits until none runs.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dlpath.grading import events
from dlpath.grading import protocol as p
from dlpath.grading.child import ChildInterpreter, OutputTail, scrubbed_environment
from dlpath.grading.processes import group_members, pss_bytes, rss_bytes, signal_name
from dlpath.grading.protocol import Failure, FailureKind, SandboxReport
from dlpath.grading.sources import read_sources

__all__ = ["RunOutcome", "run_grade", "judge_memory_mb", "judge_failure", "answer_paths", "STARTUP_LIMIT_S"]

STARTUP_LIMIT_S = 180.0  # seconds the learner process may take to import torch and receive the data
_POLL_S = 0.25  # seconds between budget and memory checks
_SCAN_S = 1.0  # seconds between scans of /proc for new members of the group
_JUDGE_TAIL = 8_000
_MAX_CURVE_POINTS = 20_000  # logged points kept (the first ones)
_JUDGE_FLOOR_MB = 2048  # the judge's memory cap is at least this, and twice the project's cap


def answer_paths(project: Any, folder: Path) -> list[str]:
    """The reference solutions and graders of every project dlpath can find (this one's root first), which the
    learner's process finds empty in the full sandbox; never a folder that holds the one being graded. What
    answers a project: every variant but the starter (the solution, the naive baseline), the wrong answers an
    exercise folder is proven with, and an exercise folder's grader (whose references the code could call)."""
    from dlpath.grading.exercise_spec import WRONG_DIR
    from dlpath.grading.exercises import GRADING_FILE
    from dlpath.grading.project import VARIANTS
    from dlpath.paths import project_roots

    answers = [v for v in VARIANTS if v != "starter"] + [WRONG_DIR, GRADING_FILE]
    folder = Path(folder).resolve()
    found: list[str] = []
    for root in dict.fromkeys([Path(project.path).parent.resolve(), *(r.resolve() for r in project_roots())]):
        try:
            candidates = [p / name for p in root.iterdir() if p.is_dir() for name in answers]
        except OSError:
            continue
        for path in candidates:
            if (path.is_dir() or path.is_file()) and not path.is_symlink() and not folder.is_relative_to(path):
                found.append(str(path))
    return found


def judge_memory_mb(project: Any) -> int:
    """The judge's memory cap: what it may add to what it holds once the hidden data is built (the project's
    own figure, never the --memory-mb option: that one is the learner's)."""
    return max(_JUDGE_FLOOR_MB, 2 * int(getattr(project, "memory_mb", 0) or 0))


def judge_failure(message: p.JudgeFailed, cap_mb: int) -> Failure | None:
    """The verdict of a judge that failed, when the learner's work caused it (it met its memory cap measuring
    what the learner's code left it, or could not read its answer); None for anything else (a dlpath bug or a
    broken project: exit 2)."""
    if message.unreadable_answer:
        return Failure(kind=FailureKind.PROTOCOL, message=str(message.message)[:300], stage="evaluate")
    if not message.out_of_memory:
        return None
    return Failure(kind=FailureKind.JUDGE_MEMORY, message=str(message.message)[:300], stage="evaluate",
                   memory_mb=cap_mb)



@dataclass
class RunOutcome:
    """What happened, before any threshold is compared."""

    curves: list[dict] = field(default_factory=list)  #: the learner's log(...) calls, in order
    observation: dict | None = None  #: the watch's Observation as JSON (advice only)
    metrics: dict[str, float] | None = None  #: the judge's metrics, when it finished
    facts: dict | None = None  #: the judge's facts
    failure: Failure | None = None  #: how the learner's run ended early; None when it did not
    environment: str | None = None  #: why grading could not happen at all (exit status 2)
    device: str | None = None  #: the device the learner trained on
    sandbox: SandboxReport = field(default_factory=SandboxReport)
    output_tail: str = ""  #: the last lines the learner's code printed
    output_bytes: int = 0  #: how much it printed in all
    duration_s: float = 0.0  #: wall time from start to end
    training_s: float = 0.0  #: wall time of training (from "ready" to "trained", or to the end)
    peak_mb: float = 0.0  #: the most memory the learner's processes were seen to use
    trained: bool = False


class _Grade:
    """One grade's processes and state; `run()` drives the event loop."""

    def __init__(self, project: Any, folder: Path, *, budget_s: float, memory_mb: int, device: str,
                 test_seed: int | None, world_seed: int | None, on_event: events.OnEvent | None, sandbox: bool,
                 observe: bool) -> None:
        self.project, self.folder = project, folder
        self.budget_s, self.memory_mb = budget_s, memory_mb
        self.cap = memory_mb * 2**20
        self.eval_limit_s = 60.0 + 0.5 * budget_s
        self.notify = on_event or (lambda event: None)
        self.outcome = RunOutcome()
        self.started = time.monotonic()
        self.ready_at: float | None = None
        self.trained_at: float | None = None
        self.go_sent = False
        self.judge_ready = False
        self.measuring = test_seed is not None  #: False for `dlpath run`: training only
        self.public_sent = False
        self.done = False
        self.pending_request: int | None = None
        self.me = os.getpid()
        self.preexisting = frozenset(pid for pid in group_members(-1, adopted_by=self.me))  # not the learner's
        self.seen: set[int] = set()
        self.current: set[int] = set()
        self.scanned_at = 0.0
        self.learner_tail = OutputTail()
        self.judge_tail = OutputTail(_JUDGE_TAIL)
        self.temp = tempfile.mkdtemp(prefix="dlpath-grade-")
        learner_tmp = os.path.join(self.temp, "learner")
        judge_dir = os.path.join(self.temp, "judge")
        os.makedirs(learner_tmp)
        os.makedirs(judge_dir)
        env = scrubbed_environment(learner_tmp)
        processes = int(getattr(getattr(project, "requires", None), "processes", 1) or 1)
        from dlpath.grading.sandbox import private_dirs
        from dlpath.grading.tasks import TASKS

        hidden = private_dirs()
        kind = TASKS.get(project.task)
        # read before the learner's code runs: a file can rewrite itself while it trains
        sources = read_sources(folder).to_json() if self.measuring and getattr(kind, "reads_sources", False) else {}
        self.judge_cap = judge_memory_mb(project)
        self.judge = ChildInterpreter("judge", judge_dir, scrubbed_environment(judge_dir), self.judge_tail)
        self.judge.queue(p.encode(p.JudgeConfig(
            project_path=str(project.path), folder=str(folder), public_seed=int(project.public_seed),
            test_seed=int(test_seed or 0), world_seed=world_seed, measure=self.measuring, memory_mb=self.judge_cap,
            sources=sources)))
        self.learner = ChildInterpreter("harness", str(folder), env, self.learner_tail)
        self.seen.add(self.learner.pid)
        self.learner.queue(p.encode(p.LearnerConfig(
            folder=str(folder), task=str(project.task), device=device,
            public_seed=int(project.public_seed), memory_mb=int(memory_mb), temp_dir=learner_tmp,
            sandbox=sandbox, observe=observe, processes=processes, private_dirs=hidden,
            shown=[str(project.path)], answers=answer_paths(project, folder))))
        self.loader: ChildInterpreter | None = None
        self.loader_pending: int | None = None
        self.inspects = self.measuring and getattr(kind, "uses_loader", False)

        if self.inspects:
            loader_dir = os.path.join(self.temp, "loader")
            os.makedirs(loader_dir)
            self.loader = ChildInterpreter("harness", loader_dir, scrubbed_environment(loader_dir), OutputTail(_JUDGE_TAIL))
            self.loader.queue(p.encode(p.LearnerConfig(
                folder=str(folder), task=str(project.task), device=device,
                public_seed=int(project.public_seed), memory_mb=int(memory_mb), temp_dir=loader_dir,
                sandbox=sandbox, observe=False, processes=1, role="loader", private_dirs=hidden,
                shown=[str(project.path)])))

    # ------------------------------------------------------------------ endings

    def fail(self, kind: FailureKind, message: str, **extra: Any) -> None:
        if not self.done:
            self.outcome.failure = Failure(kind=kind, message=message, **extra)
            self.done = True

    def environment(self, message: str) -> None:
        if not self.done:
            self.outcome.environment = message
            self.done = True

    # ------------------------------------------------------------------ messages

    def from_learner(self, raw: bytes, header: dict, body: bytes) -> None:
        tag = p.peek_tag(header)
        if tag not in p.LEARNER_SAYS:
            self.fail(FailureKind.PROTOCOL, f"your process sent a {tag!r} message, which only the grader may send")
            return
        try:
            message = p.decode(header)
        except p.ProtocolError as exc:
            self.fail(FailureKind.PROTOCOL, f"your process sent a malformed message ({exc})")
            return
        if isinstance(message, p.Ready) and self.ready_at is None:
            self.ready_at = time.monotonic()
            self.outcome.device = str(message.device)
            self.outcome.sandbox = replace(SandboxReport.from_json(message.sandbox),
                                           judge_memory_mb=self.judge_cap if self.judge is not None else 0,
                                           files_inspected=self.inspects)
            self.notify(events.Started(self.outcome.device, self.outcome.sandbox.level))
        elif isinstance(message, p.Log):
            values = {str(k)[:60]: v for k, v in message.values.items()
                      if isinstance(v, (int, float, str)) and not isinstance(v, bool)}
            if len(self.outcome.curves) < _MAX_CURVE_POINTS:
                self.outcome.curves.append(values)
            self.notify(events.Logged(values))
        elif isinstance(message, p.Telemetry):
            self.outcome.observation = message.observation
        elif isinstance(message, p.Trained) and self.trained_at is None and self.ready_at is not None:
            self.trained_at = time.monotonic()
            self.outcome.trained = True
            self.notify(events.TrainingDone())
            if not self.measuring:
                self.done = True
        elif isinstance(message, p.Answer):
            if not self.measuring or self.pending_request != message.id:
                self.fail(FailureKind.PROTOCOL, "your process sent an answer nobody asked for")
                return
            self.pending_request = None
            self.judge.queue(raw)
        elif isinstance(message, p.Failed):
            if message.environment:
                self.environment(str(message.environment)[:2000])
                return
            failure = p.failure_from_json(message.failure)
            if message.trace:
                self.learner_tail.add(("\n" + str(message.trace)[-4000:]).encode())
            if failure.kind is FailureKind.MEMORY:
                failure = _with(failure, memory_mb=self.memory_mb)
            self.outcome.failure = failure
            self.done = True

    def from_judge(self, raw: bytes, header: dict, body: bytes) -> None:
        tag = p.peek_tag(header)
        try:
            if tag not in p.JUDGE_SAYS:
                raise p.ProtocolError(f"the judge sent {tag!r}")
            message = p.decode(header)
        except p.ProtocolError as exc:
            self.environment(f"the judge broke the protocol ({exc}); this is a dlpath bug")
            return
        if isinstance(message, p.PublicData):
            if self.public_sent:
                self.environment("the judge sent the training data twice; this is a dlpath bug")
                return
            self.public_sent = True
            self.learner.queue(raw)
        elif isinstance(message, p.JudgeReady):
            self.judge_ready = True
        elif isinstance(message, p.Request) and message.target == "loader":
            if self.loader is None or self.loader.proc.poll() is not None:
                self._loader_gone(message.id, "the loader process is not running")
            else:
                self.loader_pending = message.id
                self.loader.queue(raw)
        elif isinstance(message, p.Request):
            self.pending_request = message.id
            self.learner.queue(raw)
        elif isinstance(message, p.Result):
            self.outcome.metrics = {str(k): float(v) for k, v in message.metrics.items()
                                    if isinstance(v, (int, float)) and not isinstance(v, bool)}
            self.outcome.facts = dict(message.facts)
            self.done = True
        elif isinstance(message, p.JudgeFailed):
            failure = judge_failure(message, self.judge_cap)
            if failure is not None:
                self.fail(failure.kind, failure.message, stage=failure.stage, memory_mb=failure.memory_mb)
            else:
                self.environment(f"the grader's judge failed: {str(message.message)[:3000]}")

    def from_loader(self, raw: bytes, header: dict, body: bytes) -> None:
        """The loader may only say Ready, Answer or Failed; whatever goes wrong there is an answer's error
        for the judge (the learner's saved file did not load), not the end of the grade."""
        tag = p.peek_tag(header)
        try:
            message = p.decode(header)
        except p.ProtocolError:
            message = None
        if isinstance(message, p.Answer) and message.id == self.loader_pending:
            self.loader_pending = None
            self.judge.queue(raw)
        elif isinstance(message, p.Failed) and self.loader_pending is not None:
            failure = p.failure_from_json(message.failure) if message.failure else None
            self._loader_gone(self.loader_pending, message.environment or (failure.verdict() if failure else "failed"))
        elif tag not in (p.Ready.tag, p.Answer.tag, p.Failed.tag) and self.loader_pending is not None:
            self._loader_gone(self.loader_pending, f"the loader sent {tag!r}")

    def _loader_gone(self, request: int, why: str) -> None:
        self.judge.queue(p.encode(p.Answer(id=request, error=f"loading your saved file failed: {why}")))
        self.loader_pending = None

    # ------------------------------------------------------------------ the loop

    def members(self) -> set[int]:
        exclude = frozenset(proc.pid for proc in (self.judge, self.loader) if proc is not None) | self.preexisting
        found = group_members(self.learner.pid, self.seen, adopted_by=self.me, exclude=exclude)
        self.seen |= found
        self.current = found
        self.scanned_at = time.monotonic()
        return found

    def memory(self) -> int:
        if time.monotonic() - self.scanned_at >= _SCAN_S:
            self.members()
        rss = sum(rss_bytes(pid) for pid in self.current)
        if rss <= self.cap:
            return rss
        return sum(pss_bytes(pid) for pid in self.members())

    def run(self) -> RunOutcome:
        selector = selectors.DefaultSelector()
        procs = [("learner", self.learner), ("judge", self.judge)] + (
            [("loader", self.loader)] if self.loader else [])
        for name, proc in procs:
            selector.register(proc.from_r, selectors.EVENT_READ, (name, "channel"))
            selector.register(proc.out_fd, selectors.EVENT_READ, (name, "output"))
        last_check = 0.0
        writers: set[int] = set()
        try:
            while not self.done:
                for name, proc in procs:
                    proc.flush()
                    # A frame larger than a pipe holds goes out in pieces: wake up as soon as the
                    # process has read some, rather than at the next poll.
                    waiting = proc.to_w in writers
                    if proc.outbox and not waiting:
                        selector.register(proc.to_w, selectors.EVENT_WRITE, (name, "input"))
                        writers.add(proc.to_w)
                    elif not proc.outbox and waiting:
                        selector.unregister(proc.to_w)
                        writers.discard(proc.to_w)
                for key, _ in selector.select(timeout=_POLL_S):
                    name, what = key.data
                    proc = {"learner": self.learner, "judge": self.judge, "loader": self.loader}[name]
                    assert proc is not None
                    if what == "input":
                        proc.flush()
                        continue
                    if what == "output":
                        if not proc.read_output():
                            selector.unregister(key.fd)
                        continue
                    self._read(name, proc, selector, key.fd)
                    if self.done:
                        break
                if self.done:
                    break
                if (self.trained_at is not None and self.measuring and self.judge_ready
                        and not self.go_sent):
                    self.go_sent = True
                    self.judge.queue(p.encode(p.Go()))
                    self.notify(events.Evaluating())
                self._check_processes()
                if self.done:
                    break
                now = time.monotonic()
                self._check_time(now)
                if not self.done and self.ready_at is not None and now - last_check >= _POLL_S:
                    last_check = now
                    self._check_memory(now)
        finally:
            selector.close()
        return self.outcome

    def _read(self, name: str, proc: ChildInterpreter, selector: selectors.BaseSelector, fd: int) -> None:
        try:
            frames = proc.read_channel()
        except p.ProtocolError as exc:
            if name == "loader":
                selector.unregister(fd)
                if self.loader_pending is not None:
                    self._loader_gone(self.loader_pending, f"it wrote garbage on its channel ({exc})")
                return
            if name == "learner":
                self.fail(FailureKind.PROTOCOL, f"your process wrote garbage on the grader's channel ({exc})")
            else:
                self.environment(f"the judge broke the protocol ({exc}); this is a dlpath bug")
            return
        if frames is None:
            selector.unregister(fd)
            return
        handler = {"learner": self.from_learner, "judge": self.from_judge, "loader": self.from_loader}[name]
        for raw, header, body in frames:
            handler(raw, header, body)
            if self.done:
                return
        if not proc.open["channel"]:
            selector.unregister(fd)

    def _check_processes(self) -> None:
        if self.loader is not None and self.loader_pending is not None and self.loader.proc.poll() is not None:
            for raw, header, body in self.loader.read_channel() or []:
                self.from_loader(raw, header, body)
            if self.loader_pending is not None:
                code = self.loader.proc.returncode
                what = f"killed by {signal_name(-code)}" if code < 0 else f"exit status {code}"
                self._loader_gone(self.loader_pending, f"its process ended ({what})")
        code = self.learner.proc.poll()
        if code is not None:
            for frames in (self.learner.read_channel() or [],):
                for raw, header, body in frames:
                    self.from_learner(raw, header, body)
            self.learner.read_output()
            if self.done:
                return
            if code < 0:
                self.fail(FailureKind.SIGNAL, f"the process was killed by {signal_name(-code)}",
                          signal=signal_name(-code))
            elif self.trained_at is not None:
                self.fail(FailureKind.NO_RESULT, f"the process ended (exit status {code}) while the grader "
                                                 "evaluated the model, without a result", exit_status=code)
            else:
                self.fail(FailureKind.EXIT, f"the process ended with exit status {code} before training finished",
                          exit_status=code)
            return
        if self.judge.proc.poll() is not None:
            frames = self.judge.read_channel() or []
            for raw, header, body in frames:
                self.from_judge(raw, header, body)
            if not self.done:
                self.judge.read_output()
                last = self.judge_tail.text().strip().splitlines()[-3:]
                self.environment("the grader's judge stopped unexpectedly" + (f": {' | '.join(last)}" if last else ""))

    def _check_time(self, now: float) -> None:
        if self.ready_at is None:
            if now - self.started > STARTUP_LIMIT_S:
                self.environment(f"the learner's process did not start within {STARTUP_LIMIT_S:.0f} s "
                                 "(importing torch and receiving its training data from the judge).")
            return
        if self.trained_at is None:
            elapsed = now - self.ready_at
            if elapsed > self.budget_s:
                self.fail(FailureKind.TIMEOUT, f"stopped after the {self.budget_s:g} s budget", budget_s=self.budget_s)
            else:
                self.notify(events.Tick(elapsed, self.budget_s, self.outcome.peak_mb))
        elif now - self.trained_at > self.eval_limit_s + (0 if self.judge_ready else STARTUP_LIMIT_S):
            self.fail(FailureKind.EVAL_TIMEOUT, f"no answer within {self.eval_limit_s:g} s")

    def _check_memory(self, now: float) -> None:
        used = self.memory()
        self.outcome.peak_mb = max(self.outcome.peak_mb, used / 2**20)
        if used > self.cap:
            self.fail(FailureKind.MEMORY, f"your code used more than the {self.memory_mb} MB memory cap",
                      memory_mb=self.memory_mb, peak_mb=round(used / 2**20, 1))

    # ------------------------------------------------------------------ the end

    def kill_all(self) -> None:
        """SIGKILL both groups, every descendant seen and every adopted orphan; wait until none runs."""
        deadline = time.monotonic() + 5.0
        procs = [proc for proc in (self.learner, self.judge, self.loader) if proc is not None]
        while True:
            alive = self.members()
            for proc in procs:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            for proc in procs:
                if proc.proc.poll() is None:
                    try:
                        proc.proc.wait(timeout=0.5)
                    except subprocess.TimeoutExpired:
                        pass
            self._reap_adopted()
            if (not alive and all(proc.proc.poll() is not None for proc in procs)) or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        for proc in procs:
            proc.read_output()
            proc.close()

    def _reap_adopted(self) -> None:
        """Collect the orphans this process adopted as subreaper (never our own Popen children)."""
        ours = {proc.pid for proc in (self.learner, self.judge, self.loader) if proc is not None}
        for pid in list(self.seen - ours):
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            except OSError:
                pass

    def finish(self) -> RunOutcome:
        out = self.outcome
        end = time.monotonic()
        out.duration_s = end - self.started
        if self.ready_at is not None:
            out.training_s = (self.trained_at or end) - self.ready_at
        out.output_tail = self.learner_tail.text()
        out.output_bytes = self.learner_tail.total
        shutil.rmtree(self.temp, ignore_errors=True)
        failure = out.failure
        if failure is not None and failure.kind in (FailureKind.EXIT, FailureKind.SIGNAL, FailureKind.RAISED,
                                                    FailureKind.NO_RESULT) and out.peak_mb >= 0.9 * self.memory_mb:
            out.failure = _with(failure, kind=FailureKind.MEMORY, memory_mb=self.memory_mb,
                                message=f"your code used more than the {self.memory_mb} MB memory cap")
        if out.failure is not None and out.failure.kind is FailureKind.MEMORY:
            out.failure = _with(out.failure, memory_mb=self.memory_mb,
                                peak_mb=max(out.failure.peak_mb or 0.0, round(out.peak_mb, 1)) or None)
        if self.measuring and out.environment is None and out.failure is None and out.metrics is None:
            out.environment = "the grade ended without a result from the judge"
        return out


def _with(failure: Failure, **changes: Any) -> Failure:
    return replace(failure, **changes)


def run_grade(
    project: Any,
    folder: Path,
    *,
    budget_s: float,
    memory_mb: int,
    device: str,
    test_seed: int | None,
    world_seed: int | None,
    on_event: events.OnEvent | None = None,
    sandbox: bool = True,
    observe: bool = True,
) -> RunOutcome:
    """Train the learner's code in `folder` in a sandboxed process and, with a `test_seed`, have the
    judge evaluate it. Without a test seed (`dlpath run`), training alone runs. The judge builds the
    training data in the world `world_seed` (None: the world the project publishes).

    `on_event(event)` is called with the events of `dlpath.grading.events` (a `Tick` about four
    times a second while training runs). KeyboardInterrupt kills every process and propagates.
    """
    from dlpath.grading.sandbox import set_child_subreaper, set_dumpable

    subreaper = set_child_subreaper(True)
    set_dumpable(False)
    grade = _Grade(project, folder, budget_s=budget_s, memory_mb=memory_mb, device=device, test_seed=test_seed,
                   world_seed=world_seed, on_event=on_event, sandbox=sandbox, observe=observe)
    try:
        grade.run()
    finally:
        grade.kill_all()
        if subreaper:
            set_child_subreaper(False)
        set_dumpable(True)
    return grade.finish()
