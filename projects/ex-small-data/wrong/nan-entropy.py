"""p * log(p), which is nan where p is 0."""


def most_uncertain(probs, asked, n):
    entropy = -(probs * probs.log()).sum(dim=1)
    entropy = entropy.masked_fill(asked, float("-inf"))
    return entropy.argsort(descending=True)[:n]
