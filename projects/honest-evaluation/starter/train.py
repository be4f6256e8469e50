"""Honest evaluation: predict for new patients, and say how well you will do.

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [8], info["num_classes"] is 2, info["feature_names"] names the
        columns. The model takes RAW rows (N, 8) float32, exactly as the grader will send them:
        missing values are NaN and every measurement is on its own scale (grams, metres,
        fractions). So the preprocessing lives inside the model, with its statistics fitted on
        your training split only and kept in buffers. It returns raw scores (logits) (N, 2).
    train(model, data, device, log) -> (model, estimated_accuracy)
        data.x (N, 8) raw rows, data.y (N,) int64 labels 0/1, data.group (N,) int64: the
        patient of each row (a patient has several visits, and so several rows), data.clinic
        (N,) int64: the clinic of each row (0 .. info["clinics"] - 1, here 3 clinics). Split,
        train, and return the trained model and your own estimate of its accuracy on patients
        it has never seen, one per clinic: a list of 3 fractions, clinic 0 first. The clinics
        record their diagnoses with different care, and how carelessly changes from one grade
        to the next, so each clinic's accuracy has to be measured. log(epoch=...,
        train_loss=..., val_loss=..., val_accuracy=...) records your learning curves. Leave
        the model in eval mode.

The grade: the accuracy on rows of fresh patients whose recorded label follows from their
measurements, and the gap between each clinic's estimate and the accuracy measured there
(`dlpath show honest-evaluation` lists the exact targets).
"""

import torch
from torch import nn

VAL_SHARE = 0.5  # share held out to estimate the accuracy: each clinic needs many (0.3 .. 0.5)
HIDDEN = 128  # units in each hidden layer (16 .. 256)
LEARNING_RATE = 1e-2  # Adam step size (1e-4 .. 1e-2)
EPOCHS = 25  # passes over the training rows
BATCH_SIZE = 1024  # rows per gradient step
SEED = 0  # fixes the split, the initial weights and the shuffling


class Clean(nn.Module):
    """The preprocessing, inside the model, so that the grader's raw rows get it too."""

    def __init__(self, features):
        super().__init__()
        # Buffers are saved and moved with the model, but never trained by the optimizer.
        self.register_buffer("fill", torch.zeros(features))  # (F,) value for a missing measurement
        self.register_buffer("center", torch.zeros(features))  # (F,)
        self.register_buffer("scale", torch.ones(features))  # (F,)

    def fit(self, x):  # x: (N, F) raw rows
        # TODO: learn the statistics from x. Look at the columns first: grams next to
        # fractions, NaN where a value is missing, and a few typing errors 10 to 1000 times
        # too large. Fill a missing value with its column's median (x.nanmedian(dim=0)),
        # center on it, and divide by a spread that a few huge values cannot inflate (the
        # interquartile range / 1.35, torch.nanquantile); then clip in forward. Until then
        # these buffers change nothing but NaN -> 0, and the network sees raw grams.
        pass

    def forward(self, x):  # (N, F) raw -> (N, F) clean
        x = torch.where(torch.isnan(x), self.fill, x)
        return (x - self.center) / self.scale


def build_model(info):
    torch.manual_seed(SEED)
    features = info["input_shape"][0]
    return nn.Sequential(
        Clean(features),
        nn.Linear(features, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, info["num_classes"]),
    )


def right_answers(model, x, y):  # (N,) 1.0 where the model's prediction is right
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float()


def train(model, data, device, log):
    generator = torch.Generator().manual_seed(SEED)
    # TODO: this splits the ROWS at random, so most patients land on both sides, and the
    # validation rows are visits of patients the model trains on. Split the PATIENTS
    # instead (data.group.unique(), then torch.isin(data.group, held_out_patients)).
    order = torch.randperm(len(data.x), generator=generator)
    val_rows, train_rows = order[: int(VAL_SHARE * len(order))], order[int(VAL_SHARE * len(order)) :]
    # TODO: the statistics must come from the training rows only, not from every row.
    model[0].fit(data.x)
    x, y = data.x[train_rows].to(device), data.y[train_rows].to(device)  # (N_train, 8), (N_train,)
    x_val, y_val = data.x[val_rows].to(device), data.y[val_rows].to(device)
    clinic_val = data.clinic[val_rows].to(device)  # (N_val,) the clinic of each validation row
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
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
            val_loss = loss_fn(model(x_val), y_val).item()
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss,
            val_accuracy=right_answers(model, x_val, y_val).mean().item())
    right = right_answers(model, x_val, y_val)  # (N_val,)
    # your estimates for new patients, one per clinic (clinic 0 first): are they honest?
    return model, [right[clinic_val == c].mean().item() for c in range(data.info["clinics"])]


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
