"""Task kinds: plugins that say how a project is trained, asked and measured.

A project names its task kind in ``project.yaml`` (``task: classification``).
Each kind is one module of this package defining one ``Task`` subclass; the
registry (``TASKS``, ``get_task``) finds them by their ``kind``. Adding a kind
means adding a module (and its tests): the runner, the judge, the diagnoses
and the report read only what a task declares here, and never test a name.

A task declares, in one place:

- ``contract``: the learner's contract, the text stated at the top of every
  starter (the tests check each starter states ``contract_lines``);
- ``dataset_kinds``: which data sets it accepts (``GeneratorSpec.kind``);
- ``metrics``: each ``Metric`` (name, direction, unit, how it is computed) and
  ``primary``, the one that says how well the model does;
- ``requires``: a CUDA device, several processes;
- ``rules``: diagnosis rules of its own (``dlpath.grading.diagnose.Rule``).

And it does the work on both sides of the grade:

- in the learner process (``dlpath.grading.learner``, after the learner's
  train.py was imported): ``train(...)`` calls the learner's functions and
  returns whatever the task needs later (the trained model); ``answer(...)``
  answers the judge's requests (outputs on inputs, a traced model, ...);
- in the judge (``dlpath.grading.judge``, a clean interpreter that never
  imports the learner's code): ``judge(ctx)`` builds the questions from the
  hidden data, asks them through ``ctx.ask``, and computes every metric from
  the answers and the targets the learner process never sees.

Task modules import torch inside their methods: reading the declarations
(``dlpath validate``, the docs) must not pay for importing torch.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Protocol

from dlpath.errors import NotYet, UsageError

if TYPE_CHECKING:
    from dlpath.grading.facts import Facts

__all__ = [
    "Metric",
    "Requires",
    "SplitData",
    "Evaluation",
    "LearnerSide",
    "Asker",
    "JudgeContext",
    "ContractError",
    "LearnerError",
    "UnknownTask",
    "Task",
    "TASKS",
    "get_task",
]


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

    def to_json(self) -> dict[str, Any]:
        return {"cuda": self.cuda, "processes": self.processes}


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


class Asker(Protocol):
    def __call__(self, name: str, values: Mapping[str, Any] | None = None,
                 tensors: Mapping[str, Any] | None = None,
                 target: str = "learner") -> tuple[dict[str, Any], dict[str, Any]]:
        """Ask the learner process (or the loader) ``name``; its answer's (values, tensors). Raises LearnerError."""


@dataclass
class JudgeContext:
    """What the judge hands a task: the project, the data, and a way to ask the learner process."""

    project: Any  #: dlpath.projects.Project
    public: SplitData  #: the learner's training data, rebuilt from the public seed
    test: Any  #: the hidden test data, usually a Dataset (targets never leave the judge)
    ask: Asker
    folder: Any  #: Path of the learner's folder (read its files; never import them)
    device: str = "cpu"
    test_seed: int = 0


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
    uses_loader: ClassVar[bool] = False
    #: the judge also asks a "loader": a fresh sandboxed process that never imports the learner's code, for
    #: a file the learner saved (`ctx.ask(name, ..., target="loader")`; `answer` then runs with side.role "loader")

    @classmethod
    def metric(cls, name: str) -> Metric | None:
        return next((m for m in cls.metrics if m.name == name), None)

    # -- both sides
    def public_data(self, project: Any, seed: int) -> SplitData:
        """The training and validation data from the public ``seed`` (the same in both processes)."""
        from dlpath.datasets import draw

        parts = draw(project.dataset, seed, ("train", "val"))
        train, val = parts["train"], parts["val"]
        return SplitData(train.x, train.y, val.x, val.y, dict(train.info))

    def test_data(self, project: Any, seed: int) -> Any:
        """The hidden test data from the hidden ``seed`` (built in the judge only)."""
        from dlpath.datasets import draw

        return draw(project.dataset, seed, ("test",))["test"]

    # -- the learner process
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



class ModelTask(Task):
    """A task whose learner builds and trains one model (``build_model`` + ``train``) that the judge then
    questions: the learner side trains it through ``_model.train_module`` and answers with its outputs."""

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        from dlpath.grading.tasks._model import train_module

        return train_module(side, data)

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        from dlpath.grading.tasks._model import answer_model

        return answer_model(name, tensors, side.state, side.device)


TASKS: dict[str, type[Task]] = {}


def _discover() -> None:
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Task) and value.kind and value.__module__ == module.__name__:
                TASKS[value.kind] = value


def get_task(kind: str) -> Task:
    """A fresh Task for ``kind``."""
    try:
        return TASKS[kind]()
    except KeyError:
        known = ", ".join(sorted(TASKS))
        raise UnknownTask(f"unknown task kind {kind!r}; dlpath knows: {known}") from None


_discover()
