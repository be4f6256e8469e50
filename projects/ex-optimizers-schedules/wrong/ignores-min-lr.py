"""A cosine down to 0, whatever min_lr says."""

import math


def learning_rate(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return base_lr * (1 + math.cos(math.pi * progress)) / 2
