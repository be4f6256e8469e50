"""`python -m dlpath` runs the command-line interface.

Python puts the working folder first on `sys.path` under `-m`. A project folder holds
what the learner's code wrote, and dlpath imports some modules only after a grade, so
the working folder is taken off before anything else is imported (dlpath itself is
already imported by then, from wherever Python found it; its `__init__` imports nothing
from the standard library). On Python 3.10, `runpy` itself is not frozen and is looked
for in the working folder first: the `dlpath` command is the safe way to start it.
"""

import os
import sys

if __name__ == "__main__":
    # `sys` and `os` were loaded before Python looked at the working folder; nothing else is imported until it
    # is off the path (the same statement as `dlpath.paths.CLEAN_START`, which cannot be imported before it).
    _here = os.path.realpath(os.getcwd())
    sys.path[:] = [p for p in sys.path if p and os.path.realpath(p) != _here]
    from dlpath.cli import main

    main()
