"""Medical screening with a second opinion: find lesions, and say how sure you are (reference solution).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [1, 16, 16] (one grayscale scan of tissue) and
        info["positive_rate"] is 0.1: one scan in ten holds a lesion.
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 1, 16, 16) float32, data.y_train (N,) float32 (1.0: a lesion),
        and data.x_val, data.y_val likewise. device is "cpu" or "cuda".
        log(epoch=..., train_loss=..., val_loss=...) records your learning curves.
        The model you return (or the one you were given) maps scans (N, 1, 16, 16) to one
        number each, shape (N,) or (N, 1): the probability of a lesion. Eval mode.

The grade, on 10,000 fresh scans: the share of lesions found when at most 10% of the
healthy scans may be sent for a second opinion (sensitivity at 90% specificity), and
whether the probabilities can be taken at their word (test_ece, the expected
calibration error). `dlpath show medical-screening` lists the targets.
"""

import torch
from torch import nn

CHANNELS = (8, 16)  # output channels of the convolution blocks (4 .. 32 each)
LEARNING_RATE = 0.003  # Adam step size (1e-3 .. 1e-2)
EPOCHS = 5  # passes over the training scans
BATCH_SIZE = 64  # scans per gradient step
POS_WEIGHT = 9.0  # a lesion counts as much as 9 healthy scans in the loss: the classes weigh the same
SEED = 0  # fixes the initial weights and the shuffling


def build_model(info):
    torch.manual_seed(SEED)
    c1, c2 = CHANNELS
    return nn.Sequential(  # (N, 1, 16, 16)
        nn.Conv2d(1, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU(), nn.MaxPool2d(2),  # (N, c1, 8, 8)
        nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2), nn.ReLU(), nn.MaxPool2d(2),  # (N, c2, 4, 4)
        nn.Conv2d(c2, c2, 3, padding=1), nn.BatchNorm2d(c2), nn.ReLU(),  # (N, c2, 4, 4)
        nn.AdaptiveMaxPool2d(1), nn.Flatten(),  # (N, c2): "is this pattern anywhere?"
        nn.Linear(c2, 1))  # (N, 1) logits


def sensitivity_at_specificity(probabilities, labels, specificity=0.9):
    """The share of lesions above the threshold that leaves `specificity` of the healthy below it."""
    healthy = probabilities[labels == 0].sort(descending=True).values
    threshold = healthy[int((1 - specificity) * len(healthy))]
    return (probabilities[labels == 1] > threshold).float().mean().item()


class Calibrated(nn.Module):
    """The probability the grader reads: sigmoid(scale * logit + shift)."""

    def __init__(self, network, scale, shift):
        super().__init__()
        self.network, self.scale, self.shift = network, scale, shift

    def forward(self, x):  # (N, 1, 16, 16) -> (N,)
        return torch.sigmoid(self.scale * self.network(x).squeeze(1) + self.shift)


def fit_platt(logits, labels):
    """Platt scaling: the scale and shift for which sigmoid(scale * logit + shift) best predicts the
    labels (lowest loss), on scans the network did not train on. The weighting moved every logit
    up; the shift moves them back, the scale corrects over- or underconfidence."""
    scale, shift = torch.ones(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([scale, shift], lr=0.5, max_iter=200)
    loss_fn = nn.BCEWithLogitsLoss()

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(scale * logits + shift, labels)
        loss.backward()
        return loss
    optimizer.step(closure)
    return scale.item(), shift.item()


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 1, 16, 16), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    # Few lesions: weighting them keeps the network from settling for "healthy" everywhere.
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(POS_WEIGHT, device=device))
    generator = torch.Generator().manual_seed(SEED)
    best = (float("inf"), None)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(x), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            loss = loss_fn(model(x[batch]).squeeze(1), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            logits = model(x_val).squeeze(1)  # (N_val,)
        val_loss = loss_fn(logits, y_val).item()
        if val_loss < best[0]:  # keep the best epoch on the validation scans
            best = (val_loss, {k: v.clone() for k, v in model.state_dict().items()})
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss,
            val_sensitivity=sensitivity_at_specificity(torch.sigmoid(logits), y_val))
    model.load_state_dict(best[1])
    model.eval()
    with torch.no_grad():
        logits = model(x_val).squeeze(1)
    scale, shift = fit_platt(logits, y_val)
    print(f"validation: lesions {y_val.mean():.3f}, mean probability {torch.sigmoid(logits).mean():.3f} as"
          f" trained, {torch.sigmoid(scale * logits + shift).mean():.3f} after Platt scaling"
          f" (scale {scale:.2f}, shift {shift:.2f})")
    return Calibrated(model, scale, shift).eval()


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
