"""Your first neural network: it learns to read handwritten digits (reference solution).

Grade it from this folder with:

    dlpath check        (or `dlpath run` to watch it train, without a grade)

Each digit is an 8x8 image, 64 numbers from 0 (no ink) to 16 (all ink), written by
real people. The network reads the 64 numbers and gives each digit 0..9 a score;
its answer is the digit with the highest score.

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [64] and info["num_classes"] is 10. The model maps a
        batch of images (N, 64) to ten raw scores each, shape (N, 10).
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 64) float32 pixel values 0..16, data.y_train (N,) int64
        digits 0..9, and data.x_val, data.y_val likewise. device is "cpu" or "cuda".
        log(epoch=..., train_loss=..., val_accuracy=...) records your learning curves.

The grade: accuracy on 550 digits that the grader held back: this code never sees
them (`dlpath show read-handwritten-digits` gives the exact target).
"""

import torch
from torch import nn

HIDDEN = 32  # neurons in the middle layer (8 .. 128)
LEARNING_RATE = 0.1  # how far each correction moves the weights (0.01 .. 0.5)
EPOCHS = 20  # passes over the training digits (5 .. 50)
BATCH_SIZE = 32  # digits looked at before each correction (8 .. 256)
SEED = 0  # fixes the starting weights and the shuffling


class DigitReader(nn.Module):
    def __init__(self, hidden, classes):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x):  # x: (N, 64) pixel values 0..16
        return self.layers(x / 16)  # (N, 10) scores, from pixels scaled to 0..1


def build_model(info):
    torch.manual_seed(SEED)
    return DigitReader(HIDDEN, info["num_classes"])


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 64), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()  # one number: how wrong the scores are (0 = sure and right)
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(x), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            loss = loss_fn(model(x[batch]), y[batch])
            optimizer.zero_grad()  # the gradients of the last batch would otherwise add up
            loss.backward()  # the gradient of the loss for every weight
            optimizer.step()  # weight -= LEARNING_RATE * gradient
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            val_accuracy = (model(x_val).argmax(dim=1) == y_val).float().mean().item()
        log(epoch=epoch, train_loss=total / len(x), val_accuracy=val_accuracy)
    model.eval()  # the grader measures the model as you return it


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
