"""Picks the lower mean, however small the gap and however few the seeds."""


def compare_runs(losses_a, losses_b):
    gap = (losses_a.mean() - losses_b.mean()).item()
    spread = max(losses_a.std(correction=0).item(), losses_b.std(correction=0).item())
    return ("b" if gap > 0 else "a"), gap, spread
