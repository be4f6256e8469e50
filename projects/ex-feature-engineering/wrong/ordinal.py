"""One number per row, the category's position: an ordinal code."""

import torch


def one_hot(values, categories):
    return torch.tensor([categories.index(v) if v in categories else -1 for v in values], dtype=torch.float32)
