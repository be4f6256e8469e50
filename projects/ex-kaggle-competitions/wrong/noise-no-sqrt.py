"""The noise of the public score without the square root: a variance, not a standard error."""

import torch


def leaderboard_lead(public, private, n_public):
    best = int(torch.argmax(public))
    p = float(public.mean())
    return (float(public[best] - public.mean()), float(private[best] - private.mean()),
            1.96 * p * (1 - p) / n_public)
