"""Relative, but 0 / 0 for two zero gradients."""

import torch


def relative_error(a, b):
    return float((a - b).norm() / torch.maximum(a.norm(), b.norm()))
