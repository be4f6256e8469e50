"""commit -a that also takes the new files nobody added."""


def next_commit(head, worktree, added, all_tracked):
    staged = set(added)
    if all_tracked:
        staged |= set(head) | set(worktree)
    snapshot = dict(head)
    for path in staged:
        if path in worktree:
            snapshot[path] = worktree[path]
        else:
            snapshot.pop(path, None)
    return snapshot
