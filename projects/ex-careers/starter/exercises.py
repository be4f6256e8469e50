"""Read job postings for the skills they share, and list what to learn next (lesson: careers).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on postings you have not seen ("GitHub" beside "Git", "NoSQL" beside
"SQL", a skill named three times in one posting, skills of two words) and checks the answers.
"""

import re


def words(text):
    """The words of a text, lower-cased: runs of letters, digits, '+' and '#' ("C++" is a word)."""
    return re.findall(r"[a-z0-9+#]+", text.lower())


def skill_counts(postings, skills):
    """In how many of the postings each skill is named.

    postings: a list of strings, one job posting each. skills: a list of skill names ("Python",
    "Git", "computer vision", "C++").
    A posting names a skill when the skill's words (words(skill)) appear one after the other among
    the posting's words (words(posting)), in any case. Returns a dict {skill: number of postings
    that name it}, with every skill of the list as a key (0 when no posting names it).
    """
    # TODO: for each posting, turn it into words once; for each skill, look for its words as a
    # run of consecutive words. Count each posting at most once per skill.
    raise NotImplementedError("skill_counts is not written yet")


def skills_to_learn(counts, n_postings, have):
    """The skills at least half of the postings ask for that you do not have yet, most asked first.

    counts: a dict {skill: number of postings naming it}, as skill_counts returns; n_postings: how
    many postings were read; have: a list of the skills you already have, in any case ("pytorch").
    Returns a list of skill names (as counts spells them) with 2 * count >= n_postings and not
    among `have` (ignoring case), sorted by count, highest first, then alphabetically ignoring
    case.
    """
    # TODO: keep the skills asked by at least half of the postings that you lack, then sort them
    # so the most asked comes first.
    raise NotImplementedError("skills_to_learn is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
