"""The task-kind plugin API: what a task declares and the objects it works with on both sides of a grade.

Task modules subclass `Task` (or `dlpath.grading.tasks.ModelTask`); see the
package's docstring for the whole contract. This module imports nothing heavy
and nothing of the plugins, so that every part of the grader can name these
types without loading a task.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Protocol

from dlpath.errors import NotYet, UsageError

if TYPE_CHECKING:
    from dlpath.grading.facts import Facts

__all__ = ["Metric", "Requires", "SplitData", "Evaluation", "LearnerSide", "Asker", "JudgeContext", "ContractError",
           "LearnerError", "UnknownTask", "Task"]


class ContractError(NotYet):
    """The learner's train.py does not follow the contract (a missing function, a wrong signature, a wrong return)."""


class LearnerError(Exception):
    """The learner's code raised while answering one of the judge's requests (the message says what)."""


class UnknownTask(UsageError):
    """A project names a task kind that dlpath does not have."""


@dataclass(frozen=True)
class Metric:
    """One measurement of a task."""

    name: str  #: as used in project.yaml thresholds
    direction: str  #: "max" (higher is better) or "min" (lower is better)
    unit: str  #: "fraction", "parameters", "mean squared error", ...
    description: str  #: how the judge computes it, in a sentence


@dataclass(frozen=True)
class Requires:
    """What grading a project of this kind needs from the machine."""

    cuda: bool = False  #: a CUDA device (the grade is skipped, with a message, without one)
    processes: int = 1  #: learner processes started together (distributed training)
    packages: tuple[str, ...] = ()  #: Python packages the learner's code needs beyond dlpath's own (pandas)

    def to_json(self) -> dict[str, Any]:
        return {"cuda": self.cuda, "processes": self.processes, "packages": list(self.packages)}


@dataclass(frozen=True)
class SplitData:
    """The data a learner trains on: training and validation inputs and targets, and ``info``."""

    x_train: Any
    y_train: Any
    x_val: Any
    y_val: Any
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    """What ``Task.judge`` returns: every metric (numbers) and the facts diagnoses read."""

    metrics: dict[str, float]
    facts: "Facts"


@dataclass
class LearnerSide:
    """What a task gets in the learner process: the learner's module and the means to train it."""

    module: Any  #: the learner's train.py, imported
    device: str  #: "cpu" or "cuda"
    log: Callable[..., None]  #: the learner's `log(...)`
    watch: Any  #: dlpath.grading.observe.Watch: hooks for the mentor's observations
    state: Any = None  #: what `Task.train` returned (the trained model), or what the loader loaded
    role: str = "learner"  #: "learner", or "loader" (module is None there: the learner's code is never imported)
    #: consult(values, tensors) -> (values, tensors): while answering a request, send the judge an interim
    #: answer and wait for its next request (the exercise task evaluates a function this way in the judge);
    #: set by the harness's answer loop
    consult: Callable[..., Any] | None = None


class Asker(Protocol):
    def __call__(self, name: str, values: Mapping[str, Any] | None = None,
                 tensors: Mapping[str, Any] | None = None,
                 target: str = "learner") -> tuple[dict[str, Any], dict[str, Any]]:
        """Ask the learner process (or the loader) ``name``; its answer's (values, tensors). Raises LearnerError."""


@dataclass
class JudgeContext:
    """What the judge hands a task: the project, the data, and a way to ask the learner process."""

    project: Any  #: dlpath.grading.project.Project
    public: SplitData  #: the learner's training data, as the judge built it and sent it
    test: Any  #: the hidden test data, usually a Dataset (targets never leave the judge)
    ask: Asker
    folder: Any  #: Path of the learner's folder (read its files; never import them)
    device: str = "cpu"
    test_seed: int = 0
    world_seed: int | None = None  #: the grade's secret world (pass it to every `draw`); None: the published one
    sources: Any = None
    #: dlpath.grading.sources.Sources: the learner's Python files as the parent read them before the learner's
    #: code ran, for a task that `reads_sources` (None: not read; the task may read the folder now)


class Task:
    """One kind of project. Subclasses set the declarations and implement the three methods."""

    kind: ClassVar[str] = ""
    summary: ClassVar[str] = ""  #: one line for docs and `dlpath validate`
    contract: ClassVar[str] = ""  #: the learner's contract, in the words every starter repeats
    contract_lines: ClassVar[tuple[str, ...]] = ()  #: signatures every starter's docstring must state
    dataset_kinds: ClassVar[tuple[str, ...]] = ("classification",)
    metrics: ClassVar[tuple[Metric, ...]] = ()
    primary: ClassVar[str] = ""
    requires: ClassVar[Requires] = Requires()
    rules: ClassVar[tuple[Callable[..., Any], ...]] = ()  #: diagnosis rules of its own, run before the generic ones
    codes: ClassVar[dict[str, Any]] = {}  #: its own diagnosis codes: code -> dlpath.grading.diagnose.CodeInfo
    exclusive: ClassVar[dict[str, set[str]]] = {}  #: its codes that make vaguer generic ones redundant
    hand_written_updates: ClassVar[bool] = False  #: the learner updates weights by hand (no optimizer expected)
    packages: ClassVar[tuple[str, ...]] = ()  #: distributions beyond dlpath's own that grading needs (pinned by
    #: `dlpath autograder`; `unavailable()` names the missing ones)
    reads_sources: ClassVar[bool] = False
    #: the judge checks a rule by reading the learner's Python files: the parent reads them before the learner's
    #: code runs (a file can rewrite itself while it trains) and hands them over as `JudgeContext.sources`
    uses_loader: ClassVar[bool] = False
    #: the judge also asks a "loader": a fresh sandboxed process that never imports the learner's code, for
    #: a file the learner saved (`ctx.ask(name, ..., target="loader")`; `answer` then runs with side.role "loader")
    hands_on: ClassVar[str] = "project"
    #: "project" (a model trained and measured: project.yaml has `dataset` and `thresholds`) or "exercise"
    #: (functions checked on hidden cases: project.yaml lists `exercises`, and the thresholds follow from them)
    entry: ClassVar[str] = "train.py"  #: the learner's file: what the learner process imports, and every variant holds
    public_type: ClassVar[type] = SplitData
    #: the dataclass `public_data` returns: the judge packs its fields into the `PublicData` message and the
    #: learner's process rebuilds it (tensor fields as tensors, the others as JSON values)

    @classmethod
    def metric(cls, name: str) -> Metric | None:
        return next((m for m in cls.metrics if m.name == name), None)

    @classmethod
    def missed(cls, threshold: Any) -> str | None:
        """How the verdict says `threshold` (a ThresholdResult that failed) was missed, in this task's words;
        None: the generic "METRIC is VALUE, which misses its target TARGET"."""
        return None

    # -- the judge builds the data; the learner's process receives the public part
    def public_data(self, project: Any, seed: int, world: int | None = None) -> Any:
        """The training and validation data from the public ``seed`` in the ``world`` (built in the judge, sent
        to the learner's process as a `PublicData` message: that process never holds the generator)."""
        from dlpath.datasets import draw

        parts = draw(project.dataset, seed, ("train", "val"), world=world)
        train, val = parts["train"], parts["val"]
        return SplitData(train.x, train.y, val.x, val.y, dict(train.info))

    def test_data(self, project: Any, seed: int, world: int | None = None) -> Any:
        """The hidden test data from the hidden ``seed`` in the same ``world`` (built in the judge only)."""
        from dlpath.datasets import draw

        return draw(project.dataset, seed, ("test",), world=world)["test"]

    def pack_public(self, data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """``public_data``'s result as (JSON values, tensors) for the `PublicData` message."""
        import torch

        values: dict[str, Any] = {}
        tensors: dict[str, Any] = {}
        for f in fields(data):
            value = getattr(data, f.name)
            if torch.is_tensor(value):
                tensors[f.name] = value
            else:
                values[f.name] = value
        return values, tensors

    def unpack_public(self, values: Mapping[str, Any], tensors: Mapping[str, Any]) -> Any:
        """The learner's side of `pack_public`: the `public_type` again, from what the judge sent."""
        known = {f.name for f in fields(self.public_type)}
        return self.public_type(**{k: v for k, v in {**values, **tensors}.items() if k in known})

    @classmethod
    def unavailable(cls) -> tuple[str, str] | None:
        """(what is missing, how to get it) when this machine cannot grade the task at all, else None. Checked
        before `dlpath start`, `run` and `check` do anything, so it must be fast (read metadata, import nothing).
        By default: the first of ``packages`` that is not installed."""
        from dlpath.hardware import nvml

        for name in cls.packages:
            if nvml.installed_version(name) is None:
                return f"this project needs {name}, which is not installed here", f"Install it: pip install {name}"
        return None

    # -- the learner process
    def prepare(self, device: str, role: str) -> None:
        """Before the learner's train.py is imported (``role`` "learner", or "loader"): set what that import
        needs, such as an environment variable a library reads when it is imported. Nothing by default."""

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        """Call the learner's contract functions; return what ``answer`` needs (the trained model)."""
        raise NotImplementedError

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        """Answer the judge's request ``name``: (values, tensors). Raise LearnerError with a message."""
        raise NotImplementedError

    # -- the judge
    def judge(self, ctx: JudgeContext) -> Evaluation:
        """Ask, measure, and return every metric and fact."""
        raise NotImplementedError
