"""Find faulty sensor signals by how badly an autoencoder rebuilds them (reference solution).

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

HIDDEN = 32  # units of the layers around the code (16 .. 128)
CODE = 6  # size of the bottleneck: numbers a signal is squeezed into (2 .. 16; far below 64)
LEARNING_RATE = 0.003  # Adam step size (1e-4 .. 1e-2)
EPOCHS = 40  # passes over the training set
BATCH_SIZE = 64  # signals per gradient step
SEED = 0  # fixes the initial weights and the shuffling


def build_model(info):
    torch.manual_seed(SEED)
    length = info["input_shape"][0]  # 64
    # The bottleneck is the point: CODE numbers can hold a healthy signal's few degrees of freedom
    # (two amplitudes, two phases), not the details of a fault, so faults come back wrong.
    return nn.Sequential(
        nn.Linear(length, HIDDEN), nn.ReLU(),  # (N, 32)
        nn.Linear(HIDDEN, CODE),  # (N, CODE): the code
        nn.ReLU(), nn.Linear(CODE, HIDDEN), nn.ReLU(),  # (N, 32)
        nn.Linear(HIDDEN, length),  # (N, 64): the reconstruction
    )


def auc(errors, labels):
    """ROC-AUC: the chance that a random fault has a larger error than a random healthy signal."""
    faulty, healthy = errors[labels == 1], errors[labels == 0]
    return (faulty[:, None] > healthy[None, :]).float().mean().item()


def train(model, data, device, log):
    model.to(device)
    x = data.x_train.to(device)  # (N, 64) healthy signals
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(x), BATCH_SIZE):
            batch = x[order[start : start + BATCH_SIZE]]
            loss = nn.functional.mse_loss(model(batch), batch)  # the target is the input itself
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            errors = ((model(x_val) - x_val) ** 2).mean(dim=1)  # (N_val,) one error per signal
            val_loss = errors[y_val == 0].mean().item()  # on the healthy ones, like the training loss
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss, val_auc=auc(errors, y_val))
    model.eval()


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
