"""Six shapes from forty labels, with a pretrained backbone.

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
transfer-with-40-labels` gives the target). `dlpath check` also says how far your model's
weights are from the backbone's.
"""

import torch
from torch import nn

LEARNING_RATE = 0.01  # Adam step size (1e-4 .. 3e-2)
STEPS = 300  # full-batch steps on the 40 images (100 .. 1000)
SEED = 0  # fixes the new layer's initial weights


def build_model(backbone, info):
    torch.manual_seed(SEED)
    channels, height, width = info["input_shape"]  # 1, 16, 16
    # TODO: build on the backbone instead of starting from nothing. This model learns
    # from the raw pixels, with only 40 examples to find out what a corner or a curve is.
    # The backbone already turns an image into 32 features that tell shapes apart: put it
    # first, nn.Sequential(backbone, nn.Linear(info["feature_size"], info["num_classes"])),
    # so that (N, 1, 16, 16) -> (N, 32) -> (N, 6).
    # TODO: then decide what may change. Freezing the backbone (requires_grad_(False) on
    # each of its parameters) leaves 198 numbers for 40 examples to learn: a linear probe.
    return nn.Sequential(
        nn.Flatten(),  # (N, 256)
        nn.Linear(channels * height * width, info["num_classes"]),  # (N, 6)
    )


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (40, 1, 16, 16), (40,)
    # TODO: give the optimizer only the parameters that should learn (with a frozen
    # backbone, the new last layer's). To fine-tune the backbone as well, use two parameter
    # groups: a small learning rate for the backbone, or it forgets what it learned.
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    model.eval()  # nothing in these models behaves differently in training
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
