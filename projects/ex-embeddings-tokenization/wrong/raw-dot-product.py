"""Ranks by raw dot products, without normalizing."""


def nearest_neighbours(vectors, index, k):
    similarity = vectors @ vectors[index]
    similarity[index] = float("-inf")
    return similarity.topk(k).indices
