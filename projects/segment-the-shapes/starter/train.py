"""Segment the shapes: mark every pixel that belongs to a shape in a noisy image.

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [1, 16, 16] (one grayscale channel). The model maps images
        (N, 1, 16, 16) to one raw score (logit) per pixel, shape (N, 1, 16, 16) or
        (N, 16, 16): above 0 means "this pixel belongs to a shape".
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 1, 16, 16) float32 images, data.y_train (N, 16, 16) float32 masks
        (1.0 on a shape, 0.0 elsewhere), and data.x_val, data.y_val likewise.
        device is "cpu" or "cuda". log(epoch=..., train_loss=..., val_loss=..., val_iou=...)
        records your learning curves. Leave the model in eval mode.

The grade: the intersection over union (IoU) of the pixels your model marks with the
true masks, averaged over 1000 fresh images, with at most 20,000 parameters, inside
the 60 s budget (`dlpath show segment-the-shapes` lists the exact targets).
"""

import torch
from torch import nn

CHANNELS = 8  # channels of the hidden layers (4 .. 32)
LEARNING_RATE = 0.003  # Adam step size (1e-4 .. 1e-2)
EPOCHS = 12  # passes over the training set
BATCH_SIZE = 32  # images per gradient step
SEED = 0  # fixes the initial weights and the shuffling


def build_model(info):
    torch.manual_seed(SEED)
    # TODO: give each pixel's answer some context. These 1x1 convolutions look at one
    # pixel at a time, so they can only learn a brightness threshold, and the noise is
    # as strong as the shapes are bright. Replace them with 3x3 convolutions
    # (padding=1 keeps the 16x16 size; each one sees one pixel further on every side),
    # and let the network see further still: a MaxPool2d(2), more 3x3 convolutions at
    # half resolution, nn.Upsample(scale_factor=2) back, then torch.cat with the
    # full-resolution features (a tiny U-Net, which needs an nn.Module of your own).
    # End with a 1x1 convolution to one channel: one logit per pixel, (N, 1, 16, 16).
    return nn.Sequential(
        nn.Conv2d(1, CHANNELS, 1), nn.ReLU(),  # (N, CHANNELS, 16, 16)
        nn.Conv2d(CHANNELS, CHANNELS, 1), nn.ReLU(),
        nn.Conv2d(CHANNELS, 1, 1),  # (N, 1, 16, 16)
    )


def iou(logits, masks):
    """Mean intersection over union of the marked pixels (logit > 0) with the masks, over the images."""
    marked, true = logits[:, 0] > 0, masks > 0.5  # (N, H, W) each
    inter = (marked & true).flatten(1).sum(1)
    union = (marked | true).flatten(1).sum(1).clamp_min(1)
    return (inter / union).mean().item()


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 1, 16, 16), (N, 16, 16)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.BCEWithLogitsLoss()  # one yes/no question per pixel, on raw scores
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(x), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            loss = loss_fn(model(x[batch])[:, 0], y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            logits = model(x_val)  # (N_val, 1, 16, 16)
            val_loss = loss_fn(logits[:, 0], y_val).item()
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss, val_iou=iou(logits, y_val))
    model.eval()


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
