"""Compares the best seed of each setting."""


def compare_runs(losses_a, losses_b):
    gap = (losses_a.min() - losses_b.min()).item()
    spread = max(losses_a.std(correction=0).item(), losses_b.std(correction=0).item())
    if len(losses_a) < 2 or len(losses_b) < 2:
        return "too few seeds", gap, spread
    if abs(gap) <= spread:
        return "noise", gap, spread
    return ("b" if gap > 0 else "a"), gap, spread
