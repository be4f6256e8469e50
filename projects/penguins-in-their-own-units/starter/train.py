"""Tell three penguin species apart from measurements in their own units.

Grade it from this folder with:

    dlpath check        (or `dlpath run` to watch it train, without a grade)

Each penguin comes as four numbers, as the field team wrote them down: bill length
and bill depth in millimetres (about 13 to 60), flipper length in millimetres (about
170 to 230) and body mass in grams (about 2,700 to 6,300). The species: 0 Adelie,
1 Chinstrap, 2 Gentoo (data.info["class_names"]).

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [4] and info["num_classes"] is 3. The model maps a batch
        of raw measurements (N, 4) to three raw scores each, shape (N, 3).
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 4) float32 measurements in their own units, data.y_train (N,)
        int64 species 0..2, and data.x_val, data.y_val likewise. device is "cpu" or "cuda".
        log(epoch=..., train_loss=..., val_accuracy=...) records your learning curves.

The grade: accuracy on the 113 penguins that the grader held back, sent to your model as
raw measurements, exactly as they were recorded (`dlpath show penguins-in-their-own-units`
gives the target).
"""

import torch
from torch import nn

HIDDEN = 16  # neurons in the hidden layer (4 .. 64)
LEARNING_RATE = 0.1  # SGD step size (0.01 .. 0.5)
EPOCHS = 50  # passes over the training penguins
BATCH_SIZE = 32  # penguins per step
SEED = 0  # fixes the starting weights and the shuffling


class PenguinClassifier(nn.Module):
    def __init__(self, features, hidden, classes):
        super().__init__()
        # The scaling statistics are part of the model: buffers, saved and moved with it,
        # but not trained. Until train() sets them, they change nothing.
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("std", torch.ones(features))
        self.layers = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x):  # x: (N, 4) raw measurements
        return self.layers((x - self.mean) / self.std)  # (N, 3) scores


def build_model(info):
    torch.manual_seed(SEED)
    return PenguinClassifier(info["input_shape"][0], HIDDEN, info["num_classes"])


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 4), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    # TODO: standardize. Grams run in the thousands and millimetres in the tens, so one
    # step size cannot suit every weight and the network learns almost nothing. Set the
    # model's buffers from the TRAINING measurements only: model.mean.copy_(...) with the
    # mean of each column (x.mean(dim=0)), model.std.copy_(...) with its standard
    # deviation. They live inside the model, so the grader's raw measurements get the
    # very same treatment. (Scaling x here instead would leave the model expecting
    # scaled inputs that the grader never sends.)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
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
            val_accuracy = (model(x_val).argmax(dim=1) == y_val).float().mean().item()
        log(epoch=epoch, train_loss=total / len(x), val_accuracy=val_accuracy)
    model.eval()  # the grader measures the model as you return it


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
