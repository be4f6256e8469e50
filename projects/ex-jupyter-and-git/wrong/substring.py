"""Looks for the pattern's text inside the path."""


def ignored(paths, patterns):
    return [any(pattern.strip("*/") in path for pattern in patterns) for path in paths]
