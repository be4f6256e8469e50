"""A vocabulary with unknown and padding ids, a padded mean of embeddings, and cosine neighbours
(lesson: embeddings-tokenization).

Write the three functions below, then grade them from this folder:

    dlpath check

The grader calls them on texts, ids and tables you have not seen (words never seen in training,
an empty text, a sentence of padding only, a padding row of zeros) and compares with the right
answers.
"""

from collections import Counter

import torch
import torch.nn.functional as F

PAD, UNK = 0, 1  # the two reserved ids: padding, and any word not in the vocabulary


def encode(train_texts, texts, min_count):
    """Word ids for a batch of texts, from a vocabulary fitted on the training texts only.

    train_texts, texts: lists of strings; words are what str.split() gives. The vocabulary is
    every word seen at least min_count times in train_texts, sorted (Python's sorted), numbered
    from 2 in that order; 0 is PAD and 1 is UNK. Returns an int64 tensor (len(texts), T): T is the
    number of words of the longest text (0 if all are empty), each text's ids (UNK for a word not
    in the vocabulary) followed by PAD.
    """
    # TODO: fit the vocabulary on the training texts, then look each word up, then pad.
    raise NotImplementedError("encode is not written yet")


def mean_embedding(ids, weight, padding_idx):
    """A bag-of-embeddings sentence vector: the mean of each sentence's token vectors.

    ids: an int64 tensor (B, T) of token ids, padding_idx at the padded positions. weight: the
    embedding table (V, D), whose row padding_idx is zeros (as nn.Embedding(padding_idx=...)
    keeps it). Returns (B, D): for each sentence, the mean of weight[id] over its real tokens
    only, and zeros for a sentence that is padding only.
    """
    # TODO: look the ids up, leave the padded positions out of the sum and of the count.
    raise NotImplementedError("mean_embedding is not written yet")


def nearest_neighbours(vectors, index, k):
    """The k rows most similar to row `index`, by cosine similarity.

    vectors: a float tensor (V, D), one embedding per row; some row may be all zeros (a padding
    row): its cosine similarity with anything is 0. index: the query row; k < V.
    Returns an int64 tensor (k,) of row numbers, most similar first, never `index` itself.
    """
    # TODO: compare directions, not lengths; leave the query out; sort from most similar.
    raise NotImplementedError("nearest_neighbours is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
