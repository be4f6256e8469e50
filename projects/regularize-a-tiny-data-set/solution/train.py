"""Regularize a tiny data set: 100 rows, 150 columns, and only a few of them matter (reference solution).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [150] and info["num_classes"] is 2. The model maps a batch
        of rows (N, 150) to raw scores (logits) of shape (N, 2): no softmax at the end.
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (100, 150) float32, data.y_train (100,) int64 labels 0..1, and
        data.x_val, data.y_val (60 more rows). device is "cpu" or "cuda".
        log(epoch=..., train_loss=..., val_loss=..., val_accuracy=...) records your
        learning curves for the report. Leave the model in eval mode when you return.

The grade: accuracy on 4000 fresh rows that this code never sees (`dlpath show
regularize-a-tiny-data-set` gives the exact target).
"""

import torch
from torch import nn

HIDDEN = 128  # units in each hidden layer (8 .. 256)
LEARNING_RATE = 1e-3  # Adam step size (1e-4 .. 1e-2)
EPOCHS = 300  # steps over the whole training set (it fits in one batch)
WEIGHT_DECAY = 0.0  # L2 penalty: pulls every weight towards 0 at each step (0, or 1e-4 .. 1e-1)
L1 = 1e-3  # penalty on the absolute size of the first layer's weights (0, or 1e-4 .. 1e-2)
DROPOUT = 0.0  # share of hidden units switched off at each training step (0 .. 0.5)
SEED = 0  # fixes the initial weights and the dropout masks


def build_model(info):
    torch.manual_seed(SEED)
    return nn.Sequential(
        nn.Linear(info["input_shape"][0], HIDDEN), nn.ReLU(), nn.Dropout(DROPOUT),
        nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Dropout(DROPOUT),
        nn.Linear(HIDDEN, info["num_classes"]),  # logits: CrossEntropyLoss applies the softmax
    )


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (100, 150), (100,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)  # (60, 150), (60,)
    # Adam's weight_decay adds WEIGHT_DECAY * w to each gradient: an L2 penalty.
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    loss_fn = nn.CrossEntropyLoss()
    first = model[0].weight  # (HIDDEN, 150): one weight per unit and per column
    # The L1 penalty on the first layer pushes the weights of the noise columns to (almost)
    # exactly 0: the network can only use the few columns that pay for their cost.
    for epoch in range(EPOCHS):
        model.train()
        loss = loss_fn(model(x), y) + L1 * first.abs().sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 10 == 0 or epoch == EPOCHS - 1:
            model.eval()
            with torch.no_grad():
                logits = model(x_val)  # (60, 2)
                val_loss = loss_fn(logits, y_val).item()
                val_accuracy = (logits.argmax(dim=1) == y_val).float().mean().item()
            log(epoch=epoch, train_loss=loss.item(), val_loss=val_loss, val_accuracy=val_accuracy)
    model.eval()  # the grader measures the model as you return it


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
