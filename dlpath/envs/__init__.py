"""What the learner's process may use, beside the data generators it never sees.

Environments that dlpath writes itself (no gym download): the worlds of the
reinforcement-learning projects, one module each (``gridworld``); plain Python,
torch-free and deterministic for a seed, so that the grader's judge can replay
fresh episodes from a hidden seed exactly as the learner's process plays its
training episodes. And the shipped pretrained weights' loader (``pretrained``)
and the CUDA kernel projects' problems (``kernel_problems``).
"""
