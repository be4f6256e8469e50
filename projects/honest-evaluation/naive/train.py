"""Honest evaluation: predict for new patients, and say how well you will do (naive baseline: a random row split, which must fail).

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

VAL_SHARE = 0.2  # share of the ROWS held out to estimate the accuracy (0.1 .. 0.3)
HIDDEN = 128  # units in each hidden layer: a wide network (16 .. 256)
LEARNING_RATE = 1e-2  # Adam step size (1e-4 .. 1e-2)
EPOCHS = 25  # passes over the training rows: trained long for this data
BATCH_SIZE = 1024  # rows per gradient step
CLIP = 5.0  # scaled values beyond +-CLIP are data-entry errors: clipped (3 .. 10)
SEED = 0  # fixes the split, the initial weights and the shuffling


class Clean(nn.Module):
    """The preprocessing, inside the model: fill missing values, scale, clip outliers."""

    def __init__(self, features):
        super().__init__()
        self.register_buffer("fill", torch.zeros(features))  # (F,) value for a missing measurement
        self.register_buffer("center", torch.zeros(features))  # (F,)
        self.register_buffer("scale", torch.ones(features))  # (F,)

    def fit(self, x):  # x: (N, F) raw rows
        median = x.nanmedian(dim=0).values  # (F,)
        q1, q3 = torch.nanquantile(x, torch.tensor([0.25, 0.75]), dim=0)  # (F,), (F,)
        self.fill.copy_(median)
        self.center.copy_(median)
        self.scale.copy_(((q3 - q1) / 1.35).clamp_min(1e-12))

    def forward(self, x):  # (N, F) raw -> (N, F) clean
        x = torch.where(torch.isnan(x), self.fill, x)
        return ((x - self.center) / self.scale).clamp(-CLIP, CLIP)


def build_model(info):
    torch.manual_seed(SEED)
    features = info["input_shape"][0]
    return nn.Sequential(
        Clean(features),
        nn.Linear(features, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, info["num_classes"]),
    )


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def accuracy_by_clinic(model, x, y, clinic, clinics):
    """The accuracy on the rows of each clinic: a list of `clinics` fractions, clinic 0 first."""
    model.eval()
    with torch.no_grad():
        right = (model(x).argmax(dim=1) == y).float()  # (N,) 1 where the prediction is right
    return [right[clinic == c].mean().item() for c in range(clinics)]


def train(model, data, device, log):
    generator = torch.Generator().manual_seed(SEED)
    model[0].fit(data.x)  # the preprocessing sees every row, validation included
    order = torch.randperm(len(data.x), generator=generator)  # a random split of the ROWS
    val_rows, train_rows = order[: int(VAL_SHARE * len(order))], order[int(VAL_SHARE * len(order)) :]
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
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss, val_accuracy=accuracy(model, x_val, y_val))
    return model, accuracy_by_clinic(model, x_val, y_val, clinic_val, data.info["clinics"])
