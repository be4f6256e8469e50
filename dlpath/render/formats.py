"""The output formats of a grade (`dlpath check --format NAME`): a registry of formatters.

Each formatter takes the `CheckOutcome` (`dlpath.grading.report`) and a
`Console` and writes the whole report in its format to the console's file.
All of them read the same data, so the points and the verdict agree across
formats. Adding a format is one function decorated with `@formatter(...)`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from rich.console import Console

from dlpath.grading.report import report_json

__all__ = ["Formatter", "FORMATS", "formatter"]


@dataclass(frozen=True)
class Formatter:
    name: str
    description: str
    render: Callable[[Any, Console], None]
    machine: bool  #: prints data for programs (no live display, nothing else on stdout)


FORMATS: dict[str, Formatter] = {}


def formatter(name: str, description: str, *, machine: bool = True) -> Callable[[Callable[[Any, Console], None]],
                                                                                Callable[[Any, Console], None]]:
    def register(fn: Callable[[Any, Console], None]) -> Callable[[Any, Console], None]:
        FORMATS[name] = Formatter(name, description, fn, machine)
        return fn

    return register


def _write(console: Console, text: str) -> None:
    console.file.write(text if text.endswith("\n") else text + "\n")
    console.file.flush()


@formatter("text", "the report for people (default)", machine=False)
def _text(outcome: Any, console: Console) -> None:
    from dlpath.render.grading import render_check

    render_check(outcome, console)


@formatter("json", "the whole report as JSON (docs/json.md)")
def _json(outcome: Any, console: Console) -> None:
    _write(console, json.dumps(report_json(outcome), indent=2, ensure_ascii=False))


@formatter("gradescope", "Gradescope's results.json: a test per threshold, the feedback in output")
def _gradescope(outcome: Any, console: Console) -> None:
    from dlpath.grading.platforms import gradescope_results

    _write(console, json.dumps(gradescope_results(outcome.report, getattr(outcome, "release", None)), indent=2,
                               ensure_ascii=False))


@formatter("prairielearn", "PrairieLearn's external grader results.json (score from 0 to 1)")
def _prairielearn(outcome: Any, console: Console) -> None:
    from dlpath.grading.platforms import prairielearn_results
    from dlpath.grading.release import released

    release = released(getattr(outcome, "release", None))  # PrairieLearn shows what it gets: what is released now
    _write(console, json.dumps(prairielearn_results(outcome.report, release), indent=2, ensure_ascii=False))


@formatter("junit", "JUnit XML (GitLab's artifacts:reports:junit, GitHub JUnit reporters)")
def _junit(outcome: Any, console: Console) -> None:
    from dlpath.grading.platforms import junit_document, junit_suite

    _write(console, junit_document([junit_suite(outcome.report)]))
