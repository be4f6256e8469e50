"""Read a run's log back, and compare two settings over seeds (lesson: experiment-tracking): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import json

import torch


def last_logged(jsonl, key):
    """(epoch, value) of the last record holding key, or None."""
    found = None
    for line in jsonl.splitlines():
        if not line.strip():
            continue  # a blank line is not a record
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # half a line: the run crashed while writing it
        if key in record:  # validation may be logged only every few epochs
            found = (record["epoch"], record[key])
    return found


def compare_runs(losses_a, losses_b):
    """(verdict, gap, spread): "a", "b", "noise" or "too few seeds"."""
    gap = (losses_a.mean() - losses_b.mean()).item()  # > 0: b has the lower loss
    # np.std divides by n; torch's default .std() divides by n - 1 (and gives nan for one seed)
    spread = max(losses_a.std(correction=0).item(), losses_b.std(correction=0).item())
    if len(losses_a) < 2 or len(losses_b) < 2:
        verdict = "too few seeds"  # one run cannot show the seed-to-seed spread
    elif abs(gap) <= spread:
        verdict = "noise"  # smaller than what changing the seed alone does
    else:
        verdict = "b" if gap > 0 else "a"
    return verdict, gap, spread


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
