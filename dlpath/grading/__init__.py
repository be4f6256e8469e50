"""Grading a learner's project: the runner (parent), the harness (child), task kinds, thresholds, diagnoses."""
