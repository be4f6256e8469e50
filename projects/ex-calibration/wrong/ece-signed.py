"""Adds the bins' gaps with their signs."""

reliability_table_right = reliability_table  # the solution's table, before this file replaces it

def reliability_table(probs, labels, bins):
    counts, confidence, accuracy, _ = reliability_table_right(probs, labels, bins)
    return counts, confidence, accuracy, (counts / len(labels) * (confidence - accuracy)).sum().item()
