"""LoRA, retrieval and evaluation, each in a few lines (lesson: llm-practice).

Write the four functions below, then grade them from this folder:

    dlpath check

The grader calls them on layers, embeddings and answers you have not seen (a rank of 1, layers
that are not square, a passage whose embedding is all zeros, an empty answer).
"""

import re
from collections import Counter

import torch


def lora_forward(x, weight, bias, A, B, alpha):
    """The output of a LoRA layer: W x + b + (alpha / r) * B A x, with W and b frozen.

    x: (..., d_in) inputs; weight: (d_out, d_in) and bias: (d_out,), the pretrained layer;
    A: (r, d_in) and B: (d_out, r), the adapter of rank r; alpha: a number.
    Returns a tensor of shape (..., d_out).
    """
    # TODO: the frozen layer's output, plus the adapter's: x through A, then B, scaled by alpha / r.
    raise NotImplementedError("lora_forward is not written yet")


def lora_parameter_count(d_in, d_out, r):
    """How many parameters a LoRA adapter of rank r trains on a d_in -> d_out linear layer.

    Returns (trainable, total), two ints: the adapter's parameters (A and B), and everything in
    the adapted layer (the frozen weight and bias, plus the adapter).
    """
    # TODO: count A's and B's entries from their shapes; then add the frozen weight and bias.
    raise NotImplementedError("lora_parameter_count is not written yet")


def top_k(query, passages, k):
    """The indices of the k passages most similar to the question, most similar first.

    query: a float tensor (d,), the question's embedding; passages: a float tensor (n, d), one
    embedding per passage; k: how many to return. Similarity is the cosine; a passage (or a
    query) whose embedding is all zeros has similarity 0 (as the lesson's cosine returns).
    Returns an int64 tensor of shape (min(k, n),).
    """
    # TODO: score every passage by the cosine of its angle with the query, then keep the k best
    # in order. Mind a zero vector (0 / 0) and a k larger than n.
    raise NotImplementedError("top_k is not written yet")


def words(text):
    """The normalized words of a text: lower-cased runs of letters and digits."""
    return re.findall(r"[a-z0-9]+", text.lower())


def answer_scores(prediction, reference):
    """Exact match and token F1 of a free-text answer against its reference.

    prediction, reference: strings. Both are normalized with words() first. exact_match is 1.0
    when the two lists of words are equal, else 0.0. f1 = 2 p r / (p + r), with p the share of
    the prediction's words found in the reference and r the share of the reference's words found
    in the prediction, counting repeated words as often as they occur in both. Both empty: (1.0,
    1.0); one empty or no word in common: f1 0.0.
    Returns (exact_match, f1), two floats.
    """
    # TODO: compare the normalized words for exact match; count the words the two share (with
    # their multiplicity, Counter(a) & Counter(b)) for precision, recall and F1.
    raise NotImplementedError("answer_scores is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
