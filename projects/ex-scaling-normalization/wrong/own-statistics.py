"""Each table standardized with its own statistics."""


def standardize(train, other):
    return tuple(_apply(t, t.mean(dim=0), t.std(dim=0, correction=0)) for t in (train, other))
