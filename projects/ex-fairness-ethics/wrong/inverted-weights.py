"""Weights P(g, y) / (P(g) P(y)): the reweighing formula upside down."""

import torch


def reweighing(group, y):
    weight = torch.empty(len(y), dtype=torch.float64)
    for cell, p_g, p_y, p_gy in _cells(group, y):
        weight[cell] = p_gy / (p_g * p_y)
    return weight
