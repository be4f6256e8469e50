"""Scale with the training statistics only (lesson: scaling-normalization): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def _apply(table, shift, spread):
    """(table - shift) / spread, column by column; a spread of 0 (a constant column) divides by 1."""
    return (table - shift) / torch.where(spread > 0, spread, torch.ones_like(spread))


def standardize(train, other):
    """(train_scaled, other_scaled): z-scores with the training columns' mean and standard deviation."""
    mean, std = train.mean(dim=0), train.std(dim=0)  # (F,) each: fitted on train only
    return _apply(train, mean, std), _apply(other, mean, std)


def min_max_scale(train, other):
    """(train_scaled, other_scaled): the training minimum at 0 and maximum at 1, column by column."""
    low = train.min(dim=0).values  # (F,)
    spread = train.max(dim=0).values - low  # (F,)
    return _apply(train, low, spread), _apply(other, low, spread)  # no clipping: new rows may leave [0, 1]


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
