"""argmax instead of argmin."""

import torch


def kmeans_step(x, centres):
    labels = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(dim=2).argmax(dim=1)
    new_centres = centres.clone()
    for j in range(centres.shape[0]):
        if (labels == j).any():
            new_centres[j] = x[labels == j].mean(dim=0)
    return labels, new_centres
