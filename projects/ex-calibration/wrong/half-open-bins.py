"""Bins closed on the left, lo <= conf < hi: a confidence of 1 falls in no bin."""


def reliability_table(probs, labels, bins):
    conf, pred = probs.max(dim=1)
    correct = (pred == labels).float()
    counts, confidence, accuracy = torch.zeros(bins, dtype=torch.int64), torch.zeros(bins), torch.zeros(bins)
    ece = 0.0
    for b in range(bins):
        inside = (conf >= b / bins) & (conf < (b + 1) / bins)
        counts[b] = inside.sum()
        if counts[b]:
            confidence[b], accuracy[b] = conf[inside].mean(), correct[inside].mean()
            ece += counts[b].item() / len(labels) * (confidence[b] - accuracy[b]).abs().item()
    return counts, confidence, accuracy, ece
