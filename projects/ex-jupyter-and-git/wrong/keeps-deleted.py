"""Updates the staged files that still exist, but never removes a deleted one."""


def next_commit(head, worktree, added, all_tracked):
    staged = set(added)
    if all_tracked:
        staged |= set(head)
    snapshot = dict(head)
    for path in staged:
        if path in worktree:
            snapshot[path] = worktree[path]
    return snapshot
