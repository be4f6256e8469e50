"""Normalizes with v / v.norm(), which is nan for a row of zeros."""


def nearest_neighbours(vectors, index, k):
    unit = vectors / vectors.norm(dim=1, keepdim=True)
    similarity = unit @ unit[index]
    similarity[index] = float("-inf")
    return similarity.argsort(descending=True)[:k]
