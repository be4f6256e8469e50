"""alpha_bar that starts at 1 (nothing removed yet) and so lags one step behind."""

import torch


def signal_left(beta):
    kept = torch.cumprod(1 - beta, dim=0)
    return torch.cat([torch.ones(1, dtype=beta.dtype), kept[:-1]])
