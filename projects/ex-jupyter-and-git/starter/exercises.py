"""Restart and run all, what a .gitignore keeps out, what the next commit records (lesson: jupyter-and-git).

Write the three functions below, then grade them from this folder:

    dlpath check

The grader calls them on notebooks, project trees and repositories you have not seen, and
compares with what Jupyter and Git would do.
"""

from fnmatch import fnmatch


def first_failure(cells):
    """The first cell that fails when you restart the kernel and run all cells.

    cells: the notebook's code cells from top to bottom, each a dict {"uses": [names it reads],
    "defines": [names it assigns]} (a cell reads its names before it assigns any: x = x + 1
    uses x and defines x). A cell fails when it uses a name that no cell above it defined.
    Returns the index of the first cell that fails (counting from 0), or None if every cell
    runs.
    """
    # TODO: run the page from the top with an empty kernel, remembering what is defined so far.
    raise NotImplementedError("first_failure is not written yet")


def ignored(paths, patterns):
    """Which paths a .gitignore keeps out of version control.

    paths: file paths relative to the project, with "/" between folders ("runs/3/best.pt").
    patterns: the .gitignore's lines, each either a name pattern such as "*.pt" or ".env" (it
    matches a file or folder name at any depth) or a folder pattern such as "data/" (it
    matches a folder of that name at any depth, never a file). Returns a list of booleans, one
    per path: True when some pattern matches the path's file name or one of its folders.
    """
    # TODO: compare each pattern with each part of the path, not with the path's text as a whole.
    raise NotImplementedError("ignored is not written yet")


def next_commit(head, worktree, added, all_tracked):
    """The snapshot the next git commit records.

    head: the last commit's snapshot, a dict {path: content}. worktree: the files on disk now,
    {path: content} (a deleted file is absent). added: the paths you ran git add on (a deleted
    path counts: it stages the deletion). all_tracked: True for git commit -a, which also stages
    every change and deletion of the files head tracks. Returns the new snapshot {path: content}.
    """
    # TODO: start from the last commit and replace only what is staged.
    raise NotImplementedError("next_commit is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
