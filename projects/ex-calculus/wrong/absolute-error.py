"""The absolute difference, with no scale."""


def relative_error(a, b):
    return float((a - b).norm())
