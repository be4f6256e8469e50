"""dlpath: a command-line tutor from zero to a deep-learning specialization.

In a notebook, `dlpath.next()`, `dlpath.quiz(lesson)`, `dlpath.check(path)` and
`dlpath.gpu()` show the same reports as the commands (see `dlpath.notebook`). They are loaded on
first use, so that `import dlpath` (and every command's start) stays light.

This module is the package's face for people, not a layer: no module of the
package imports names from it (the version is `dlpath.version`). It imports
nothing from the standard library: under `python -m dlpath`, it runs before
`__main__` can take the working folder (a learner's project folder) off
`sys.path`, and a `typing.py` or `__future__.py` there would run in dlpath's
own process.
"""

from dlpath.version import __version__

__all__ = ["__version__", "next", "quiz", "check", "gpu"]


def __getattr__(name: str):  # -> Any (typing is not imported here: see above)
    if name in ("next", "quiz", "check", "gpu"):
        from dlpath import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'dlpath' has no attribute {name!r}")
