"""Forgets to leave the query out."""


def nearest_neighbours(vectors, index, k):
    unit = F.normalize(vectors, dim=1)
    return (unit @ unit[index]).topk(k).indices
