"""One learner: the progress store (its migrations and export format), completion (the one place a
lesson is completed), recorded attempts, the roadmap views, the dated plan, quizzes, spaced review,
the portfolio and hints.
"""
