"""Picks the epoch with the lowest training loss."""


def best_epoch(train_losses, val_losses):
    return int(torch.argmin(train_losses))
