"""Probabilities you can trust: a credit-default model whose 20% means 20% (reference solution).

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

The grade, on 20,000 fresh applicants: how well the probabilities rank defaulters above the
others (test_auc) AND whether they mean what they say (test_ece, the expected calibration error:
in each tenth of probability, the gap between the mean probability and the share that really
defaulted). `dlpath show probabilities-you-can-trust` lists the targets.
"""

import torch
from torch import nn

HIDDEN = 64  # units in each hidden layer (16 .. 128)
LEARNING_RATE = 0.01  # AdamW step size (1e-3 .. 3e-2)
WEIGHT_DECAY = 0.01  # pulls the weights towards zero a little at every step (0 .. 0.1)
EPOCHS = 300  # full passes over the 5,000 applicants (one step each); the best epoch is kept
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
    """The T that makes sigmoid(logits / T) best at predicting the labels (lowest loss), on data
    the network did not train on. T > 1 softens overconfident probabilities; the order stays."""
    loss_fn = nn.BCEWithLogitsLoss()
    candidates = torch.linspace(0.5, 4.0, 71)
    return min(candidates.tolist(), key=lambda t: loss_fn(logits / t, labels).item())


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 10), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    model[0].mean.copy_(x.mean(dim=0))  # income in dollars, utilization in shares: same scale after this
    model[0].std.copy_(x.std(dim=0))
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    best = (float("inf"), None)
    for epoch in range(EPOCHS):
        model.train()
        loss = loss_fn(model(x).squeeze(1), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            val_loss = loss_fn(model(x_val).squeeze(1), y_val).item()
        if val_loss < best[0]:  # early stopping: keep the weights of the best validation loss
            best = (val_loss, {k: v.clone() for k, v in model.state_dict().items()})
        if epoch % 10 == 0 or epoch == EPOCHS - 1:
            log(epoch=epoch, train_loss=loss.item(), val_loss=val_loss)
    model.load_state_dict(best[1])
    model.eval()
    with torch.no_grad():
        logits = model(x_val).squeeze(1)  # (N_val,)
    print("validation, before calibration:")
    before = reliability(torch.sigmoid(logits), y_val)
    temperature = fit_temperature(logits, y_val)
    print(f"validation, after temperature scaling (T = {temperature:.2f}):")
    after = reliability(torch.sigmoid(logits / temperature), y_val)
    print(f"ECE {before:.3f} -> {after:.3f}")
    return Calibrated(model, temperature).eval()


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
