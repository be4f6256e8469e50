"""What an exercise must not use ("do not call torch.softmax"), found in the learner's files before they run.

An exercise of project.yaml may declare ``forbid:`` (dotted names: ``torch.softmax``,
``torch.nn.functional.linear``, ``torch.autograd``) and ``instead:`` (docs/project-format.md,
"Exercises"). Two checks read it:

- **the sources** (authoritative): the judge parses the learner's Python files as the parent read
  them before the learner's code ran (``JudgeContext.sources``) and looks for the last part of each
  declared name (``softmax``) in every spelling that reaches it: an attribute (``torch.softmax``,
  ``F.softmax`` after ``import torch.nn.functional as F``, ``x.softmax(...)``,
  ``torch.Tensor.softmax``), an import (``from torch import softmax as s``, ``import torch.autograd
  as ag``, ``from torch.nn.functional import *``), or a text naming it (``getattr(x, "softmax")``,
  ``importlib.import_module("torch.autograd")``). A name the learner defines itself (its own
  ``softmax``) is not one of these. A use inside another exercise's function, which does not forbid
  it, does not count; anywhere else (a helper, module level, another file) it counts. A Python file
  the grader could not read or parse counts too: the grader cannot vouch for it;
- **the learner's process** (``runtime_names``): while the exercise's function runs, a
  ``TorchFunctionMode`` notes which of the forbidden names torch dispatched (``torch.softmax``,
  ``x.softmax``, ``torch.ops.aten._softmax`` alike). That process is the learner's, which can take
  the mode off, so this check can only add a refusal, never lift one.

Names built at run time (``getattr(torch, "soft" + "max")``, ``eval``) escape the first check; the
second sees them when torch dispatches them. It is a rule for learning, not a security boundary.
Only ``runtime_names`` imports torch (the judge's reading of the sources needs none).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["ForbiddenUse", "key", "keys", "parse_sources", "find_uses", "runtime_names"]

_DOTTED_TEXT = re.compile(r"^[A-Za-z_][\w.]*$")


@dataclass(frozen=True)
class ForbiddenUse:
    """One use of a forbidden name found in the learner's files."""

    name: str  #: the name as project.yaml declares it ("torch.softmax")
    written: str  #: as the source writes it ("F.softmax", "from torch import softmax as s")
    file: str  #: the file, relative to the learner's folder
    line: int  #: its line (0: the whole file, not read)
    function: str | None = None  #: the top-level function of the entry file it is in, if any


def key(name: str) -> str:
    """What a declared name is compared by: its last part, without leading underscores or a ``special_``
    prefix (``torch.special.logsumexp``, ``torch._softmax`` and ``torch.softmax`` give ``logsumexp``,
    ``softmax``, ``softmax``)."""
    return _plain(name.split(".")[-1])


def _plain(part: str) -> str:
    part = part.lstrip("_")
    return part[len("special_"):] if part.startswith("special_") else part


def keys(forbid: Iterable[str]) -> dict[str, str]:
    """{key: the declared name} for an exercise's ``forbid``."""
    return {key(name): name for name in forbid}


def parse_sources(sources: Any) -> tuple[dict[str, ast.AST], dict[str, str]]:
    """The learner's Python files (``dlpath.grading.sources.Sources``) parsed, by path, and those the grader
    cannot vouch for (path -> why): not read (a link, too large) or not parsed."""
    trees: dict[str, ast.AST] = {}
    unread = {str(k): str(v) for k, v in sources.unread.items()}
    for name, data in sorted(sources.files.items()):
        try:
            trees[name] = ast.parse(data, filename=name)
        except (SyntaxError, ValueError, LookupError, UnicodeError, RecursionError, MemoryError) as exc:
            unread[name] = f"it does not parse: {type(exc).__name__}"
    return trees, unread


def find_uses(trees: Mapping[str, ast.AST], unread: Mapping[str, str], forbid: Sequence[str], entry: str,
              exercise: str, exercises: Iterable[str]) -> list[ForbiddenUse]:
    """The uses of ``forbid`` that count against ``exercise`` in the learner's parsed files (``trees``, by path;
    ``unread``: path -> why a file was not read or parsed), ``entry`` being exercises.py and ``exercises`` the
    names of all the folder's functions."""
    wanted = keys(forbid)
    if not wanted:
        return []
    others = set(exercises) - {exercise}
    out = [ForbiddenUse(next(iter(wanted.values())), f"a file the grader could not read ({why})", name, 0)
           for name, why in sorted(unread.items())]
    own = {name.replace("\\", "/").split("/")[0].removesuffix(".py") for name in [*trees, *unread]}
    own -= {n.split(".")[0] for n in forbid} | {"torch", "functorch"}  # a torch.py beside it is no excuse
    for name, tree in sorted(trees.items()):
        spans = _functions(tree) if name == entry else []
        for line, written, k in _uses(tree, wanted, own):
            inside = next((f for f, start, end in spans if start <= line <= end), None)
            if inside in others:
                continue  # another exercise's own code, which may use it
            out.append(ForbiddenUse(wanted[k], written, name, line, inside))
    return out


def _functions(tree: ast.AST) -> list[tuple[str, int, int]]:
    return [(node.name, node.lineno, getattr(node, "end_lineno", node.lineno) or node.lineno)
            for node in getattr(tree, "body", []) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    parts.append(node.id if isinstance(node, ast.Name) else "(...)")
    return ".".join(reversed(parts))


def _uses(tree: ast.AST, wanted: Mapping[str, str], own: set[str]) -> list[tuple[int, str, str]]:
    """(line, as written, key) of every use of a wanted key in one file (``own``: the learner's own modules, whose
    names may match: a helper's ``softmax`` imported from ``helpers`` is the learner's, not torch's)."""
    found: list[tuple[int, str, str]] = []
    imported: dict[str, str] = {}  # a bare name bound by an import -> its key
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if isinstance(node, ast.ImportFrom) and (node.level or module.split(".")[0] in own):
                continue  # the learner's own module
            for alias in node.names:
                path = f"{module}.{alias.name}" if module else alias.name
                if alias.name == "*":
                    if module.split(".")[0] in ("torch", "functorch"):
                        found += [(node.lineno, f"from {module} import *", k) for k in wanted]
                    continue
                hits = [k for k in wanted if k in {key(p) for p in path.split(".")}]
                written = (f"from {module} import {alias.name}" if module else f"import {alias.name}") + (
                    f" as {alias.asname}" if alias.asname else "")
                found += [(node.lineno, written, k) for k in hits]
                bound = alias.asname or alias.name.split(".")[0]
                if key(alias.name) in wanted and (module or alias.asname):
                    imported[bound] = key(alias.name)
        elif isinstance(node, ast.Attribute) and key(node.attr) in wanted:
            found.append((node.lineno, _dotted(node), key(node.attr)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _DOTTED_TEXT.match(node.value):
            for part in node.value.split("."):
                if key(part) in wanted:
                    found.append((node.lineno, repr(node.value), key(part)))
                    break
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in imported and isinstance(node.ctx, ast.Load):
            found.append((node.lineno, f"{node.id}, the imported {imported[node.id]}", imported[node.id]))
    return sorted(set(found))


def runtime_names(forbid: Iterable[str]) -> Any:
    """A context manager for the learner's process: while it is open, its ``hits`` (a set) collects the
    forbidden keys that torch dispatched (this imports torch: call it there only)."""
    from torch.overrides import TorchFunctionMode

    wanted = set(keys(forbid))

    class Recorder(TorchFunctionMode):
        def __init__(self) -> None:
            super().__init__()
            self.hits: set[str] = set()

        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            name = _plain(str(getattr(func, "__name__", "") or "").split(".")[0])  # "_softmax.default"
            if name in wanted:
                self.hits.add(name)
            return func(*args, **(kwargs or {}))

    return Recorder()
