"""Environments that dlpath writes itself (no gym download): the worlds of the reinforcement-learning projects.

One module per environment (``gridworld``). They are plain Python, torch-free and
deterministic for a seed, so that the grader's judge can replay fresh episodes
from a hidden seed exactly as the learner's process plays its training episodes.
"""
