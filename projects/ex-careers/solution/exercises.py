"""Read job postings for the skills they share, and list what to learn next (lesson: careers).

A reference solution. Grade it from this folder with:

    dlpath check
"""

import re


def words(text):
    """The words of a text, lower-cased: runs of letters, digits, '+' and '#' ("C++" is a word)."""
    return re.findall(r"[a-z0-9+#]+", text.lower())


def _names(posting_words, skill_words):
    """Whether skill_words appear one after the other in posting_words (whole words only)."""
    n = len(skill_words)
    return any(posting_words[i:i + n] == skill_words for i in range(len(posting_words) - n + 1))


def skill_counts(postings, skills):
    """{skill: how many postings name it}; a posting counts once however often it names the skill."""
    tokenized = [words(p) for p in postings]
    return {skill: sum(_names(p, words(skill)) for p in tokenized) for skill in skills}


def skills_to_learn(counts, n_postings, have):
    """Skills named by at least half the postings and not in `have`, most asked first, then A to Z."""
    owned = {h.lower() for h in have}  # "pytorch" and "PyTorch" are the same skill
    wanted = [s for s, c in counts.items() if 2 * c >= n_postings and s.lower() not in owned]
    return sorted(wanted, key=lambda s: (-counts[s], s.lower()))


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
