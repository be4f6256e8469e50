"""Restart and run all, what a .gitignore keeps out, what the next commit records (lesson: jupyter-and-git): a reference solution.

Grade it from this folder with:

    dlpath check
"""

from fnmatch import fnmatch


def first_failure(cells):
    """The index of the first cell that uses a name no cell above defined, or None."""
    defined = set()  # a fresh kernel knows nothing
    for i, cell in enumerate(cells):
        if any(name not in defined for name in cell["uses"]):  # its own definitions come too late
            return i
        defined.update(cell["defines"])
    return None


def ignored(paths, patterns):
    """One boolean per path: does some pattern match its file name or one of its folders?"""
    out = []
    for path in paths:
        *folders, name = path.split("/")
        hit = False
        for pattern in patterns:
            if pattern.endswith("/"):  # a folder pattern: any folder on the way, never the file
                hit = hit or any(fnmatch(folder, pattern[:-1]) for folder in folders)
            else:  # a name pattern: the file or any folder, at any depth
                hit = hit or any(fnmatch(part, pattern) for part in folders + [name])
        out.append(hit)
    return out


def next_commit(head, worktree, added, all_tracked):
    """The last commit with the staged paths replaced (or removed, when deleted)."""
    staged = set(added)
    if all_tracked:
        staged |= set(head)  # -a: every tracked file, but no new one
    snapshot = dict(head)
    for path in staged:
        if path in worktree:
            snapshot[path] = worktree[path]
        else:
            snapshot.pop(path, None)  # a staged deletion
    return snapshot


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
