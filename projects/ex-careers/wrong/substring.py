"""Looks for each skill as a piece of the posting's text, not as whole words."""


def skill_counts(postings, skills):
    return {skill: sum(skill.lower() in p.lower() for p in postings) for skill in skills}
