"""Cross-entropy from logits, and the KL divergence (lesson: loss-functions): a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch


def cross_entropy(logits, target):
    """0-d: mean over the batch of logsumexp(logits) - logits[target]."""
    m = logits.max(dim=1, keepdim=True).values  # (N, 1): subtract it so exp never overflows
    log_sum_exp = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))  # (N,)
    right = logits[torch.arange(len(target)), target]  # (N,): each example's logit for its right class
    return (log_sum_exp - right).mean()  # -log softmax(logits)[target], averaged


def kl_divergence(p, q):
    """(...): sum of p * log(p / q) over the last axis, 0 where p is 0."""
    terms = torch.where(p > 0, p * torch.log(p / q), torch.zeros_like(p))  # 0 * log 0 would be nan
    return terms.sum(dim=-1)


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
