"""Measure fairness by group, then mitigate it two ways (lesson: fairness-ethics).

A reference solution. Grade it from this folder with:

    dlpath check
"""

import torch


def _spread(rates):
    """The largest minus the smallest of a list of rates; 0 with fewer than two."""
    return max(rates) - min(rates) if len(rates) > 1 else 0.0


def fairness_gaps(y_true, y_pred, group):
    """(parity gap, opportunity gap): the spreads of the positive rate and of the TPR across groups."""
    positive_rates, tprs = [], []
    for g in group.unique().tolist():  # every group, whatever its id
        m = group == g
        positive_rates.append(y_pred[m].float().mean().item())
        positives = m & (y_true == 1)
        if positives.any():  # a group with no positive label has no TPR: leave it out, not 0
            tprs.append(y_pred[positives].float().mean().item())
    return _spread(positive_rates), _spread(tprs)


def _cells(group, y):
    """Each (group, label) cell that has rows: its mask, then P(g), P(y) and P(g, y) as shares of the rows."""
    for g in group.unique().tolist():
        for label in y.unique().tolist():
            cell = (group == g) & (y == label)
            if cell.any():
                yield cell, (group == g).double().mean(), (y == label).double().mean(), cell.double().mean()


def reweighing(group, y):
    """P(g) P(y) / P(g, y) for each row's cell (shares, not counts); shape (N,)."""
    weight = torch.empty(len(y), dtype=torch.float64)
    for cell, p_g, p_y, p_gy in _cells(group, y):
        weight[cell] = p_g * p_y / p_gy  # above 1 for a cell rarer than independence predicts
    return weight


def group_thresholds(scores, y_true, group, tpr):
    """(G,): for each group, its positives' score quantile at 1 - tpr, so a share tpr of them is above it."""
    out = []
    for g in torch.unique(group).tolist():
        positives = scores[(group == g) & (y_true == 1)]  # only the people who should be approved
        out.append(torch.quantile(positives, 1 - tpr))
    return torch.stack(out)


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
