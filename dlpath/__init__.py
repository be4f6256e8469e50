"""dlpath: a command-line tutor from zero to a deep-learning specialization."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
