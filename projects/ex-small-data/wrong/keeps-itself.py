"""Builds the prototypes from all N examples, the one being predicted included."""


def leave_one_out(x, y):
    classes = y.unique()
    prototypes = torch.stack([x[y == c].mean(dim=0) for c in classes])
    predictions = classes[torch.cdist(x, prototypes).argmin(dim=1)]
    return predictions, (predictions == y).float().mean().item()
