"""Counts a name as defined if any cell of the notebook defines it, above or below."""


def first_failure(cells):
    everywhere = {name for cell in cells for name in cell["defines"]}
    for i, cell in enumerate(cells):
        if any(name not in everywhere for name in cell["uses"]):
            return i
    return None
