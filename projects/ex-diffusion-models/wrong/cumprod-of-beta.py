"""alpha_bar as the running product of the betas, not of 1 - beta."""

import torch


def signal_left(beta):
    return torch.cumprod(beta, dim=0)
