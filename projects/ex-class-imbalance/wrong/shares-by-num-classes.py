"""Gives each of num_classes classes a share of 1 / num_classes, present or not."""


def sampler_weights(labels, num_classes):
    counts = torch.bincount(labels, minlength=num_classes).double()
    return 1.0 / (num_classes * counts[labels])
