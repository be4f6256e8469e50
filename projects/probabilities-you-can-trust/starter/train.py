"""Probabilities you can trust: a credit-default model whose 20% means 20%.

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

The grade, on 20,000 fresh applicants: how well the probabilities rank defaulters above
the others (test_auc) AND whether they mean what they say (test_ece, the expected
calibration error: in each tenth of probability, the gap between the mean probability and
the share that really defaulted). `dlpath show probabilities-you-can-trust` lists the
targets.
"""

import torch
from torch import nn

HIDDEN = 128  # units in each hidden layer (16 .. 128)
LEARNING_RATE = 0.01  # Adam step size (1e-3 .. 3e-2)
EPOCHS = 200  # full passes over the 5,000 applicants (one step each)
BINS = 10  # probability bins of the reliability table
SEED = 0  # fixes the initial weights


class Standardize(nn.Module):
    """(x - mean) / std with the training data's statistics: the grader sends raw applicants."""

    def __init__(self, features):
        super().__init__()
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("std", torch.ones(features))

    def forward(self, x):
        return (x - self.mean) / self.std


class Calibrated(nn.Module):
    """The probability the grader reads: sigmoid(logit / temperature)."""

    def __init__(self, network, temperature):
        super().__init__()
        self.network = network
        self.temperature = temperature

    def forward(self, x):  # (N, 10) -> (N,)
        return torch.sigmoid(self.network(x).squeeze(1) / self.temperature)


def build_model(info):
    torch.manual_seed(SEED)
    features = info["input_shape"][0]
    return nn.Sequential(  # (N, 10) raw -> (N, 1) logits
        Standardize(features), nn.Linear(features, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1))


def reliability(probabilities, labels):
    """Print the reliability table and return the expected calibration error."""
    ece = 0.0
    which = (probabilities * BINS).long().clamp(max=BINS - 1)
    for b in range(BINS):
        inside = which == b
        if inside.any():
            mean, rate = probabilities[inside].mean().item(), labels[inside].mean().item()
            ece += inside.float().mean().item() * abs(mean - rate)
            print(f"  {b / BINS:.1f}-{(b + 1) / BINS:.1f}: {int(inside.sum()):5d} applicants,"
                  f" mean probability {mean:.2f}, defaulted {rate:.2f}")
    return ece


def fit_temperature(logits, labels):
    # TODO: find the temperature T for which sigmoid(logits / T) predicts the labels best: the
    # lowest nn.BCEWithLogitsLoss() of logits / T over a range of T (say 0.5 to 4). These are
    # validation logits: the network never trained on them, so they show its overconfidence.
    return 1.0


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 10), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    # TODO: income is in dollars, utilization in shares of a limit: put every column on the same
    # scale. Set the Standardize layer's mean and std (model[0]) from the training data only.
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
    with torch.no_grad():
        logits = model(x_val).squeeze(1)  # (N_val,)
    temperature = fit_temperature(logits, y_val)
    print(f"validation, after temperature scaling (T = {temperature:.2f}):")
    print(f"ECE {reliability(torch.sigmoid(logits / temperature), y_val):.3f}")
    return Calibrated(model, temperature).eval()


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
