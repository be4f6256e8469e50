"""dlpath's version: the one place it is written (pyproject.toml reads it from here).

It imports nothing: `dlpath/__init__.py` imports it before `python -m dlpath` can clean `sys.path`."""

__all__ = ["__version__"]

__version__ = "0.1.0"
