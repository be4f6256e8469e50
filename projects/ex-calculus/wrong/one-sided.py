"""Divides by the second gradient's norm only: the order matters."""


def relative_error(a, b):
    if float(b.norm()) == 0.0:
        return 0.0 if float(a.norm()) == 0.0 else 1.0
    return float((a - b).norm() / b.norm())
