"""Weighs each class by its share of the data instead of its inverse."""


def class_weights(labels, num_classes):
    counts = torch.bincount(labels, minlength=num_classes).double()
    return counts / len(labels)
