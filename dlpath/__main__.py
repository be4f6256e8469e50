"""`python -m dlpath` runs the command-line interface.

Python puts the working folder first on `sys.path` under `-m`. A project folder holds
what the learner's code wrote, and dlpath imports some modules only after a grade, so
the working folder is taken off before anything else is imported (dlpath itself is
already imported by then, from wherever Python found it).
"""

import sys

from dlpath.paths import import_path_without

if __name__ == "__main__":
    sys.path[:] = import_path_without([])
    from dlpath.cli import main

    main()
