"""Release policies: what a student sees of a grade, and when; how often they may be graded; who was late.

A project's `release:` block in project.yaml (docs/project-format.md) sets it:

    release:
      metrics: after_due_date   # each threshold's measured value and whether it was met
      feedback: now             # the mentor's diagnoses and the end of the code's output
      submissions_per_day: 3    # graded submissions a student may make in any 24 hours
      due: 2026-12-01T23:59:00+01:00

Each of `metrics` and `feedback` is `now`, `after_due_date` or `never`
(`Visibility`). The platforms that keep grades (Gradescope) are told with
their own fields, and decide themselves when the due date has passed;
formats that are read once (PrairieLearn's results.json, the feedback files
of `dlpath grade`) hold only what is released when they are written
(`released`). The instructor always sees everything: summary.json, the
reports, the class report.
"""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["Visibility", "ReleasePolicy", "Release", "read_release", "released", "parse_when", "rate_limit",
           "GRADESCOPE_VISIBILITY"]


class Visibility(str, enum.Enum):
    """When students see a part of their grade."""

    NOW = "now"  #: as soon as it is graded
    AFTER_DUE_DATE = "after_due_date"  #: once the due date has passed
    NEVER = "never"  #: only the instructor sees it


#: Gradescope's own `visibility` values for each of ours
GRADESCOPE_VISIBILITY = {Visibility.NOW: "visible", Visibility.AFTER_DUE_DATE: "after_due_date",
                         Visibility.NEVER: "hidden"}


@dataclass(frozen=True)
class ReleasePolicy:
    """A project's release policy (project.yaml `release:`); the default shows everything at once, no limit."""

    metrics: Visibility = Visibility.NOW  #: each threshold's measured value and whether it was met
    feedback: Visibility = Visibility.NOW  #: the mentor's diagnoses and the end of the code's output
    submissions_per_day: int | None = None  #: graded submissions per student in any 24 hours; None: no limit
    due: _dt.datetime | None = None  #: the due date (with its time zone); later submissions are marked late

    @property
    def default(self) -> bool:
        return self == ReleasePolicy()


@dataclass(frozen=True)
class Release:
    """What a student may see of one grade at one moment."""

    metrics: bool  #: the measured values and each threshold's outcome (and so whether it passed)
    feedback: bool  #: the mentor's diagnoses and the end of the code's output
    metrics_later: bool = False  #: not yet, but after the due date
    feedback_later: bool = False
    late: bool = False  #: handed in after the due date


def parse_when(text: str) -> _dt.datetime:
    """An ISO 8601 date and time with its time zone (`2026-12-01T23:59+01:00`, `...Z`); ValueError otherwise."""
    value = _dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"'{text}' has no time zone: add one, for example {text.strip()}+00:00 or {text.strip()}Z")
    return value


def _shown(visibility: Visibility, now: _dt.datetime, due: _dt.datetime | None) -> bool:
    if visibility is Visibility.NOW:
        return True
    return visibility is Visibility.AFTER_DUE_DATE and due is not None and now >= due


def released(policy: ReleasePolicy | None, *, now: _dt.datetime | None = None, due: _dt.datetime | None = None,
             submitted: _dt.datetime | None = None) -> Release:
    """What a student may see now of a grade handed in at `submitted` (`due` overrides the policy's)."""
    policy = policy or ReleasePolicy()
    now = now or _dt.datetime.now(_dt.timezone.utc)
    due = due or policy.due
    metrics, feedback = _shown(policy.metrics, now, due), _shown(policy.feedback, now, due)
    return Release(metrics=metrics, feedback=feedback,
                   metrics_later=not metrics and policy.metrics is Visibility.AFTER_DUE_DATE,
                   feedback_later=not feedback and policy.feedback is Visibility.AFTER_DUE_DATE,
                   late=due is not None and submitted is not None and submitted > due)


def rate_limit(policy: ReleasePolicy | None, graded: Iterable[_dt.datetime],
               now: _dt.datetime) -> _dt.datetime | None:
    """None when one more grade is allowed at `now`, else when the next one is (`graded`: earlier graded times)."""
    if policy is None or policy.submissions_per_day is None:
        return None
    window = [t for t in graded if now - _dt.timedelta(days=1) < t <= now]
    if len(window) < policy.submissions_per_day:
        return None
    return sorted(window)[len(window) - policy.submissions_per_day] + _dt.timedelta(days=1)


# ------------------------------------------------------------------ project.yaml


def read_release(reader: Any, keys: dict) -> ReleasePolicy:
    """The `release:` block of project.yaml, every problem reported with its line (the project reader's `reader`)."""
    if "release" not in keys:
        return ReleasePolicy()
    node = keys["release"][1]
    entry = reader.mapping(node, "release")
    if entry is None:
        return ReleasePolicy()
    reader.check_keys(entry, node, "release", (), ("metrics", "feedback", "submissions_per_day", "due"))
    values: dict[str, Any] = {}
    for key in ("metrics", "feedback"):
        if key in entry:
            raw = reader.scalar(entry[key][1])
            try:
                values[key] = Visibility(raw)
            except ValueError:
                reader.problem(entry[key][1], f"release: '{key}' must be now, after_due_date or never, not {raw!r}")
    if "submissions_per_day" in entry:
        raw = reader.scalar(entry["submissions_per_day"][1])
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            reader.problem(entry["submissions_per_day"][1], "release: 'submissions_per_day' must be a whole number "
                           f"of 1 or more (leave it out for no limit), not {raw!r}")
        else:
            values["submissions_per_day"] = raw
    if "due" in entry:
        raw = reader.scalar(entry["due"][1])
        try:
            if isinstance(raw, _dt.datetime):
                if raw.tzinfo is None:
                    raise ValueError(f"'{raw.isoformat()}' has no time zone: add one, for example "
                                     f"{raw.isoformat()}+00:00")
                values["due"] = raw
            elif isinstance(raw, str):
                values["due"] = parse_when(raw)
            else:
                raise ValueError(f"{raw!r} is not a date and time")
        except ValueError as exc:
            reader.problem(entry["due"][1], f"release: 'due' must be a date and time with its time zone, such as "
                           f"2026-12-01T23:59:00+01:00 ({exc})")
    return ReleasePolicy(**values)  # without `due`, the platform's (Gradescope) or `dlpath grade --due` counts
