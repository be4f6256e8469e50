"""Keeps the last of equal lowest values (<= in the loop)."""


def best_epoch(train_losses, val_losses):
    losses = val_losses.tolist()
    best = None
    for epoch, loss in enumerate(losses):
        if loss != loss:
            continue
        if best is None or loss <= losses[best]:
            best = epoch
    return best
