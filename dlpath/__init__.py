"""dlpath: a command-line tutor from zero to a deep-learning specialization.

In a notebook, `dlpath.next()`, `dlpath.quiz(lesson)`, `dlpath.check(path)` and
`dlpath.gpu()` show the same reports as the commands (see `dlpath.notebook`). They are loaded on
first use, so that `import dlpath` (and every command's start) stays light.

This module is the package's face for people, not a layer: no module of the
package imports names from it (the version is `dlpath.version`).
"""

from __future__ import annotations

from typing import Any

from dlpath.version import __version__

__all__ = ["__version__", "next", "quiz", "check", "gpu"]


def __getattr__(name: str) -> Any:
    if name in ("next", "quiz", "check", "gpu"):
        from dlpath import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'dlpath' has no attribute {name!r}")
