"""Medical screening with a second opinion: find lesions, and say how sure you are (naive baseline: a model tuned for accuracy that answers yes or no at 0.5; it must fail).

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


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 1, 16, 16), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(SEED)
    best = (-1.0, None)
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
        val_accuracy = ((logits > 0).float() == y_val).float().mean().item()
        if val_accuracy > best[0]:  # keep the most accurate epoch on the validation scans
            best = (val_accuracy, {k: v.clone() for k, v in model.state_dict().items()})
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss, val_accuracy=val_accuracy)
    model.load_state_dict(best[1])
    return Decision(model).eval()


class Decision(nn.Module):
    """The screen's answer: 1.0 (send for a second opinion) where the probability is above one half."""

    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, x):  # (N, 1, 16, 16) -> (N,)
        return (torch.sigmoid(self.network(x).squeeze(1)) > 0.5).float()
