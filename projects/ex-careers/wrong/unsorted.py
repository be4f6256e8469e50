"""Returns the right skills in the order of the counts dict, unsorted."""


def skills_to_learn(counts, n_postings, have):
    owned = {h.lower() for h in have}
    return [s for s, c in counts.items() if 2 * c >= n_postings and s.lower() not in owned]
