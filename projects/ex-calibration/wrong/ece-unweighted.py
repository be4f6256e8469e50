"""Averages the filled bins' gaps, each bin counting the same."""

reliability_table_right = reliability_table  # the solution's table, before this file replaces it

def reliability_table(probs, labels, bins):
    counts, confidence, accuracy, _ = reliability_table_right(probs, labels, bins)
    filled = counts > 0
    return counts, confidence, accuracy, (confidence - accuracy)[filled].abs().mean().item()
