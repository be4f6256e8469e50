"""LoRA, retrieval and evaluation, each in a few lines (lesson: llm-practice).

A reference solution. Grade it from this folder with:

    dlpath check
"""

import re
from collections import Counter

import torch


def lora_forward(x, weight, bias, A, B, alpha):
    """(..., d_out): the frozen layer plus the low-rank change, scaled by alpha / r."""
    scale = alpha / A.shape[0]  # alpha / r: the adapter's size does not grow with its rank
    return x @ weight.T + bias + scale * (x @ A.T) @ B.T  # (..., r) then (..., d_out): no d_out x d_in product


def lora_parameter_count(d_in, d_out, r):
    """(trainable, total): A (r x d_in) and B (d_out x r) train; W (d_out x d_in) and b (d_out) are frozen."""
    trainable = r * d_in + d_out * r
    return trainable, trainable + d_out * d_in + d_out


def top_k(query, passages, k):
    """(min(k, n),) int64: passages by cosine similarity to the query, most similar first."""
    q = torch.nn.functional.normalize(query, dim=0)  # a zero vector stays zero: similarity 0, not nan
    p = torch.nn.functional.normalize(passages, dim=1)
    scores = p @ q  # (n,)
    return torch.topk(scores, min(k, len(scores))).indices


def words(text):
    """The normalized words of a text: lower-cased runs of letters and digits."""
    return re.findall(r"[a-z0-9]+", text.lower())


def answer_scores(prediction, reference):
    """(exact_match, f1) on normalized words; repeated words count as often as both have them."""
    got, want = words(prediction), words(reference)
    if not got or not want:
        return float(got == want), float(got == want)  # both empty: a perfect match; one empty: nothing
    common = sum((Counter(got) & Counter(want)).values())
    if common == 0:
        return 0.0, 0.0
    precision, recall = common / len(got), common / len(want)
    return float(got == want), 2 * precision * recall / (precision + recall)


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
