"""Ship it: export a trained model as a file a server can load without your code.

Grade it from this folder with:

    dlpath check

The contract (the grader calls these three functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [1, 16, 16] (one grayscale channel) and info["num_classes"]
        is 4. The model maps images (N, 1, 16, 16) to raw scores (logits) of shape (N, 4).
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 1, 16, 16) float32 images, data.y_train (N,) int64 labels 0..3
        (circle, square, triangle, cross), and data.x_val, data.y_val likewise.
        device is "cpu" or "cuda". log(...) records your learning curves.
    export(model, example, path) -> None
        Save the trained model (the grader moves it to the CPU and calls model.eval() first)
        to `path` so that it runs WITHOUT this file. `example` is a batch (64, 1, 16, 16).

The grade: the grader loads your file in a fresh process that never imports this code,
sends it 2000 fresh images in batches of several sizes (1, 7, 64, ...), and measures
the accuracy, that its outputs match your trained model's, and the time it takes to
answer a batch of 64 on the CPU (`dlpath show ship-it` lists the exact targets).
"""

import torch
from torch import nn

CHANNELS = (8, 16)  # output channels of each convolution block (4 .. 64 each)
LEARNING_RATE = 0.01  # Adam step size (1e-4 .. 3e-2)
EPOCHS = 10  # passes over the training set
BATCH_SIZE = 64  # images per gradient step
SEED = 0  # fixes the initial weights and the shuffling


class ShapeNet(nn.Module):
    """Convolution blocks, then a max over the whole image, then one linear layer."""

    def __init__(self, in_channels, classes):
        super().__init__()
        blocks = []
        for width in CHANNELS:
            blocks += [nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            in_channels = width
        self.features = nn.Sequential(*blocks)
        self.head = nn.Linear(in_channels, classes)

    def forward(self, x):  # (N, 1, 16, 16)
        x = self.features(x)  # (N, 16, 4, 4)
        x = x.amax(dim=(2, 3))  # (N, 16): is each pattern anywhere in the image?
        return self.head(x)  # (N, 4) logits


def build_model(info):
    torch.manual_seed(SEED)
    return ShapeNet(info["input_shape"][0], info["num_classes"])


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 1, 16, 16), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        total = 0.0
        for batch in torch.randperm(len(x), generator=generator).to(device).split(BATCH_SIZE):
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


def export(model, example, path):
    # TODO: save `model` to `path` as a file that a server can load WITHOUT this code.
    # torch.save(model, path) would pickle the module: loading that needs this file's
    # classes. Instead, trace the model into a graph of tensor operations with
    # torch.export.export(model, (example,), dynamic_shapes=...) and write it with
    # torch.export.save(program, path). Every dimension you do not mark as dynamic is
    # fixed, so mark the batch (torch.export.Dim("batch")), or the file serves batches of
    # exactly 64 and nothing else. Then check what you ship: load it back with
    # torch.export.load(path).module() and compare its scores with model(...) on a batch
    # of another size.
    pass


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
