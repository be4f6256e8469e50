"""Takes the mean of every bin, empty or not: 0 / 0 = nan."""


def reliability_table(probs, labels, bins):
    conf, pred = probs.max(dim=1)
    correct = (pred == labels).float()
    counts, confidence, accuracy = torch.zeros(bins, dtype=torch.int64), torch.zeros(bins), torch.zeros(bins)
    for b in range(bins):
        inside = (conf > b / bins) & (conf <= (b + 1) / bins)
        counts[b] = inside.sum()
        confidence[b] = conf[inside].mean()
        accuracy[b] = correct[inside].mean()
    ece = (counts / len(labels) * (confidence - accuracy).abs()).sum().item()
    return counts, confidence, accuracy, ece
