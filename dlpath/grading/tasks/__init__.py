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
- ``requires``: a CUDA device, several processes; ``unavailable()``: what this
  machine lacks to grade the task at all (an optional package), with the fix;
- ``rules``: diagnosis rules of its own (``dlpath.grading.diagnose.Rule``);
- ``hands_on`` and ``entry``: a project (``train.py``) or an exercise folder
  (``exercises.py``, ``dlpath.grading.tasks.exercise``).

And it does the work on both sides of the grade:

- in the learner process and the loader, ``prepare(device, role)`` runs before
  the learner's train.py is imported (an environment variable a library reads
  at import);
- in the learner process (``dlpath.grading.harness``, after the learner's
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
from typing import Any, Mapping

from dlpath.grading.tasks.api import (Asker, ContractError, Evaluation, JudgeContext, LearnerError, LearnerSide,
                                      Metric, Requires, SplitData, Task, UnknownTask)

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
    "ModelTask",
    "missing_for",
    "missing_for_project",
]


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
        if info.name.startswith("_") or info.name == "api":
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


def missing_for(kind: str) -> tuple[str, str] | None:
    """(what is missing, how to get it) when this machine cannot grade task ``kind`` at all, else None."""
    task = TASKS.get(kind)
    return task.unavailable() if task is not None else None


def missing_for_project(project: Any) -> tuple[str, str] | None:
    """(what is missing, how to get it) when this machine cannot grade ``project``: what its task kind needs
    (`missing_for`), then the packages its `requires: packages:` names that cannot be imported here."""
    import importlib.util

    missing = missing_for(project.task)
    if missing is not None:
        return missing
    absent = [name for name in getattr(project.requires, "packages", ()) if importlib.util.find_spec(name) is None]
    if not absent:
        return None
    names = " and ".join(absent)
    return (f"your code for it needs {names}, which {'is' if len(absent) == 1 else 'are'} not installed here",
            f"Install {'it' if len(absent) == 1 else 'them'} in dlpath's environment: pip install {' '.join(absent)} "
            "(pip install 'dlpath[lessons]' brings every package the lessons use).")


_discover()
