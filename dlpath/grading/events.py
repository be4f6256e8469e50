"""What a grade in progress tells whoever watches it (the live display): typed events, in order.

`run_grade(..., on_event=...)` calls `on_event` with one of these: `Started`
once the learner's process has imported torch and built its data, `Logged` for
each `log(...)` call, `Tick` about four times a second while training runs,
`TrainingDone` when `train` returns, `Evaluating` when the judge starts asking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

__all__ = ["Started", "Logged", "Tick", "TrainingDone", "Evaluating", "GradeEvent", "OnEvent"]


@dataclass(frozen=True)
class Started:
    """The learner's process is ready and training starts."""

    device: str  #: "cpu" or "cuda"
    sandbox: str  #: the sandbox level: "full", "partial" or "none"


@dataclass(frozen=True)
class Logged:
    """One `log(...)` call of the learner's code (names cut to 60 characters, numbers and short texts)."""

    values: dict[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class Tick:
    """Time passes while training runs."""

    elapsed_s: float
    budget_s: float
    memory_mb: float  #: the most memory the learner's processes were seen to use so far


@dataclass(frozen=True)
class TrainingDone:
    """`train` returned."""


@dataclass(frozen=True)
class Evaluating:
    """The judge is measuring the model on held-out data."""


GradeEvent = Union[Started, Logged, Tick, TrainingDone, Evaluating]
OnEvent = Callable[[GradeEvent], None]
