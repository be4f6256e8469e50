"""Leaves out the skills you have only when they are spelled in the same case."""


def skills_to_learn(counts, n_postings, have):
    wanted = [s for s, c in counts.items() if 2 * c >= n_postings and s not in have]
    return sorted(wanted, key=lambda s: (-counts[s], s.lower()))
