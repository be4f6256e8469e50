"""Forty labelled images and a pretrained backbone: a linear probe on the backbone's features.

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(backbone, info) -> torch.nn.Module
        backbone is the pretrained network shipped with the project (an nn.Sequential in
        eval mode, on the CPU): three convolution blocks trained on 20,000 labelled images of
        circles, squares, triangles and crosses. It maps images (N, 1, 16, 16) to features
        (N, info["feature_size"]), 32 of them. info["num_classes"] is 6 (circle, square,
        triangle, cross, ring, bar). Return a model that maps images (N, 1, 16, 16) to raw
        scores (N, 6).
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (40, 1, 16, 16) float32 images and data.y_train (40,) int64 labels 0..5,
        data.x_val, data.y_val are empty: these 40 labels are all there is. device is "cpu"
        or "cuda". log(epoch=..., train_loss=...) records your learning curve. Leave the
        model in eval mode.

The grade: accuracy on 2000 fresh images that this code never sees (`dlpath show
transfer-with-40-labels` gives the target).
"""

import torch
from torch import nn

LEARNING_RATE = 0.01  # Adam step size for the new last layer (1e-3 .. 3e-2)
STEPS = 300  # full-batch steps on the 40 images (100 .. 1000)
SEED = 0  # fixes the new layer's initial weights


def build_model(backbone, info):
    torch.manual_seed(SEED)
    # A linear probe: the backbone's features are kept as they are (frozen), and only a new
    # last layer (32 * 6 + 6 = 198 numbers) learns from the 40 labels. 40 examples can fit 132
    # numbers; they could not fit the backbone's 14,000.
    for parameter in backbone.parameters():
        parameter.requires_grad_(False)
    return nn.Sequential(
        backbone,  # (N, 1, 16, 16) -> (N, 32)
        nn.Linear(info["feature_size"], info["num_classes"]),  # (N, 32) -> (N, 6)
    )


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (40, 1, 16, 16), (40,)
    head = model[1]
    optimizer = torch.optim.Adam(head.parameters(), lr=LEARNING_RATE)  # only the new layer learns
    loss_fn = nn.CrossEntropyLoss()
    model.eval()  # the backbone stays as it was shipped (eval mode: no layer behaves differently in training)
    for step in range(STEPS):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 9:
            log(epoch=step + 1, train_loss=loss.item())
    model.eval()


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
