"""Matches whole words, but in the case they are written."""

import re


def skill_counts(postings, skills):
    def tokens(text):
        return re.findall(r"[A-Za-z0-9+#]+", text)

    counts = {}
    for skill in skills:
        s = tokens(skill)
        counts[skill] = sum(any(p[i:i + len(s)] == s for i in range(len(p) - len(s) + 1))
                            for p in map(tokens, postings))
    return counts
