"""`python -m dlpath` runs the command-line interface."""

from dlpath.cli import main

if __name__ == "__main__":
    main()
