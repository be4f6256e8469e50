"""Ranks the whole pool, examples already asked included."""


def most_uncertain(probs, asked, n):
    entropy = -torch.special.xlogy(probs, probs).sum(dim=1)
    return entropy.topk(n).indices
