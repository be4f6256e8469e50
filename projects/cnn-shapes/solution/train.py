"""A small convolutional network that recognises shapes anywhere in the image (reference solution).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [1, 20, 20] (one grayscale channel) and info["num_classes"]
        is 4. The model maps images (N, 1, 20, 20) to raw scores (logits) of shape (N, 4).
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 1, 20, 20) float32 images, data.y_train (N,) int64 labels 0..3
        (circle, square, triangle, cross), and data.x_val, data.y_val likewise.
        device is "cpu" or "cuda". log(epoch=..., train_loss=..., val_loss=...,
        val_accuracy=...) records your learning curves. Leave the model in eval mode.

The grade: accuracy on 3000 fresh images that this code never sees, with at most
6,000 parameters, inside the 60 s budget (`dlpath show cnn-shapes` lists the exact targets).
"""

import torch
from torch import nn

CHANNELS = (16, 32)  # output channels of each convolution block (8 .. 64 each)
LEARNING_RATE = 0.003  # Adam step size (1e-4 .. 1e-2)
EPOCHS = 15  # passes over the training set
BATCH_SIZE = 64  # images per gradient step
SEED = 0  # fixes the initial weights and the shuffling


def build_model(info):
    torch.manual_seed(SEED)
    blocks, channels = [], info["input_shape"][0]
    for width in CHANNELS:
        # A 3x3 filter slides over the whole image: the same detector works at every position.
        blocks += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        channels = width
    return nn.Sequential(
        *blocks,  # (N, 32, 5, 5)
        nn.AdaptiveMaxPool2d(1),  # (N, 32, 1, 1): "is this pattern anywhere?", whatever the position
        nn.Flatten(),  # (N, 32)
        nn.Linear(channels, info["num_classes"]),  # (N, 4) logits
    )


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 1, 20, 20), (N,)
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
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            logits = model(x_val)  # (N_val, 4)
            val_loss = loss_fn(logits, y_val).item()
            val_accuracy = (logits.argmax(dim=1) == y_val).float().mean().item()
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss, val_accuracy=val_accuracy)
    model.eval()


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
