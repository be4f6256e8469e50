"""Takes target / a instead of a / target."""


def size_for_loss(a, b, target):
    return (target / a) ** (1 / b)
