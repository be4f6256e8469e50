"""Probabilities you can trust: a credit-default model whose 20% means 20% (naive baseline: a large network trained long, uncalibrated; it must fail).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [10] and info["feature_names"] names the columns: age,
        income, debt_to_income, utilization, late_payments, months_employed,
        open_accounts, loan_amount, inquiries, prior_default, in their natural units.
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 10) float32, data.y_train (N,) float32 (1.0: the loan defaulted),
        and data.x_val, data.y_val likewise. device is "cpu" or "cuda".
        log(epoch=..., train_loss=..., val_loss=...) records your learning curves.
        The model you return (or the one you were given) maps raw applicants (N, 10) to
        one number each, shape (N,) or (N, 1): the probability of default. Eval mode.

The grade, on 20,000 fresh applicants: how well the probabilities rank defaulters
above the others (test_auc) AND whether they mean what they say (test_ece, the
expected calibration error: in each tenth of probability, the gap between the mean
probability and the share that really defaulted). `dlpath show probabilities-you-can-trust` lists the targets.
"""

import torch
from torch import nn

HIDDEN = 128  # units in each hidden layer (16 .. 128)
LEARNING_RATE = 0.01  # Adam step size (1e-3 .. 3e-2)
EPOCHS = 200  # full passes over the 5,000 applicants (one step each)
SEED = 0  # fixes the initial weights


class Standardize(nn.Module):
    """(x - mean) / std with the training data's statistics: the grader sends raw applicants."""

    def __init__(self, features):
        super().__init__()
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("std", torch.ones(features))

    def forward(self, x):
        return (x - self.mean) / self.std


def build_model(info):
    torch.manual_seed(SEED)
    features = info["input_shape"][0]
    return nn.Sequential(  # (N, 10) raw -> (N, 1) logits
        Standardize(features), nn.Linear(features, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1))


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 10), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    model[0].mean.copy_(x.mean(dim=0))  # income in dollars, utilization in shares: same scale after this
    model[0].std.copy_(x.std(dim=0))
    loss_fn = nn.BCEWithLogitsLoss()
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
                val_loss = loss_fn(model(x_val).squeeze(1), y_val).item()
            log(epoch=epoch, train_loss=loss.item(), val_loss=val_loss)
    # The probability of default: the network's output through a sigmoid, as trained.
    return nn.Sequential(model, nn.Sigmoid()).eval()
