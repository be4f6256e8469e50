"""Find the shortcut: a classifier that must not learn the tag, and a saliency map that shows it.

Grade it from this folder with:

    dlpath check

The contract (the grader calls these three functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [1, 20, 20] (one grayscale channel) and info["num_classes"]
        is 2. The model maps images (N, 1, 20, 20) to raw scores (logits) of shape (N, 2).
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 1, 20, 20) float32 images, data.y_train (N,) int64 labels
        (0 circle, 1 square), and data.x_val, data.y_val likewise. device is "cpu" or
        "cuda". log(epoch=..., train_loss=..., val_loss=..., val_accuracy=...) records
        your learning curves. Leave the model in eval mode.
    saliency(model, x) -> maps
        x (N, 1, 20, 20) float32 images; return a tensor (N, 20, 20): how much each pixel
        matters to the model's answer (the grader uses the absolute values).

The grade: accuracy on 2000 fresh images, which come from another source than your training data,
and where the mass of your saliency maps falls on fresh images drawn like your training data: on
the shapes, not elsewhere (`dlpath show find-the-shortcut` lists the targets).
"""

import torch
from torch import nn

CHANNELS = (16, 32)  # output channels of each convolution block (8 .. 64 each)
LEARNING_RATE = 0.003  # Adam step size (1e-4 .. 1e-2)
EPOCHS = 12  # passes over the training set
BATCH_SIZE = 64  # images per gradient step
SEED = 0  # fixes the initial weights and the shuffling


def build_model(info):
    torch.manual_seed(SEED)
    # TODO (after you have looked at your saliency maps): this plain CNN learns whatever
    # predicts the training labels best, and in this data something other than the shape
    # does. Once your maps show where the model looks, make sure it cannot use that: for
    # example blank that region of every input inside the model (multiply x by a fixed
    # mask registered with self.register_buffer, in an nn.Module of your own), so that
    # training and grading see the same thing. Then train again and look again.
    blocks, width = [], info["input_shape"][0]
    for out in CHANNELS:
        blocks += [nn.Conv2d(width, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        width = out
    return nn.Sequential(*blocks, nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(width, info["num_classes"]))


def saliency(model, x):
    # TODO: return how much each pixel matters to the model's answer, one (20, 20) map
    # per image. Gradient saliency: make x require gradients (x = x.clone().requires_grad_(True)),
    # compute the scores, take each image's score for its predicted class, and ask
    # torch.autograd.grad for the gradient of their sum with respect to x; its absolute
    # value is the map. Print a few maps of training images next to the images: where is
    # the mass? This placeholder gives every pixel the same weight.
    return torch.ones(x.shape[0], x.shape[2], x.shape[3])  # (N, 20, 20)


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
            logits = model(x_val)  # (N_val, 2)
            val_loss = loss_fn(logits, y_val).item()
            val_accuracy = (logits.argmax(dim=1) == y_val).float().mean().item()
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss, val_accuracy=val_accuracy)
    model.eval()


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
