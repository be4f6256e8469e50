"""The lesson's attention with a mask: nan for a query that may look at nothing."""


def attention(q, k, v, mask):
    scores = (q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5).masked_fill(~mask, float("-inf"))
    return scores.softmax(dim=-1) @ v
