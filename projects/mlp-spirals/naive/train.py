"""A multilayer perceptron that untangles three spirals (naive baseline: a linear model, which must fail).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [2] and info["num_classes"] is 3. The model maps a batch
        of points (N, 2) to raw scores (logits) of shape (N, 3): no softmax at the end.
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 2) float32 points, data.y_train (N,) int64 labels 0..2, and
        data.x_val, data.y_val likewise. device is "cpu" or "cuda".
        log(epoch=..., train_loss=..., val_loss=..., val_accuracy=...) records your
        learning curves for the report. Leave the model in eval mode when you return.

The grade: accuracy on 3000 fresh points that this code never sees, with at most
20,000 parameters, inside the 60 s budget (`dlpath show mlp-spirals` lists the exact targets).
"""

import torch
from torch import nn

HIDDEN = 64  # units in each hidden layer (16 .. 128; more is slower and can overfit)
LAYERS = 0  # no hidden layer: a linear model, which cannot separate spirals
LEARNING_RATE = 0.01  # Adam step size (1e-4 .. 1e-1)
EPOCHS = 150  # passes over the training set
BATCH_SIZE = 500  # points per gradient step
SEED = 0  # fixes the initial weights and the shuffling


def build_model(info):
    torch.manual_seed(SEED)
    layers, width = [], info["input_shape"][0]
    for _ in range(LAYERS):
        # A ReLU between linear layers is what lets the network bend its decision boundary.
        layers += [nn.Linear(width, HIDDEN), nn.ReLU()]
        width = HIDDEN
    layers.append(nn.Linear(width, info["num_classes"]))  # logits: CrossEntropyLoss applies the softmax
    return nn.Sequential(*layers)


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 2), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(x), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            loss = loss_fn(model(x[batch]), y[batch])
            optimizer.zero_grad()  # gradients add up unless cleared
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        if epoch % 10 == 0 or epoch == EPOCHS - 1:
            model.eval()
            with torch.no_grad():
                logits = model(x_val)  # (N_val, 3)
                val_loss = loss_fn(logits, y_val).item()
                val_accuracy = (logits.argmax(dim=1) == y_val).float().mean().item()
            log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss, val_accuracy=val_accuracy)
    model.eval()  # the grader measures the model as you return it
