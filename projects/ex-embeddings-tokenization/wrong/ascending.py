"""argsort's default order: the least similar first."""


def nearest_neighbours(vectors, index, k):
    unit = F.normalize(vectors, dim=1)
    similarity = unit @ unit[index]
    similarity[index] = float("inf")
    return similarity.argsort()[:k]
