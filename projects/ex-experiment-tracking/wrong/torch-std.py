"""torch's default .std(), which divides by n - 1."""


def compare_runs(losses_a, losses_b):
    gap = (losses_a.mean() - losses_b.mean()).item()
    spread = max(losses_a.std().item(), losses_b.std().item())
    if len(losses_a) < 2 or len(losses_b) < 2:
        return "too few seeds", gap, spread
    if abs(gap) <= spread:
        return "noise", gap, spread
    return ("b" if gap > 0 else "a"), gap, spread
