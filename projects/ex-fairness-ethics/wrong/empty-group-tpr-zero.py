"""Gives a group with no positive label a TPR of 0 (max(t.sum(), 1), as rates_by_group does)."""


def fairness_gaps(y_true, y_pred, group):
    positive_rates, tprs = [], []
    for g in group.unique().tolist():
        m = group == g
        t, p = y_true[m].bool(), y_pred[m].bool()
        positive_rates.append(p.float().mean().item())
        tprs.append((p & t).sum().item() / max(t.sum().item(), 1))
    return _spread(positive_rates), _spread(tprs)
