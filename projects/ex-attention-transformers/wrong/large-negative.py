"""-1e9 instead of -inf: a query that may look at nothing averages every value."""


def attention(q, k, v, mask):
    scores = (q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5).masked_fill(~mask, -1e9)
    return scores.softmax(dim=-1) @ v
