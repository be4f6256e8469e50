"""Keeps skills named by more than half of the postings, losing those named by exactly half."""


def skills_to_learn(counts, n_postings, have):
    owned = {h.lower() for h in have}
    wanted = [s for s, c in counts.items() if c > n_postings / 2 and s.lower() not in owned]
    return sorted(wanted, key=lambda s: (-counts[s], s.lower()))
