"""Counts every mention of a skill, not the postings that name it."""


def skill_counts(postings, skills):
    counts = {}
    for skill in skills:
        s = words(skill)
        counts[skill] = sum(p[i:i + len(s)] == s for p in map(words, postings) for i in range(len(p) - len(s) + 1))
    return counts
