"""Calls the higher mean the winner, as for an accuracy."""


def compare_runs(losses_a, losses_b):
    gap = (losses_a.mean() - losses_b.mean()).item()
    spread = max(losses_a.std(correction=0).item(), losses_b.std(correction=0).item())
    if len(losses_a) < 2 or len(losses_b) < 2:
        return "too few seeds", gap, spread
    if abs(gap) <= spread:
        return "noise", gap, spread
    return ("a" if gap > 0 else "b"), gap, spread
