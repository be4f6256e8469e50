"""Find faulty sensor signals by how badly an autoencoder rebuilds them (naive baseline: a loudness score,
which must fail).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [64]. The model maps signals (N, 64) to their reconstructions (N, 64).
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 64) float32: healthy signals only. data.x_val, data.y_val: healthy and
        faulty signals, y = 1 for a fault, to check your detector (never to train on).
        device is "cpu" or "cuda". log(epoch=..., train_loss=..., val_loss=..., val_auc=...)
        records your learning curves. Leave the model in eval mode.

The grader sends fresh healthy and faulty signals, computes each reconstruction error itself
(the mean squared difference) and measures how well it ranks the faults above the healthy
signals (ROC-AUC; `dlpath show anomalies-by-reconstruction` gives the target).
"""

import torch
from torch import nn


class Silence(nn.Module):
    """No autoencoder: it "rebuilds" every signal as silence, so the grader's reconstruction error is
    the signal's power. A fault is flagged when the signal is loud: the plain amplitude score."""

    def forward(self, x):  # (N, 64)
        return torch.zeros_like(x)  # (N, 64)


def build_model(info):
    return Silence()


def auc(errors, labels):
    """ROC-AUC: the chance that a random fault has a larger error than a random healthy signal."""
    faulty, healthy = errors[labels == 1], errors[labels == 0]
    return (faulty[:, None] > healthy[None, :]).float().mean().item()


def train(model, data, device, log):
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)  # (N_val, 64)
    with torch.no_grad():
        errors = ((model(x_val) - x_val) ** 2).mean(dim=1)  # (N_val,): the power of each signal
    # Nothing to train: log what the loudness score achieves on the validation signals.
    log(epoch=0, val_loss=errors[y_val == 0].mean().item(), val_auc=auc(errors, y_val))
    model.eval()
