"""torch.argmin on the validation curve, which takes a nan for the lowest."""


def best_epoch(train_losses, val_losses):
    return int(torch.argmin(val_losses))
