"""The judge's side of ex-jupyter-and-git: hidden notebooks, project trees and repositories, the references, and
the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

# ------------------------------------------------------------------ first_failure


def _cell(uses: list[str], defines: list[str]) -> dict[str, list[str]]:
    return {"uses": uses, "defines": defines}


def _run_all(cells: list[dict], *, anywhere: bool = False, own_first: bool = False) -> int | None:
    defined: set[str] = {name for cell in cells for name in cell["defines"]} if anywhere else set()
    for i, cell in enumerate(cells):
        known = defined | set(cell["defines"]) if own_first else defined
        if any(name not in known for name in cell["uses"]):
            return i
        defined |= set(cell["defines"])
    return None


def _notebooks(rng: torch.Generator) -> list[Case]:
    names = [f"v{i}" for i in range(10)]
    random_cells, made = [], []
    for _ in range(12):
        uses = [made[int(i)] for i in torch.randint(0, len(made), (min(2, len(made)),), generator=rng)] if made else []
        new = names[int(torch.randint(0, len(names), (1,), generator=rng))]
        random_cells.append(_cell(sorted(set(uses)), [new]))
        made.append(new)
    late = int(torch.randint(3, 11, (1,), generator=rng))
    random_cells[late]["uses"] = random_cells[late]["uses"] + ["model"]  # defined only further down the page
    random_cells[11]["defines"] = random_cells[11]["defines"] + ["model"]
    return [
        Case("three cells in order", [_cell([], ["df"]), _cell(["df"], ["X", "y"]), _cell(["X", "y"], ["model"])]),
        Case("a cell that uses a name defined further down the page",
             [_cell([], ["df"]), _cell(["df", "bins"], ["fig"]), _cell([], ["bins"])]),
        Case("count = count + 1: a cell that uses the name it defines",
             [_cell([], ["df"]), _cell(["count"], ["count"]), _cell(["df", "bins"], ["fig"]), _cell([], ["bins"])]),
        Case("a name whose cell was deleted", [_cell([], ["df"]), _cell(["df"], ["X"]), _cell(["X", "scaler"], [])]),
        Case("an empty notebook", []),
        Case("a notebook of 12 cells", random_cells),
    ]


@mistake("notebook-order-ignored")
def _order_ignored(case: Case, got: object, want: object) -> str | None:
    wrong = _run_all(case.args[0], anywhere=True)
    if wrong != want and matches(got, wrong):
        return (f"Cell {want} uses a name that only a cell further down the page defines. Your kernel has it "
                "because you ran that cell earlier, but restart and run all goes from the top with an empty "
                "kernel: only the cells above count.")
    return None


@mistake("notebook-own-definitions")
def _own_first(case: Case, got: object, want: object) -> str | None:
    wrong = _run_all(case.args[0], own_first=True)
    if wrong != want and matches(got, wrong):
        return (f"Cell {want} uses a name before it defines it (count = count + 1 reads count first). A cell's own "
                "definitions only exist after it has run: check its uses against the cells above it alone.")
    return None


# ------------------------------------------------------------------ ignored


def _matches(path: str, pattern: str) -> bool:
    parts = path.split("/")
    if pattern.endswith("/"):
        return any(fnmatchcase(part, pattern[:-1]) for part in parts[:-1])  # a folder, at any depth
    return any(fnmatchcase(part, pattern) for part in parts)


def _ignored(paths: list[str], patterns: list[str]) -> list[bool]:
    return [any(_matches(path, pattern) for pattern in patterns) for path in paths]


LESSON = ["data/", "*.pt", ".ipynb_checkpoints/"]


def _trees(rng: torch.Generator) -> list[Case]:
    files = ["train.py", "notes.md", "model.pt", "data/prices.csv", "runs/7/best.pt", "config.yaml",
             "src/data.py", "metadata.json", "experiments/data/raw.csv", ".ipynb_checkpoints/explore-checkpoint.ipynb",
             "explore.ipynb", "weights.pth", ".env"]
    shuffled = [files[int(i)] for i in torch.randperm(len(files), generator=rng)]
    return [
        Case("the lesson's .gitignore on a small project",
             ["explore.py", "data/houses.csv", "model.pt", ".gitignore"], LESSON),
        Case("weights saved in a sub-folder", ["runs/3/last.pt", "runs/3/log.txt", "train.py"], LESSON),
        Case("names that only contain 'data'", ["src/data.py", "metadata.json", "data/a.csv"], LESSON),
        Case("a data folder inside another folder", ["experiments/data/raw.csv", "experiments/plot.py"], LESSON),
        Case("a file named like an ignored folder", ["data", "notes/data"], ["data/"]),
        Case("a project tree and a longer .gitignore", shuffled, LESSON + [".env", "*.pth"]),
    ]


def _flags(got: object, count: int) -> list[bool] | None:
    """The answer as a list of booleans, or None when it is not one per path."""
    try:
        flags = [bool(v) for v in got]  # type: ignore[union-attr]
    except TypeError:
        return None
    return flags if len(flags) == count else None


@mistake("gitignore-substring")
def _substring(case: Case, got: object, want: object) -> str | None:
    paths, patterns = case.args
    flags = _flags(got, len(paths))
    cores = [p.strip("*/") for p in patterns]
    for path, g, w in zip(paths, flags or [], want):
        if g and not w and any(core and core in path for core in cores):
            return (f"You ignored {path!r} because a pattern's text appears in it. Git compares a pattern with whole "
                    "names: data/ is a folder named exactly data, and *.pt a name that ends with .pt. Compare each "
                    "part of the path (fnmatch), not the text inside it.")
    return None


def _at_top(path: str, pattern: str) -> bool:
    """The pattern matches the path's first part: a top folder (for data/) or a file at the top (for *.pt)."""
    parts = path.split("/")
    if pattern.endswith("/"):
        return len(parts) > 1 and fnmatchcase(parts[0], pattern[:-1])
    return len(parts) == 1 and fnmatchcase(parts[0], pattern)


@mistake("gitignore-top-level-only")
def _top_level(case: Case, got: object, want: object) -> str | None:
    paths, patterns = case.args
    flags = _flags(got, len(paths))
    for path, g, w in zip(paths, flags or [], want):
        if w and not g and not any(_at_top(path, p) for p in patterns):
            return (f"You kept {path!r}: your patterns only match at the top of the project. A pattern without a "
                    "slash in its middle matches at any depth: data/ ignores every folder named data, and *.pt "
                    "every .pt file, in whatever sub-folder.")
    return None


# ------------------------------------------------------------------ next_commit


def _snapshot(head: dict, worktree: dict, added: list[str], all_tracked: bool, *, untracked: bool = False,
              keep_deleted: bool = False) -> dict[str, str]:
    staged = set(added) | (set(head) if all_tracked else set())
    if all_tracked and untracked:
        staged |= set(worktree)
    snapshot = dict(head)
    for path in staged:
        if path in worktree:
            snapshot[path] = worktree[path]
        elif not keep_deleted:
            snapshot.pop(path, None)
    return snapshot


def _repositories(rng: torch.Generator) -> list[Case]:
    v1, v2 = "plt.hist(prices, bins=50)\n", "plt.hist(np.log(prices), bins=50)\n"
    ignore = "data/\n*.pt\n.ipynb_checkpoints/\n"
    files = {f"f{i}.py": f"print({i})\n" for i in range(8)}
    edited = {path: text + "# edited\n" for path, text in files.items()}
    keep = [path for path, i in zip(files, torch.randint(0, 3, (8,), generator=rng).tolist()) if i]
    worktree = {path: edited[path] for path in keep} | {"new.py": "print('new')\n"}
    chosen = [path for path, i in zip(sorted(files), torch.randint(0, 2, (8,), generator=rng).tolist()) if i]
    return [
        Case("one edited file, added", {"explore.py": v1, ".gitignore": ignore},
             {"explore.py": v2, ".gitignore": ignore}, ["explore.py"], False),
        Case("an edited file that was not added", {"explore.py": v1, "train.py": "fit()\n"},
             {"explore.py": v2, "train.py": "fit(epochs=20)\n"}, ["explore.py"], False),
        Case("git commit -a with a new file nobody added", {"explore.py": v1},
             {"explore.py": v2, "notes.md": "try a log scale\n"}, [], True),
        Case("git commit -a after deleting a tracked file", {"explore.py": v1, "old.py": "x = 1\n"},
             {"explore.py": v2}, [], True),
        Case("a deleted file, added (as git rm does)", {"explore.py": v1, "old.py": "x = 1\n"},
             {"explore.py": v1}, ["old.py"], False),
        Case("nothing added", {"explore.py": v1}, {"explore.py": v2, "notes.md": "idea\n"}, [], False),
        Case("8 tracked files: some edited, some deleted, one new; some added", files, worktree,
             sorted(set(chosen) | {"new.py"}), bool(torch.randint(0, 2, (1,), generator=rng))),
    ]


def _next_commit(head: dict, worktree: dict, added: list[str], all_tracked: bool) -> dict[str, str]:
    return _snapshot(head, worktree, added, all_tracked)


@mistake("commit-takes-worktree")
def _takes_worktree(case: Case, got: object, want: object) -> str | None:
    worktree = case.args[1]
    if worktree != want and matches(got, worktree):
        return ("Your commit holds every file as it is on disk. git commit records only what was staged: the files "
                "you git add (or, with -a, the files Git already tracks). Start from the last commit and replace "
                "only the staged paths.")
    return None


@mistake("commit-a-takes-untracked")
def _a_untracked(case: Case, got: object, want: object) -> str | None:
    wrong = _snapshot(*case.args, untracked=True)
    if wrong != want and matches(got, wrong):
        new = sorted(set(wrong) - set(want))
        return (f"Your commit -a took {new}, a file Git does not track yet. -a stages the changes and deletions "
                "of tracked files only; a new file goes in after git add, and git status lists it as untracked.")
    return None


@mistake("commit-keeps-deleted")
def _keeps_deleted(case: Case, got: object, want: object) -> str | None:
    wrong = _snapshot(*case.args, keep_deleted=True)
    if wrong != want and matches(got, wrong):
        gone = sorted(set(wrong) - set(want))
        return (f"Your snapshot still holds {gone}, deleted from the working tree and staged (by git add of the "
                "path, or by -a). Staging a deletion removes the file from the next commit; its old versions stay "
                "in the history.")
    return None


EXERCISES = [
    Exercise("first_failure", _notebooks, reference=_run_all, mistakes=[_order_ignored, _own_first]),
    Exercise("ignored", _trees, reference=_ignored, mistakes=[_substring, _top_level]),
    Exercise("next_commit", _repositories, reference=_next_commit,
             mistakes=[_a_untracked, _takes_worktree, _keeps_deleted]),
]
