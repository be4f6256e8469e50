"""Scaled dot-product attention with a mask, by hand (lesson: attention-transformers).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on queries, keys, values and masks you have not seen (batches, heads,
padding) and compares with the right answers. Do not call F.scaled_dot_product_attention: it
is what you are rebuilding (and it returns nan where a query may look at nothing); nor
nn.MultiheadAttention. The grader refuses them.
"""

import torch


def causal_mask(T):
    """Where each of T positions may look: a (T, T) bool tensor, True at [i, j] when j <= i.

    Position i may look at itself and every earlier position, never at a later one.
    """
    # TODO: True on and below the diagonal. (The lesson builds the opposite: the future to hide.)
    raise NotImplementedError("causal_mask is not written yet")


def attention(q, k, v, mask):
    """Scaled dot-product attention under a boolean mask.

    q: (..., Tq, d) queries; k: (..., Tk, d) keys; v: (..., Tk, dv) values; the leading axes
    (batch, heads) are the same for all three. mask: a bool tensor that broadcasts to
    (..., Tq, Tk), True where the query may look at the key (as F.scaled_dot_product_attention's
    boolean attn_mask). Returns (..., Tq, dv): for each query, the softmax-weighted average of
    the values, with scores q.k / sqrt(d). A query whose mask row is all False gets an output of
    zeros (no key to look at means no information, not nan).
    """
    # TODO: the lesson's attention, with the mask applied where it is False, and a decision about
    # queries that may look at nothing.
    raise NotImplementedError("attention is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
