"""Tune a digit reader: the same kind of network as your first one, set up badly.

Grade it from this folder with:

    dlpath check        (or `dlpath run` to try settings, without a grade)

The handwritten digits of your first network (8x8 images, 64 ink counts from 0 to 16),
and a network that learns almost nothing with the settings below. Nothing in the code
is wrong: only the settings are. Find better ones.

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [64] and info["num_classes"] is 10. The model maps a
        batch of images (N, 64) to ten raw scores each, shape (N, 10).
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 64) float32 pixel values 0..16, data.y_train (N,) int64
        digits 0..9, and data.x_val, data.y_val likewise. device is "cpu" or "cuda".
        log(epoch=..., train_loss=..., val_loss=..., val_accuracy=...) records your
        learning curves.

The grade: accuracy on the 550 digits the grader held back, with at most 20,000
parameters (`dlpath show tune-a-digit-reader` lists the exact targets).
"""

import torch
from torch import nn

# TODO: tune these five settings. Judge every try by val_accuracy in `dlpath run`, never
# by the grade: the held-back digits are for the end. Change one setting at a time,
# search the learning rate on a log scale (0.001, 0.003, 0.01, 0.03, 0.1, ...), and
# watch the curves: a loss that barely moves wants a larger rate or more epochs; one
# that jumps or turns NaN wants a smaller rate.
OPTIMIZER = "sgd"  # "sgd" or "adam"
LEARNING_RATE = 0.01  # step size (1e-4 .. 1; Adam usually wants a smaller one than SGD)
EPOCHS = 4  # passes over the training digits (1 .. 60)
BATCH_SIZE = 32  # digits per step (8 .. 256)
HIDDEN = 32  # neurons in the hidden layer (8 .. 256; more is slower and has more parameters)
SEED = 0  # fixes the starting weights and the shuffling


class DigitReader(nn.Module):
    def __init__(self, hidden, classes):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x):  # x: (N, 64) pixel values 0..16
        return self.layers(x / 16)  # (N, 10) scores


def build_model(info):
    torch.manual_seed(SEED)
    return DigitReader(HIDDEN, info["num_classes"])


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 64), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    if OPTIMIZER == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(x), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            loss = loss_fn(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            logits = model(x_val)  # (N_val, 10)
            val_loss = loss_fn(logits, y_val).item()
            val_accuracy = (logits.argmax(dim=1) == y_val).float().mean().item()
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss, val_accuracy=val_accuracy)
    model.eval()  # the grader measures the model as you return it


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
