"""Chooses the submission with the best private score."""

import math

import torch


def leaderboard_lead(public, private, n_public):
    best = int(torch.argmax(private))
    p = float(public.mean())
    return (float(public[best] - public.mean()), float(private[best] - private.mean()),
            1.96 * math.sqrt(p * (1 - p) / n_public))
