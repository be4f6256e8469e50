"""The judge's side of ex-careers: hidden job postings and skill lists, the references, and the mistakes.

Only the judge imports this file; the learner's process never sees it. The postings are made up,
in the style of real ones.
"""

from __future__ import annotations

import re

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

POSTINGS = [
    "Deep-learning engineer. You train and ship PyTorch models for our vision products. Python, PyTorch, "
    "Docker and Git are daily tools; experience with CUDA is a plus.",
    "Data scientist. Design A/B tests, query data with SQL and pandas, and explain results to people who do "
    "not code. Python or R; statistics above all.",
    "Machine-learning engineer. Serve and monitor models with Docker and Kubernetes on AWS. Strong Python, "
    "testing, Git and GitHub Actions. Some PyTorch.",
    "Computer-vision specialist. Detection and segmentation with PyTorch, OpenCV and C++ on edge devices; "
    "computer vision research experience welcome.",
    "Research engineer. Turn papers into fast, correct PyTorch code at scale. Python, C++, CUDA; publications "
    "or reproductions of papers.",
    "Analytics engineer. SQL, dbt and NoSQL stores; Python for pipelines; GitHub for reviews; vision of a "
    "data-driven company.",
]
SKILLS = ["Python", "PyTorch", "SQL", "Git", "Docker", "C++", "statistics", "A/B tests", "computer vision",
          "Kubernetes", "R", "CUDA", "Rust"]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9+#]+", text.lower())


def _counts(postings: list[str], skills: list[str], *, how: str = "words") -> dict[str, int]:
    out = {}
    for skill in skills:
        total = 0
        for posting in postings:
            if how == "substring":
                total += skill.lower() in posting.lower()
            elif how == "case":
                total += bool(re.search(r"(?<![A-Za-z0-9+#])" + re.escape(skill) + r"(?![A-Za-z0-9+#])", posting))
            else:
                p, s = _words(posting), _words(skill)
                found = [p[i:i + len(s)] == s for i in range(len(p) - len(s) + 1)]
                total += sum(found) if how == "mentions" else any(found)
        out[skill] = total
    return out


def _postings(rng: torch.Generator) -> list[Case]:
    order = torch.randperm(len(POSTINGS), generator=rng).tolist()
    some = [POSTINGS[i] for i in order[:3]]
    return [
        Case("three postings: Python, Docker, SQL", POSTINGS[:3], ["Python", "Docker", "SQL"]),
        Case("'Git' beside 'GitHub', 'SQL' beside 'NoSQL', 'R' inside every word", POSTINGS[2:], ["Git", "SQL", "R"]),
        Case("a posting that names PyTorch three times", [POSTINGS[0] + " PyTorch Lightning, PyTorch Geometric."],
             ["PyTorch", "Python"]),
        Case("skills spelled in other cases: 'pytorch', 'docker', 'STATISTICS'", POSTINGS,
             ["pytorch", "docker", "STATISTICS"]),
        Case("skills of two words, and 'vision' alone is not 'computer vision'", POSTINGS,
             ["computer vision", "A/B tests", "C++"]),
        Case("a skill that no posting names", some, ["Rust", "Python"]),
        Case("all six postings, thirteen skills", POSTINGS, SKILLS),
    ]


@mistake("skills-substring")
def _substring(case: Case, got: object, want: object) -> str | None:
    if matches(got, _counts(*case.args, how="substring")):
        return ("You looked for the skill as a piece of text, so 'Git' was found in 'GitHub' and 'SQL' in 'NoSQL' "
                "('R' in almost every posting). Compare whole words: words(posting) against words(skill).")
    return None


@mistake("skills-per-mention")
def _mentions(case: Case, got: object, want: object) -> str | None:
    if matches(got, _counts(*case.args, how="mentions")):
        return ("You counted every mention, so a posting that says PyTorch three times counted three times. The "
                "question is how many postings ask for the skill: each posting adds at most 1.")
    return None


@mistake("skills-case-sensitive")
def _case(case: Case, got: object, want: object) -> str | None:
    if matches(got, _counts(*case.args, how="case")):
        return ("Your match depends on the case, so 'pytorch' never meets 'PyTorch'. Postings and skill lists spell "
                "names every way: lower-case both sides (words() does) before comparing.")
    return None


def _learn(counts: dict[str, int], n_postings: int, have: list[str], *, have_case: bool = False,
           strict: bool = False, order: bool = True) -> list[str]:
    owned = set(have) if have_case else {h.lower() for h in have}
    kept = [s for s, c in counts.items() if (2 * c > n_postings if strict else 2 * c >= n_postings)
            and (s if have_case else s.lower()) not in owned]
    return sorted(kept, key=lambda s: (-counts[s], s.lower())) if order else kept


def _profiles(rng: torch.Generator) -> list[Case]:
    everything = _counts(POSTINGS, SKILLS)
    shuffled = dict(sorted(everything.items(), key=lambda item: float(torch.rand(1, generator=rng))))
    return [
        Case("6 postings, you know Python and Git", everything, 6, ["Python", "Git"]),
        Case("your skills written in lower case: 'pytorch', 'docker'", everything, 6, ["pytorch", "docker", "sql"]),
        Case("skills named by exactly half of 4 postings", {"Python": 4, "SQL": 2, "Docker": 2, "Rust": 1}, 4, []),
        Case("the same six postings, skills in a random order", shuffled, 6, ["statistics"]),
        Case("you already have every skill asked for", {"Python": 3, "Git": 2}, 3, ["python", "GIT"]),
        Case("ties broken alphabetically, whatever the case", {"docker": 3, "CUDA": 3, "Airflow": 3, "git": 5}, 5, []),
    ]


@mistake("learn-have-case")
def _have_case(case: Case, got: object, want: object) -> str | None:
    if matches(got, _learn(*case.args, have_case=True)):
        return ("A skill you have came back because you wrote it in another case ('pytorch' against 'PyTorch'). "
                "Compare the lower-cased names on both sides.")
    return None


@mistake("learn-threshold")
def _threshold(case: Case, got: object, want: object) -> str | None:
    if matches(got, _learn(*case.args, strict=True)):
        return ("A skill named by exactly half of the postings is missing: 'at least half' is 2 * count >= "
                "n_postings, not more than half.")
    return None


@mistake("learn-order")
def _order(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, list) and sorted(got) == sorted(want) and got != want:
        return ("You have the right skills in the wrong order. Put the most asked first, where your next hours pay "
                "most, and break ties alphabetically ignoring case: key=lambda s: (-counts[s], s.lower()).")
    return None


EXERCISES = [
    Exercise("skill_counts", _postings, reference=_counts, mistakes=[_substring, _mentions, _case]),
    Exercise("skills_to_learn", _profiles, reference=_learn, mistakes=[_have_case, _threshold, _order]),
]
