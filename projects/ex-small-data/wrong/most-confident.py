"""Takes the lowest entropies: the surest predictions."""


def most_uncertain(probs, asked, n):
    entropy = -torch.special.xlogy(probs, probs).sum(dim=1)
    entropy = entropy.masked_fill(asked, float("inf"))
    return entropy.argsort()[:n]
