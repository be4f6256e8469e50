"""A tiny table drowned in noise: ``nuisance`` (a few columns that matter among many that do not)."""

from __future__ import annotations

from dlpath.datasets.base import BadDataset, Dataset, balanced_labels, check_n, generator, rng


@generator("classification")
def nuisance(
    n: int,
    seed: int,
    *,
    features: int = 40,
    informative: int = 3,
    classes: int = 2,
    separation: float = 2.5,
    world_seed: int = 0,
) -> Dataset:
    """``n`` rows of ``features`` numbers; only ``informative`` columns tell the classes apart, the rest is noise.

    Every value is standard normal, except that in the informative columns (which
    ones is fixed by ``world_seed``) each class is shifted to its own centre; the
    centres are ``separation`` apart from each other. With two classes the best
    achievable accuracy is Phi(separation / 2) (0.89 for 2.5). Every other column is
    pure noise, so a flexible model fitted to a few rows finds patterns in it that
    fresh rows do not share: the data set for regularization.
    """
    import math

    import torch

    check_n(n)
    if classes < 2 or not 1 <= informative <= features or classes > informative + 1:
        raise BadDataset(f"nuisance needs 2 <= classes <= informative + 1 and 1 <= informative <= features, "
                         f"not classes={classes}, informative={informative}, features={features}")
    world = rng(world_seed)
    columns = torch.randperm(features, generator=world)[:informative]  # which columns carry the signal
    # Centres: the corners of a regular simplex (every pair equally far apart), turned at random.
    corners = torch.eye(classes, dtype=torch.float64) - 1.0 / classes  # (C, C) pairwise distance sqrt(2)
    plane, _ = torch.linalg.qr(corners.T)  # the corners span C - 1 dimensions: write them in those
    flat = torch.zeros(classes, informative, dtype=torch.float64)
    flat[:, : classes - 1] = corners @ plane[:, : classes - 1]  # (C, K)
    turn, _ = torch.linalg.qr(torch.randn(informative, informative, generator=world, dtype=torch.float64))
    centres = (separation / math.sqrt(2) * flat @ turn).float()  # (C, K)
    g = rng(seed)
    y = balanced_labels(n, classes, g)
    x = torch.randn(n, features, generator=g)
    x[:, columns] += centres[y]
    info = {"kind": "classification", "input_shape": [features], "num_classes": classes}
    return Dataset(x.float(), y.long(), info)
