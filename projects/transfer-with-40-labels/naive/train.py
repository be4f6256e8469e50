"""Forty labelled images: the backbone's network trained from scratch (a naive baseline that fails).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(backbone, info) -> torch.nn.Module
        backbone is the pretrained network shipped with the project (an nn.Sequential in
        eval mode, on the CPU). It maps images (N, 1, 16, 16) to features (N, info["feature_size"]).
        Return a model that maps images (N, 1, 16, 16) to raw scores (N, 6).
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (40, 1, 16, 16) float32 images and data.y_train (40,) int64 labels 0..5,
        data.x_val, data.y_val are empty (40 labels in all). log(...) records your curve. Leave
        the model in eval mode.

This baseline builds the same network as the backbone but starts from random weights:
everything must be learned from 40 images.
"""

import torch
from torch import nn

LEARNING_RATE = 0.003  # Adam step size (1e-4 .. 1e-2)
STEPS = 300  # full-batch steps on the 40 images
SEED = 0  # fixes the initial weights


def build_model(backbone, info):
    torch.manual_seed(SEED)
    return nn.Sequential(  # the backbone's architecture, with fresh weights
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, 8, 8)
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 32, 4, 4)
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(),  # (N, 32)
        nn.Linear(32, info["num_classes"]),  # (N, 6)
    )


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (40, 1, 16, 16), (40,)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    for step in range(STEPS):
        model.train()
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 9:
            log(epoch=step + 1, train_loss=loss.item())
    model.eval()
