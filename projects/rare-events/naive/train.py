"""Rare events: screening where accuracy lies (naive baseline: plain cross-entropy, and a yes/no answer at 0.5; it must fail).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these three; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [8] (eight measurements per person) and
        info["positive_rate"] is 0.01: one person in a hundred has the condition.
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 8) float32, data.y_train (N,) float32 (1.0: has the condition,
        0.0: healthy), and data.x_val, data.y_val likewise. device is "cpu" or "cuda".
        log(epoch=..., train_loss=..., val_loss=...) records your learning curves.
        The model you return (or the one you were given) maps a batch (N, 8) to one
        number per person, shape (N,) or (N, 1): the probability of the condition.
        Leave it in eval mode.
    always_negative_accuracy(labels) -> float
        The accuracy a screen that always answers "healthy" scores on labels (a tensor
        of 0./1.). The grader checks it on your validation labels and on labels of its own.

The grade: the clinic can follow up only 2% of the people it screens, so the grader
ranks 50,000 fresh people by your probabilities and measures the share of the sick
among the top 2% (recall_at_2pct_alerts), the precision-recall AUC, and your answer
to always_negative_accuracy (`dlpath show rare-events` lists the exact targets).
"""

import torch
from torch import nn

HIDDEN = 32  # units in each hidden layer (16 .. 64)
LEARNING_RATE = 0.01  # Adam step size (1e-3 .. 3e-2)
EPOCHS = 300  # full passes over the 20,000 training rows (each pass is one step)
ALERT_BUDGET = 0.02  # the share of people the clinic can follow up
SEED = 0  # fixes the initial weights


def always_negative_accuracy(labels):
    # A screen that never alerts is right on every healthy person: its accuracy is their share.
    return (labels == 0).float().mean().item()


def recall_at_budget(probabilities, labels, budget=ALERT_BUDGET):
    """The share of the sick among the `budget` share of people with the highest probabilities."""
    flagged = probabilities.topk(max(1, round(budget * len(labels)))).indices
    return (labels[flagged].sum() / labels.sum().clamp(min=1)).item()


def build_model(info):
    torch.manual_seed(SEED)
    features = info["input_shape"][0]
    return nn.Sequential(  # (N, 8) -> (N, 1) raw scores (logits)
        nn.Linear(features, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1))


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 8), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    print(f"a screen that never alerts is {always_negative_accuracy(y_val):.1%} accurate on the validation set")
    loss_fn = nn.BCEWithLogitsLoss()  # plain cross-entropy: every person counts the same
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    for epoch in range(EPOCHS):
        model.train()
        loss = loss_fn(model(x).squeeze(1), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 10 == 0 or epoch == EPOCHS - 1:
            model.eval()
            with torch.no_grad():
                logits = model(x_val).squeeze(1)  # (N_val,)
                probabilities = torch.sigmoid(logits)
            log(epoch=epoch, train_loss=loss.item(), val_loss=loss_fn(logits, y_val).item(),
                val_accuracy=((probabilities > 0.5).float() == y_val).float().mean().item(),
                val_recall_at_2pct=recall_at_budget(probabilities, y_val))
    # A screen answers yes or no: flag the people whose probability is above one half.
    return Decision(model).eval()


class Decision(nn.Module):
    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, x):  # (N, 8) -> (N,) 1.0 (flag) or 0.0
        return (torch.sigmoid(self.network(x).squeeze(1)) > 0.5).float()
