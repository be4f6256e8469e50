"""Puts the columns in alphabetical order instead of the categories' order."""

import torch


def one_hot(values, categories):
    ordered = sorted(categories)
    out = torch.zeros(len(values), len(ordered))
    for row, value in enumerate(values):
        if value in ordered:
            out[row, ordered.index(value)] = 1.0
    return out
