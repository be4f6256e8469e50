"""The judge's side of ex-portfolio: hidden projects and their runs, the checks of the Markdown, the mistakes.

Only the judge imports this file; the learner's process never sees it. Markdown has more than one
right spelling (spaces around cells, blank lines, the words between the facts), so both functions
are graded by a check that reads the answer as a reader would, against the facts it must hold.
"""

from __future__ import annotations

import re
import statistics

import torch

from dlpath.grading.exercises import Case, Exercise, mistake, show

SECTIONS = ["Problem", "Data", "Approach", "Results", "Run it"]


def _rows(scores: dict[str, list[float]], baseline: str, metric: str, *, drop_baseline: bool = False,
          flip: bool = False, order: bool = True) -> list[list[str]]:
    """The table's rows as lists of cells, the header and separator excluded."""
    base = statistics.mean(scores[baseline])
    names = sorted(scores, key=lambda n: statistics.mean(scores[n]), reverse=True) if order else list(scores)
    rows = []
    for name in names:
        if drop_baseline and name == baseline:
            continue
        mean, std = statistics.mean(scores[name]), statistics.stdev(scores[name])
        diff = (base - mean) if flip else (mean - base)
        rows.append([f"{name} (baseline)" if name == baseline else name, f"{mean:.3f} +/- {std:.3f}",
                     f"{diff:+.3f}".replace("-0.000", "+0.000")])
    return rows


def _cells(text: str) -> list[list[str]]:
    """Every Markdown table line of a text, as its stripped cells."""
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines()
            if line.strip().startswith("|")]


def _table_problem(scores: dict[str, list[float]], baseline: str, metric: str, got: object) -> str | None:
    if not isinstance(got, str):
        return f"{show(got)} where a string of Markdown was expected"
    table = _cells(got)
    if len(table) < 2:
        return "no Markdown table (lines that start with |) where one was expected"
    if table[0] != ["model", metric, "vs baseline"]:
        return f"the header is {' | '.join(table[0])!r} where 'model | {metric} | vs baseline' was expected"
    if not all(re.fullmatch(r":?-+:?", c) for c in table[1]) or len(table[1]) != 3:
        return f"the second line {' | '.join(table[1])!r} is not a separator like |---|---|---|"
    want = _rows(scores, baseline, metric)
    for i, (row, right) in enumerate(zip(table[2:], want), 1):
        if row != right:
            return f"row {i} is {' | '.join(row)!r} where {' | '.join(right)!r} was expected"
    if len(table) - 2 != len(want):
        return f"{len(table) - 2} rows where {len(want)} (one per model) were expected"
    return None


def _table_check(case: Case, got: object) -> str | None:
    return _table_problem(*case.args, got)


def _scores(rng: torch.Generator, models: dict[str, float], seeds: int = 3) -> dict[str, list[float]]:
    return {name: [round(level + 0.01 * float(v), 4) for v in torch.randn(seeds, generator=rng)]
            for name, level in models.items()}


def _tables(rng: torch.Generator) -> list[Case]:
    worse = _scores(rng, {"logistic regression": 0.83, "tiny MLP": 0.80, "small CNN": 0.91})
    return [
        Case("a baseline and one model", _scores(rng, {"majority class": 0.52, "small CNN": 0.9}), "majority class",
             "accuracy"),
        Case("models listed worst first", _scores(rng, {"linear": 0.7, "MLP": 0.8, "CNN": 0.9, "ResNet-18": 0.95}),
             "linear", "accuracy"),
        Case("a model worse than the baseline", worse, "logistic regression", "accuracy"),
        Case("5 seeds, an F1 metric", _scores(rng, {"TF-IDF + logistic": 0.71, "fine-tuned encoder": 0.78}, 5),
             "TF-IDF + logistic", "F1"),
        Case("the baseline is the best model", {"gradient-boosted trees": [0.861, 0.858, 0.866],
                                                "MLP": [0.842, 0.851, 0.839]}, "gradient-boosted trees", "AUC"),
    ]


def _got_rows(got: object) -> list[list[str]] | None:
    return _cells(got)[2:] if isinstance(got, str) else None


@mistake("table-no-baseline")
def _no_baseline(case: Case, got: object, want: object) -> str | None:
    if _got_rows(got) == _rows(*case.args, drop_baseline=True):
        return ("The baseline's own row is missing. A score means little without the baseline beside it: list it as "
                "'NAME (baseline)' with its mean, its spread and +0.000, as the lesson's README table does.")
    return None


@mistake("table-gap-sign")
def _gap_sign(case: Case, got: object, want: object) -> str | None:
    if _got_rows(got) == _rows(*case.args, flip=True):
        return ("Your differences are the baseline minus the model: a better model shows a minus sign. Write the "
                "model's mean minus the baseline's, so a gain reads +0.081.")
    return None


@mistake("table-order")
def _order(case: Case, got: object, want: object) -> str | None:
    rows, right = _got_rows(got), _rows(*case.args)
    if rows is not None and rows != right and sorted(rows) == sorted(right):
        return ("The rows are right but not best first. Sort the models by mean score, highest first, so the reader "
                "sees the winner and its margin at a glance.")
    return None


def _sections(text: str) -> tuple[list[str], dict[str, str]]:
    """The '## ' headings in order, and the text under each."""
    order, bodies, current = [], {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            order.append(current)
            bodies[current] = ""
        elif current is not None:
            bodies[current] += line + "\n"
    return order, bodies


def _readme_check(case: Case, got: object) -> str | None:
    p = case.args[0]
    if not isinstance(got, str):
        return f"{show(got)} where a string of Markdown was expected"
    first = got.strip().splitlines()[0] if got.strip() else ""
    if first != f"# {p['title']}":
        return f"the first line is {first!r} where '# {p['title']}' was expected"
    order, body = _sections(got)
    if order != SECTIONS:
        return f"the sections are {order} where {SECTIONS} (each once, in this order) were expected"
    needs = {"Problem": [p["problem"]], "Data": [p["source"], p["size"], p["licence"], p["split"]],
             "Approach": [p["approach"], *p["failed"]],
             "Results": [p["limitations"], p["hardware"], str(p["minutes"])]}
    for section, facts in needs.items():
        for fact in facts:
            if fact not in body[section]:
                return f"the {section} section does not say {fact!r}"
    table = _table_problem(p["scores"], p["baseline"], p["metric"], body["Results"])
    if table:
        return f"in the Results section, {table}"
    run = [line.strip() for line in body["Run it"].splitlines()]
    if p["command"] not in run or "```" not in run[:run.index(p["command"])] or "```" not in run[
            run.index(p["command"]):]:
        return f"the Run it section does not hold {p['command']!r} on its own line between two lines ```"
    return None


def _projects(rng: torch.Generator) -> list[Case]:
    minutes = int(torch.randint(3, 90, (1,), generator=rng))
    cracks = {
        "title": "Detecting cracks in concrete photos", "problem": "Cracks found early are cheap to repair.",
        "source": "the public Concrete Crack Images set", "size": "40,000 photos of 227 x 227 pixels",
        "licence": "CC BY 4.0", "split": "by building, so no wall is on both sides",
        "approach": "A majority-class baseline, then a small CNN trained from scratch.",
        "failed": ["grayscale inputs lost the rust stains that mark old cracks", "a deeper network overfitted"],
        "scores": _scores(rng, {"majority class": 0.5, "small CNN": 0.97}), "baseline": "majority class",
        "metric": "accuracy", "limitations": "Photos in daylight only; painted walls were never seen.",
        "hardware": "a laptop CPU", "minutes": minutes, "command": "python train.py --seed 0",
    }
    reviews = {
        "title": "Sentiment of product reviews", "problem": "Which reviews need an answer from support?",
        "source": "reviews I collected from our shop", "size": "6,200 reviews", "licence": "private, not shared",
        "split": "by time: the last two months are the test set",
        "approach": "TF-IDF with logistic regression, then a fine-tuned encoder.",
        "failed": ["translating the reviews to English first", "oversampling the angry reviews",
                   "a longer context of 512 tokens"],
        "scores": _scores(rng, {"TF-IDF + logistic": 0.74, "fine-tuned encoder": 0.81, "keyword rules": 0.55}, 4),
        "baseline": "keyword rules", "metric": "F1", "limitations": "Sarcasm is still read as praise.",
        "hardware": "one T4 GPU in a free notebook", "minutes": 42,
        "command": "pip install -r requirements.txt && python train.py --seed 0",
    }
    nothing_failed = {**cracks, "title": "Crack detection, a second look", "failed": []}
    return [
        Case("the lesson's crack detector", cracks),
        Case("a text project with three failed ideas and a GPU", reviews),
        Case("a project where nothing failed (yet)", nothing_failed),
    ]


@mistake("readme-sections")
def _sections_wrong(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, str) and _sections(got)[0] != SECTIONS:
        return (f"Your sections are {_sections(got)[0]}. A stranger looks for the lesson's five, in order: "
                "Problem, Data, Approach, Results, Run it, each as a '## ' heading, each once.")
    return None


@mistake("readme-hides-failures")
def _hides(case: Case, got: object, want: object) -> str | None:
    p = case.args[0]
    if isinstance(got, str) and _sections(got)[0] == SECTIONS and any(
            idea not in _sections(got)[1]["Approach"] for idea in p["failed"]):
        return ("The Approach section leaves out what you tried that failed. The lesson asks for it: a short "
                "'what did not work' shows judgement and saves the reader the same dead end.")
    return None


@mistake("readme-no-hardware")
def _no_hardware(case: Case, got: object, want: object) -> str | None:
    p = case.args[0]
    if isinstance(got, str) and _sections(got)[0] == SECTIONS and any(
            fact not in _sections(got)[1]["Results"] for fact in (p["hardware"], str(p["minutes"]))):
        return ("The Results section does not say what hardware you used and how long training took. Without them "
                "nobody can tell whether your numbers are reproducible on their machine, or what a rerun costs.")
    return None


EXERCISES = [
    Exercise("results_table", _tables, check=_table_check, mistakes=[_no_baseline, _gap_sign, _order]),
    Exercise("readme", _projects, check=_readme_check, mistakes=[_sections_wrong, _hides, _no_hardware]),
]
