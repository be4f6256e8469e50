"""Matches the patterns against the path from its start only."""

from fnmatch import fnmatch


def ignored(paths, patterns):
    out = []
    for path in paths:
        hit = False
        for pattern in patterns:
            if pattern.endswith("/"):
                hit = hit or path.startswith(pattern)
            else:
                hit = hit or ("/" not in path and fnmatch(path, pattern))
        out.append(hit)
    return out
