"""Flips along the height, upside down, and swaps LEFT and RIGHT."""


def flip_with_labels(images, labels):
    return images.flip(-2), torch.tensor([RIGHT, LEFT, UP, DOWN])[labels]
