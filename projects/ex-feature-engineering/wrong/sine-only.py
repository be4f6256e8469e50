"""Only the sine of the angle."""

import math

import torch


def hour_features(hours):
    return torch.sin(2 * math.pi * hours / 24)
