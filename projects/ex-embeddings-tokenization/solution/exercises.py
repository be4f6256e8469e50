"""A vocabulary with unknown and padding ids, a padded mean of embeddings, and cosine neighbours
(lesson: embeddings-tokenization): a reference solution.

Grade it from this folder with:

    dlpath check
"""

from collections import Counter

import torch
import torch.nn.functional as F

PAD, UNK = 0, 1  # the two reserved ids: padding, and any word not in the vocabulary


def encode(train_texts, texts, min_count):
    """(len(texts), T) int64 ids; UNK for words outside the training vocabulary, PAD after each text."""
    counts = Counter(word for text in train_texts for word in text.split())  # training texts only
    kept = sorted(word for word, n in counts.items() if n >= min_count)  # sorted: the same ids every run
    vocab = {word: i for i, word in enumerate(kept, start=2)}  # 0 and 1 are reserved
    rows = [[vocab.get(word, UNK) for word in text.split()] for text in texts]
    ids = torch.full((len(texts), max([len(r) for r in rows], default=0)), PAD, dtype=torch.int64)  # (B, T)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.int64)
    return ids


def mean_embedding(ids, weight, padding_idx):
    """(B, D): mean of the real tokens' vectors; zeros for a sentence of padding only."""
    real = (ids != padding_idx).unsqueeze(-1).to(weight.dtype)  # (B, T, 1): 1 for a real token
    total = (weight[ids] * real).sum(dim=1)  # (B, D): padding contributes nothing
    return total / real.sum(dim=1).clamp_min(1)  # divide by the real tokens; an empty sentence stays 0


def nearest_neighbours(vectors, index, k):
    """(k,) rows by decreasing cosine similarity to row index, index itself left out."""
    unit = F.normalize(vectors, dim=1)  # (V, D): length 1; a zero row stays 0 instead of nan
    similarity = unit @ unit[index]  # (V,): cosines, lengths ignored
    similarity[index] = float("-inf")  # never one's own neighbour
    return similarity.topk(k).indices


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
