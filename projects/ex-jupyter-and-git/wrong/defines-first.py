"""Adds a cell's own definitions before checking what it uses."""


def first_failure(cells):
    defined = set()
    for i, cell in enumerate(cells):
        defined.update(cell["defines"])
        if any(name not in defined for name in cell["uses"]):
            return i
    return None
