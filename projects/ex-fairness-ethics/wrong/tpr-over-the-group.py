"""Divides the true positives by the group's size instead of by its positives."""


def fairness_gaps(y_true, y_pred, group):
    positive_rates, tprs = [], []
    for g in group.unique().tolist():
        m = group == g
        t, p = y_true[m].bool(), y_pred[m].bool()
        positive_rates.append(p.float().mean().item())
        tprs.append((p & t).float().mean().item())
    return _spread(positive_rates), _spread(tprs)
