"""Divides by 23, the largest hour, instead of 24."""

import math

import torch


def hour_features(hours):
    angle = 2 * math.pi * hours / 23
    return torch.stack([torch.sin(angle), torch.cos(angle)], dim=1)
