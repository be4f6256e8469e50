"""dlpath: a command-line tutor from zero to a deep-learning specialization.

In a notebook, `dlpath.next()`, `dlpath.check(path)` and `dlpath.gpu()` show
the same reports as the commands (see `dlpath.notebook`). They are loaded on
first use, so that `import dlpath` (and every command's start) stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__", "next", "check", "gpu"]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in ("next", "check", "gpu"):
        from dlpath import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'dlpath' has no attribute {name!r}")
