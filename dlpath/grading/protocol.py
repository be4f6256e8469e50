"""The typed conversation of a grade: who says what to whom, and how it travels.

Three processes take part (see `dlpath.grading.runner` for the whole picture):

    learner process  <-- pipes -->  parent (the CLI)  <-- pipes -->  judge
    (the learner's code,            (budget, memory,                 (clean interpreter:
     sandboxed)                      relays, records)                 hidden data, metrics)

The learner process and the judge never talk directly: the parent relays the
judge's requests to the learner process and the answers back, and reads the
type of each message, never the tensors inside (it does not import torch).

Messages travel as frames: an 8-byte prefix (the lengths of the header and of
the body, big-endian), a JSON header naming the message (`"t"`) and its
fields, then a body of raw tensor bytes that the header's `tensors` entries
point into (dtype, shape, offset, size). Nothing is ever unpickled: a tensor
is rebuilt from its bytes with an allow-listed dtype (`decode_tensors`).

What each side may say is fixed here:

    parent -> learner   LearnerConfig, PublicData (relayed), Request (relayed), Finish
    learner -> parent   Ready, Log, Telemetry, Trained, Answer, Failed
    parent -> loader    LearnerConfig (role "loader"), Request (relayed), Finish
    loader -> parent    Ready, Answer, Failed
    parent -> judge     JudgeConfig, Go, Answer (relayed), LearnerGone
    judge -> parent     PublicData, JudgeReady, Request, Result, JudgeFailed

The learner's training data comes from the judge (`PublicData`): the learner
process never imports the data generators, and the world they draw from is
chosen by a seed that only the judge holds (`JudgeConfig.world_seed`).

Nothing the learner process sends is a metric or a verdict: the parent
believes only the judge's `Result`. Logged curves and telemetry feed the
report and the mentor's advice, never the grade.
"""

from __future__ import annotations

import enum
import json
import math
import struct
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Mapping

from dlpath.jsonable import nested_deeper_than

__all__ = [
    "MAX_FRAME",
    "FailureKind",
    "Failure",
    "SandboxReport",
    "LearnerConfig",
    "JudgeConfig",
    "PublicData",
    "Ready",
    "Log",
    "Telemetry",
    "Trained",
    "Request",
    "Answer",
    "Failed",
    "Finish",
    "Go",
    "LearnerGone",
    "JudgeReady",
    "Result",
    "JudgeFailed",
    "Message",
    "encode",
    "FrameReader",
    "decode",
    "peek_tag",
    "ProtocolError",
    "Curves",
    "Series",
    "LEARNER_SAYS",
    "JUDGE_SAYS",
]

MAX_FRAME = 512 * 2**20  #: bytes of one frame (header and body); a larger one is refused
_PREFIX = struct.Struct(">II")
_MAX_NESTING = 64  # levels of lists and dicts in a frame header (the deepest message nests about ten)


class ProtocolError(Exception):
    """A frame that is not one of the messages this side may receive."""


# ------------------------------------------------------------------ failures


class FailureKind(str, enum.Enum):
    """How a grade ended before the judge could measure; each kind owns its verdict and its diagnosis code."""

    TIMEOUT = "timeout"  #: the training budget ran out
    MEMORY = "memory"  #: the memory cap was exceeded (measured by the parent, or an allocation failed)
    RAISED = "exception"  #: the learner's code raised
    CONTRACT = "contract"  #: train.py does not follow the task's contract
    EXIT = "exit"  #: the learner's code ended the process (sys.exit, os._exit, a non-zero status)
    SIGNAL = "signal"  #: the process was killed by a signal (a crash in native code, an abort)
    NO_RESULT = "no-result"  #: the process ended while the judge was still asking for outputs
    EVAL_TIMEOUT = "eval-timeout"  #: answering the judge took longer than allowed
    PROTOCOL = "protocol"  #: the learner process sent something it may not send
    JUDGE_MEMORY = "judge-memory"  #: measuring the learner's work took the judge past its memory cap

    @property
    def code(self) -> str:
        """The diagnosis code this kind of failure is explained by (`dlpath.grading.diagnose`)."""
        return _FAILURE_CODES[self]


_FAILURE_CODES = {
    FailureKind.TIMEOUT: "budget-exhausted",
    FailureKind.MEMORY: "out-of-memory",
    FailureKind.RAISED: "crashed",
    FailureKind.CONTRACT: "contract-broken",
    FailureKind.EXIT: "exited-early",
    FailureKind.SIGNAL: "killed-by-signal",
    FailureKind.NO_RESULT: "no-result",
    FailureKind.EVAL_TIMEOUT: "evaluation-too-slow",
    FailureKind.PROTOCOL: "no-result",
    FailureKind.JUDGE_MEMORY: "judge-out-of-memory",
}


@dataclass(frozen=True)
class Failure:
    """How the learner's run ended early, with what the learner needs to find the cause."""

    kind: FailureKind
    message: str = ""  #: one or more lines; the first is shown in the verdict
    exc_type: str | None = None  #: the exception's class name, when the learner's code raised
    file: str | None = None  #: the learner's file where it happened (relative to the project folder)
    line: int | None = None
    stage: str = "train"  #: "import", "train" or "evaluate"
    budget_s: float | None = None  #: for TIMEOUT: the budget that ran out
    signal: str | None = None  #: for SIGNAL: SIGSEGV, SIGABRT, ...
    exit_status: int | None = None  #: for EXIT: the process's exit status
    memory_mb: int | None = None  #: for MEMORY: the cap
    peak_mb: float | None = None  #: for MEMORY: the most the parent saw the learner's processes use
    requested_mb: float | None = None  #: for MEMORY: the size of an allocation that failed, if known

    def verdict(self) -> str:
        """The verdict in one sentence."""
        return _verdict(self)

    @property
    def where(self) -> str:
        if self.file:
            return f" at {self.file}:{self.line}" if self.line else f" in {self.file}"
        return ""


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _mb(value: float) -> str:
    return f"{value / 1024:.1f} GB" if value >= 10_240 else f"{value:.0f} MB"


def _verdict(f: Failure) -> str:
    first = _first_line(f.message)
    kind = f.kind
    if kind is FailureKind.TIMEOUT:
        return f"stopped after the {f.budget_s or 0:g} s budget"
    if kind is FailureKind.MEMORY:
        cap = f"the {f.memory_mb} MB memory cap" if f.memory_mb else "the memory cap"
        if f.requested_mb is not None:
            return (f"stopped: your code asked for {_mb(f.requested_mb)} at once{f.where}, more than {cap} allows")
        peak = f" (peak {_mb(f.peak_mb)})" if f.peak_mb else ""
        return f"stopped: your code used more than {cap}{peak}{f.where}"
    if kind is FailureKind.RAISED:
        what = "evaluating your model raised" if f.stage == "evaluate" else "your code raised"
        exc = f.exc_type or "an exception"
        return f"{what} {exc}{f.where}: {first}" if first else f"{what} {exc}{f.where}"
    if kind is FailureKind.CONTRACT:
        return f"train.py does not follow the contract: {first}"
    if kind is FailureKind.EXIT:
        if first.startswith("sys.exit("):
            return f"your code called {first}{f.where} before grading finished"
        return f"your code ended the process early: {first}" if first else "your code ended the process early"
    if kind is FailureKind.SIGNAL:
        name = f.signal or ""
        if name == "SIGABRT":
            return "the process aborted (SIGABRT) before grading finished: an os.abort() or a crash in native code"
        if name == "SIGSEGV":
            return "the process crashed with a segmentation fault (SIGSEGV) before grading finished"
        if name == "SIGKILL":
            return "the process was killed (SIGKILL) before grading finished"
        return f"the process was stopped by {name or 'a signal'} before grading finished"
    if kind is FailureKind.NO_RESULT:
        return f"training finished, but {first}" if first else "training finished, but no result came back"
    if kind is FailureKind.EVAL_TIMEOUT:
        return f"training finished, but answering the grader took too long ({first})" if first else (
            "training finished, but answering the grader took too long")
    if kind is FailureKind.PROTOCOL:
        return f"the grader stopped your process: {first}" if first else "the grader stopped your process"
    if kind is FailureKind.JUDGE_MEMORY:
        cap = f"the judge's {f.memory_mb} MB" if f.memory_mb else "the judge's memory cap"
        return (f"stopped: measuring your work needed more than {cap} (what your code left for it to read or "
                "replay is far larger than the task needs)")
    return first or "grading stopped early"  # pragma: no cover - every kind is handled above


# ------------------------------------------------------------------ sandbox


@dataclass(frozen=True)
class SandboxReport:
    """Which defences were active around the grade: the sandbox's layers around the learner's process (`level`
    full when all five hold, partial when some do, none), the judge's memory cap, and whether files the grader
    loads were inspected first. `why` says what is missing and why."""

    level: str = "none"  #: "full" | "partial" | "none"
    why: str = ""  #: one sentence: what is in place, and what is missing and why
    filesystem: bool = False  #: writes limited to the project folder and a private temporary folder (Landlock)
    network: bool = False  #: no network (a network namespace, or Landlock's TCP rules)
    processes: bool = False  #: a private process namespace (the learner sees only its own processes)
    signals: bool = False  #: no signal nor trace reaches a process outside (the namespace, or Landlock's scopes)
    sockets: bool = False  #: the user's session daemons (tmux, D-Bus, agents, docker) cannot be reached
    judge_memory_mb: int = 0  #: the judge's memory cap (0: no judge)
    files_inspected: bool = False  #: a file the grader loads (an exported model) is inspected before loading
    generators_hidden: bool = False  #: dlpath's data generators hidden from the learner's process (an empty mount)

    LAYERS: ClassVar[tuple[str, ...]] = ("filesystem", "network", "processes", "signals", "sockets")

    @classmethod
    def from_json(cls, data: Any) -> SandboxReport:
        if not isinstance(data, Mapping):
            return cls(why="the learner process did not say")
        level = data.get("level") if data.get("level") in ("full", "partial", "none") else "none"
        cap = data.get("judge_memory_mb")
        return cls(level=level, why=str(data.get("why", ""))[:300],
                   **{layer: data.get(layer) is True for layer in cls.LAYERS},
                   judge_memory_mb=cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else 0,
                   files_inspected=data.get("files_inspected") is True,
                   generators_hidden=data.get("generators_hidden") is True)


# ------------------------------------------------------------------ curves


@dataclass(frozen=True)
class Series:
    """One logged quantity: its name, whether it is a loss or a metric, and its (x, y) points in order."""

    name: str
    kind: str  #: "loss" or "metric"
    points: tuple[tuple[float, float], ...]

    @property
    def values(self) -> list[float]:
        return [y for _, y in self.points]

    @property
    def finite(self) -> list[tuple[float, float]]:
        return [(x, y) for x, y in self.points if math.isfinite(x) and math.isfinite(y)]


_X_KEYS = ("epoch", "step", "iteration", "batch")


@dataclass(frozen=True)
class Curves:
    """The learner's `log(...)` calls as series against one x axis (the first of epoch, step,
    iteration, batch that was logged, else the order of the calls). The report and the
    diagnoses read the same object, so they never disagree about the axis."""

    x: str | None
    series: tuple[Series, ...]

    @classmethod
    def from_points(cls, points: list[Mapping[str, Any]]) -> Curves:
        points = [p for p in points if isinstance(p, Mapping)]
        x_key = next((k for k in _X_KEYS if any(_is_number(p.get(k)) for p in points)), None)
        names: list[str] = []
        for point in points:
            for key, value in point.items():
                if key != x_key and key not in names and _is_number(value):
                    names.append(key)
        series = []
        for name in names:
            pts = []
            for i, point in enumerate(points):
                value = point.get(name)
                if not _is_number(value):
                    continue
                x = point.get(x_key) if x_key else None
                pts.append((float(x) if _is_number(x) else float(i), float(value)))
            series.append(Series(name, "loss" if "loss" in name.lower() else "metric", tuple(pts)))
        return cls(x_key, tuple(series))

    def get(self, name: str) -> Series | None:
        return next((s for s in self.series if s.name == name), None)

    def points(self, name: str) -> list[tuple[float, float]]:
        found = self.get(name)
        return list(found.points) if found else []

    @property
    def training_loss(self) -> Series | None:
        """The series that tracks the training loss (`train_loss`, else `loss`), if one was logged."""
        return self.get("train_loss") or self.get("loss")

    def __bool__(self) -> bool:
        return bool(self.series)

    def to_json(self) -> dict[str, Any]:
        return {"x": self.x, "series": [{"name": s.name, "kind": s.kind, "points": [list(p) for p in s.points]}
                                        for s in self.series]}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ------------------------------------------------------------------ messages


@dataclass(frozen=True)
class Message:
    """Base of every message; `tag` names it on the wire."""

    tag: ClassVar[str] = ""

    def header(self) -> dict[str, Any]:
        out = {"t": self.tag}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.value if isinstance(value, enum.Enum) else (
                asdict(value) if hasattr(value, "__dataclass_fields__") else value)
        return out


@dataclass(frozen=True)
class LearnerConfig(Message):
    """What the learner process needs to train (no secret: the hidden seed never goes there)."""

    tag: ClassVar[str] = "config"
    folder: str  #: the project folder (the only place the learner may write, with a private temp folder)
    task: str  #: the project's task kind (the process never reads project.yaml: the judge builds its data)
    device: str  #: "auto", "cpu" or "cuda"
    public_seed: int
    memory_mb: int
    temp_dir: str  #: the private temporary folder
    sandbox: bool = True  #: False with --no-sandbox
    observe: bool = True  #: watch the training for the mentor (hooks); False for benchmarks
    processes: int = 1  #: learner processes the project asks for
    role: str = "learner"  #: "learner" (imports train.py, trains) or "loader" (never imports it: loads a saved file)
    private_dirs: list = field(default_factory=list)  #: folders replaced by empty ones in the sandbox (sockets)
    shown: list = field(default_factory=list)  #: paths bound back into them (the project's folder: its backbone)
    answers: list = field(default_factory=list)  #: reference solutions and exercise graders, found empty there


@dataclass(frozen=True)
class JudgeConfig(Message):
    """What the judge needs: the hidden seeds travel only here."""

    tag: ClassVar[str] = "judge-config"
    project_path: str
    folder: str  #: the learner's folder: the judge may read its files, never import them
    public_seed: int
    test_seed: int
    device: str = "cpu"
    memory_mb: int = 0  #: the judge's own memory cap, from the moment the hidden data is built (0: none)
    world_seed: int | None = None  #: the world the data come from: secret in a grade; None: the published one
    measure: bool = True  #: False for `dlpath run`: the judge builds and sends the public data, and no more
    sources: dict = field(default_factory=dict)
    #: the learner's Python files, read by the parent before the learner's code ran (`grading.sources.Sources`
    #: as JSON), for a task that `reads_sources`; empty otherwise


@dataclass(frozen=True)
class PublicData(Message):
    """The learner's training data, built by the judge: the task's `public_type`, its tensor fields in the
    frame's body and the others (`info`, texts) in `values` (see `Task.pack_public`)."""

    tag: ClassVar[str] = "public-data"
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Ready(Message):
    """The learner process has imported torch and built the training data: the budget starts."""

    tag: ClassVar[str] = "ready"
    device: str = "cpu"
    torch: str = ""
    sandbox: dict = field(default_factory=dict)  #: a SandboxReport as JSON


@dataclass(frozen=True)
class Log(Message):
    """One `log(...)` call of the learner: numbers (or short texts) by name."""

    tag: ClassVar[str] = "log"
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Telemetry(Message):
    """What the harness observed while the learner trained (advice only, never the grade)."""

    tag: ClassVar[str] = "telemetry"
    observation: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Trained(Message):
    """`train` returned."""

    tag: ClassVar[str] = "trained"


@dataclass(frozen=True)
class Request(Message):
    """The judge asks the learner process for something (outputs on inputs, an answer to a query)."""

    tag: ClassVar[str] = "request"
    id: int = 0
    name: str = ""
    values: dict = field(default_factory=dict)  #: JSON values; tensors travel in the frame's body
    target: str = "learner"  #: "learner", or "loader": a fresh process that never imported the learner's code


@dataclass(frozen=True)
class Answer(Message):
    """The learner process answers a request (or says why it could not: `error`)."""

    tag: ClassVar[str] = "answer"
    id: int = 0
    values: dict = field(default_factory=dict)
    error: str | None = None  #: the learner's code raised while answering (a short text)


@dataclass(frozen=True)
class Failed(Message):
    """The learner process stopped early; `failure` says how (a Failure as JSON)."""

    tag: ClassVar[str] = "failed"
    failure: dict = field(default_factory=dict)
    environment: str | None = None  #: set when the cause is the machine, not the learner (exit status 2)
    trace: str = ""  #: the traceback from the learner's own code on


@dataclass(frozen=True)
class Finish(Message):
    """The parent is done with the learner process."""

    tag: ClassVar[str] = "finish"


@dataclass(frozen=True)
class Go(Message):
    """Training is over: the judge may start asking."""

    tag: ClassVar[str] = "go"


@dataclass(frozen=True)
class LearnerGone(Message):
    """The learner process stopped while the judge was asking."""

    tag: ClassVar[str] = "gone"


@dataclass(frozen=True)
class JudgeReady(Message):
    """The judge has built the hidden data and waits for `Go`."""

    tag: ClassVar[str] = "judge-ready"


@dataclass(frozen=True)
class Result(Message):
    """The judge's measurements: every metric, and the facts diagnoses read."""

    tag: ClassVar[str] = "result"
    metrics: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class JudgeFailed(Message):
    """The judge could not do its work (a dlpath bug or a broken project: exit status 2)."""

    tag: ClassVar[str] = "judge-failed"
    message: str = ""
    out_of_memory: bool = False  #: the judge met its memory cap measuring what the learner's code left it
    unreadable_answer: bool = False  #: what the learner's process answered could not be read (a bad tensor index)


_TYPES: dict[str, type[Message]] = {
    cls.tag: cls
    for cls in (LearnerConfig, JudgeConfig, PublicData, Ready, Log, Telemetry, Trained, Request, Answer, Failed,
                Finish, Go, LearnerGone, JudgeReady, Result, JudgeFailed)
}

#: What the parent accepts from each side; anything else is a protocol violation.
LEARNER_SAYS = frozenset({Ready.tag, Log.tag, Telemetry.tag, Trained.tag, Answer.tag, Failed.tag})
JUDGE_SAYS = frozenset({PublicData.tag, JudgeReady.tag, Request.tag, Result.tag, JudgeFailed.tag})


# ------------------------------------------------------------------ frames


def encode(message: Message, body: bytes = b"", tensors: dict | None = None) -> bytes:
    """One frame: the message's header (plus the `tensors` index into `body`) and `body`."""
    header = message.header()
    if tensors:
        header["tensors"] = tensors
    raw = json.dumps(header, allow_nan=True, separators=(",", ":")).encode()
    if len(raw) + len(body) > MAX_FRAME:
        raise ProtocolError(f"a message of {len(raw) + len(body)} bytes is larger than {MAX_FRAME}")
    return _PREFIX.pack(len(raw), len(body)) + raw + body


class FrameReader:
    """Cuts a byte stream into frames: feed bytes, take (header, body) pairs."""

    def __init__(self, limit: int = MAX_FRAME) -> None:
        self.buffer = bytearray()
        self.limit = limit

    def feed(self, data: bytes) -> None:
        self.buffer.extend(data)

    def frames(self) -> list[tuple[bytes, dict, bytes]]:
        """Complete frames so far, each as (the raw frame, its header, its body). A bad frame raises
        ProtocolError, after the good frames before it have been returned."""
        out: list[tuple[bytes, dict, bytes]] = []
        try:
            self._cut(out)
        except ProtocolError:
            if not out:
                raise
            self.buffer[:0] = b"\xff" * _PREFIX.size  # make the next call fail at once
        return out

    def _cut(self, out: list[tuple[bytes, dict, bytes]]) -> None:
        while len(self.buffer) >= _PREFIX.size:
            head, body = _PREFIX.unpack_from(self.buffer)
            if head + body > self.limit:
                raise ProtocolError(f"a frame of {head + body} bytes is larger than {self.limit}")
            end = _PREFIX.size + head + body
            if len(self.buffer) < end:
                break
            raw = bytes(self.buffer[:end])
            del self.buffer[:end]
            try:
                header = json.loads(raw[_PREFIX.size:_PREFIX.size + head])
            except ValueError as exc:
                raise ProtocolError(f"a frame's header is not JSON ({exc})") from None
            except RecursionError:
                raise ProtocolError("a frame's header nests too deep to read") from None
            if nested_deeper_than(header, _MAX_NESTING):
                raise ProtocolError(f"a frame's header nests more than {_MAX_NESTING} levels deep")
            if not isinstance(header, dict) or not isinstance(header.get("t"), str):
                raise ProtocolError("a frame's header has no message type")
            out.append((raw, header, raw[_PREFIX.size + head:]))


def peek_tag(header: Mapping[str, Any]) -> str:
    return str(header.get("t", ""))


def decode(header: Mapping[str, Any]) -> Message:
    """The message a header describes, with its fields checked against their types."""
    cls = _TYPES.get(peek_tag(header))
    if cls is None:
        raise ProtocolError(f"unknown message {peek_tag(header)!r}")
    values = {}
    for f in fields(cls):
        if f.name not in header:
            continue
        value = header[f.name]
        expected = str(f.type)
        if expected.startswith("dict") and not isinstance(value, dict):
            raise ProtocolError(f"{cls.tag}.{f.name} must be a mapping")
        if expected in ("int",) and (not isinstance(value, int) or isinstance(value, bool)):
            raise ProtocolError(f"{cls.tag}.{f.name} must be a whole number")
        if expected == "str" and not isinstance(value, str):
            raise ProtocolError(f"{cls.tag}.{f.name} must be a text")
        values[f.name] = value
    try:
        return cls(**values)
    except TypeError as exc:
        raise ProtocolError(f"{cls.tag}: {exc}") from None


def failure_from_json(data: Mapping[str, Any]) -> Failure:
    """A Failure from what a process sent (unknown kinds become RAISED; texts are bounded)."""
    try:
        kind = FailureKind(data.get("kind"))
    except ValueError:
        kind = FailureKind.RAISED

    def text(name: str, limit: int = 2000) -> str | None:
        value = data.get(name)
        return str(value)[:limit] if value is not None else None

    def number(name: str) -> float | None:
        value = data.get(name)
        return float(value) if _is_number(value) and math.isfinite(value) else None

    line = data.get("line")
    status = data.get("exit_status")
    return Failure(
        kind=kind,
        message=text("message") or "",
        exc_type=text("exc_type", 100),
        file=text("file", 300),
        line=line if isinstance(line, int) and not isinstance(line, bool) else None,
        stage=text("stage", 20) or "train",
        budget_s=number("budget_s"),
        signal=text("signal", 20),
        exit_status=status if isinstance(status, int) and not isinstance(status, bool) else None,
        memory_mb=int(number("memory_mb")) if number("memory_mb") is not None else None,
        peak_mb=number("peak_mb"),
        requested_mb=number("requested_mb"),
    )


def failure_to_json(failure: Failure) -> dict[str, Any]:
    data = asdict(failure)
    data["kind"] = failure.kind.value
    return data
