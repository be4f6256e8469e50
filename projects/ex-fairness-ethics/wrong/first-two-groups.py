"""Compares the first two groups only, as in the lesson's two-group example."""


def fairness_gaps(y_true, y_pred, group):
    ids = group.unique().tolist()[:2]
    positive_rates, tprs = [], []
    for g in ids:
        m = group == g
        positive_rates.append(y_pred[m].float().mean().item())
        positives = m & (y_true == 1)
        if positives.any():
            tprs.append(y_pred[positives].float().mean().item())
    return _spread(positive_rates), _spread(tprs)
