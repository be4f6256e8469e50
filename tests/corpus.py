"""The mentor's corpus (tests/mentor_corpus): read the cases, grade one in-process, judge what the mentor said.

Shared by tests/test_mentor_corpus.py and bench/mentor_corpus.py (which prints the table of
docs/mentor-corpus.md). See tests/mentor_corpus/README.md for the format and the rules.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).parent / "mentor_corpus"


@dataclass(frozen=True)
class Case:
    name: str  #: the folder's name
    project: str
    kind: str  #: "mistake" or "control"
    expect: str | None  #: the code the first diagnosis must carry (mistakes)
    cause: str
    url: str | None
    title: str | None
    known_miss: str | None
    source: str  #: the train.py

    @property
    def mistake(self) -> bool:
        return self.kind == "mistake"


def load_cases() -> list[Case]:
    cases = []
    for folder in sorted(p for p in CORPUS.iterdir() if (p / "case.yaml").is_file()):
        data = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
        unknown = set(data) - {"project", "kind", "source", "expect", "cause", "known_miss"}
        assert not unknown, (folder.name, unknown)
        assert data["kind"] in ("mistake", "control"), folder.name
        source = data.get("source") or {}
        cases.append(Case(folder.name, data["project"], data["kind"], data.get("expect"), data["cause"],
                          source.get("url"), source.get("title"), data.get("known_miss"),
                          (folder / "train.py").read_text(encoding="utf-8")))
    return cases


@dataclass(frozen=True)
class Verdict:
    """What the mentor said about one case, judged against the case's expectation."""

    case: Case
    codes: list[tuple[str, str]]  #: (code, severity) of every diagnosis, in order
    named: bool  #: mistakes: the first diagnosis has the expected code
    wrong_errors: list[str]  #: mistakes: other errors; controls: every error or warning
    passed_grade: bool  #: every threshold met
    failure: str | None  #: how the run ended early, if it did

    @property
    def first(self) -> str:
        return f"{self.codes[0][0]} ({self.codes[0][1]})" if self.codes else "nothing"

    @property
    def clean(self) -> bool:
        return not self.case.mistake and not self.wrong_errors


def grade(case: Case) -> Verdict:
    """Train and judge the case in this process, as tests/taskrun.mentor does, and judge the diagnoses."""
    from dlpath.grading.project import load_project
    from dlpath.grading.thresholds import compare
    from tests.taskrun import mentor

    project = load_project(case.project)
    spec = {f.name: getattr(project, f.name) for f in dataclasses.fields(project)}
    with tempfile.TemporaryDirectory() as folder:
        diagnoses, got = mentor(case.source, spec, folder=Path(folder))
    codes = [(d.code, d.severity) for d in diagnoses]
    passed = got["failure"] is None and all(r.passed for r in compare(project.thresholds, got["metrics"]))
    if case.mistake:
        named = bool(codes) and codes[0][0] == case.expect
        wrong = [code for code, severity in codes if severity == "error" and code != case.expect]
    else:
        named = False
        wrong = [code for code, severity in codes if severity in ("error", "warning")]
    failure = f"{got['failure'].exc_type}: {got['failure'].message[:80]}" if got["failure"] else None
    return Verdict(case, codes, named, wrong, passed, failure)


def table(verdicts: list[Verdict]) -> str:
    """The Markdown table of docs/mentor-corpus.md: one row per case, then the summary."""
    rows = ["| case | expected | first diagnosis | named | other errors |", "|---|---|---|---|---|"]
    for v in verdicts:
        expected = v.case.expect if v.case.mistake else "(control: clean)"
        ok = ("yes" if v.named else "no") if v.case.mistake else ("clean" if v.clean else "NOT clean")
        rows.append(f"| {v.case.name} | {expected} | {v.first} | {ok} | {', '.join(v.wrong_errors) or '-'} |")
    return "\n".join(rows) + "\n\n" + summary(verdicts) + "\n"


def summary(verdicts: list[Verdict]) -> str:
    mistakes = [v for v in verdicts if v.case.mistake]
    controls = [v for v in verdicts if not v.case.mistake]
    named = sum(v.named for v in mistakes)
    wrong = sum(bool(v.wrong_errors) for v in mistakes)
    clean = sum(v.clean for v in controls)
    return (f"named first: {named}/{len(mistakes)}; mistakes with another (wrong) error: {wrong}/{len(mistakes)}; "
            f"clean controls: {clean}/{len(controls)}")


def compared(before: list[dict[str, Any]], verdicts: list[Verdict]) -> str:
    """The table with a column for an earlier run (`as_dict` rows, from `bench/mentor_corpus.py --json`)."""
    earlier = {row["case"]: row for row in before}

    def first(codes: list[Any]) -> str:
        return f"{codes[0][0]} ({codes[0][1]})" if codes else "nothing"

    rows = ["| case | expected | before: first diagnosis | after: first diagnosis | named before / after | "
            "wrong errors before / after |", "|---|---|---|---|---|---|"]
    for v in verdicts:
        old = earlier.get(v.case.name, {})
        expected = v.case.expect if v.case.mistake else "(control: clean)"
        if v.case.mistake:
            named = f"{'yes' if old.get('named') else 'no'} / {'yes' if v.named else 'no'}"
        else:
            named = f"{'clean' if not old.get('wrong_errors') else 'NOT clean'} / {'clean' if v.clean else 'NOT clean'}"
        wrong = f"{', '.join(old.get('wrong_errors') or []) or '-'} / {', '.join(v.wrong_errors) or '-'}"
        rows.append(f"| {v.case.name} | {expected} | {first(old.get('codes') or [])} | {v.first} | {named} | {wrong} |")
    mistakes = [row for row in before if any(c.name == row["case"] and c.mistake for c in (v.case for v in verdicts))]
    controls = [row for row in before if any(c.name == row["case"] and not c.mistake for c in (v.case for v in verdicts))]
    old_summary = (f"named first: {sum(bool(r['named']) for r in mistakes)}/{len(mistakes)}; mistakes with another "
                   f"(wrong) error: {sum(bool(r['wrong_errors']) for r in mistakes)}/{len(mistakes)}; clean controls: "
                   f"{sum(not r['wrong_errors'] for r in controls)}/{len(controls)}")
    return "\n".join(rows) + f"\n\nbefore: {old_summary}\n\nafter: {summary(verdicts)}\n"


def as_dict(verdict: Verdict) -> dict[str, Any]:
    return {"case": verdict.case.name, "codes": verdict.codes, "named": verdict.named,
            "wrong_errors": verdict.wrong_errors, "passed_grade": verdict.passed_grade, "failure": verdict.failure}
