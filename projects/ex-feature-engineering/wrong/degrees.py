"""The angle in degrees, handed to functions that take radians."""

import torch


def hour_features(hours):
    angle = 360 * hours / 24
    return torch.stack([torch.sin(angle), torch.cos(angle)], dim=1)
