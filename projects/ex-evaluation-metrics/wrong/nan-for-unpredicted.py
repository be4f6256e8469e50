"""The textbook formulas, divided as they stand: 0 / 0 for a class never predicted."""


def precision_recall_f1(cm):
    cm = cm.double()
    tp = cm.diagonal()
    precision = tp / cm.sum(dim=0)
    recall = tp / cm.sum(dim=1)
    return precision, recall, 2 * precision * recall / (precision + recall)
