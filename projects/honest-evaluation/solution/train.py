"""Honest evaluation: predict for new patients, and say how well you will do (reference solution).

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

VAL_SHARE = 0.5  # share of the PATIENTS held out: each clinic needs about 1,000 for its estimate (0.3 .. 0.5)
HIDDEN = 32  # units in each hidden layer (16 .. 128)
LEARNING_RATE = 3e-3  # Adam step size (1e-4 .. 1e-2)
EPOCHS = 20  # passes over the training rows
BATCH_SIZE = 256  # rows per gradient step
CLIP = 5.0  # scaled values beyond +-CLIP are data-entry errors: clipped (3 .. 10)
SEED = 0  # fixes the split, the initial weights and the shuffling


class Clean(nn.Module):
    """The preprocessing, inside the model: fill missing values, scale, clip outliers."""

    def __init__(self, features):
        super().__init__()
        # Buffers are saved and moved with the model, but never trained by the optimizer.
        self.register_buffer("fill", torch.zeros(features))  # (F,) value for a missing measurement
        self.register_buffer("center", torch.zeros(features))  # (F,)
        self.register_buffer("scale", torch.ones(features))  # (F,)

    def fit(self, x):  # x: (N_train, F) raw rows of the TRAINING patients only
        median = x.nanmedian(dim=0).values  # (F,) the median ignores NaN and barely notices outliers
        q1, q3 = torch.nanquantile(x, torch.tensor([0.25, 0.75]), dim=0)  # (F,), (F,)
        self.fill.copy_(median)
        self.center.copy_(median)
        self.scale.copy_(((q3 - q1) / 1.35).clamp_min(1e-12))  # a robust spread: about 1 std without outliers

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


def split_by_patient(group, share, generator):
    """Row indices (train, val) with every row of a patient on the same side."""
    patients = group.unique()  # (P,)
    held = patients[torch.randperm(len(patients), generator=generator)[: int(share * len(patients))]]
    is_val = torch.isin(group, held)  # (N,) True for each row of a held-out patient
    return (~is_val).nonzero().squeeze(1), is_val.nonzero().squeeze(1)


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
    train_rows, val_rows = split_by_patient(data.group, VAL_SHARE, generator)
    x, y = data.x[train_rows], data.y[train_rows]  # (N_train, 8), (N_train,)
    x_val, y_val = data.x[val_rows], data.y[val_rows]  # rows of patients the model never trains on
    clinic_val = data.clinic[val_rows]  # (N_val,) the clinic of each held-out row
    model[0].fit(x)  # statistics from the training patients only: validation stays unseen
    model.to(device)
    x, y, x_val, y_val = x.to(device), y.to(device), x_val.to(device), y_val.to(device)
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
    # The estimates: the model as returned, on patients it never saw and that chose nothing
    # (no early stopping, no tuning on them), clinic by clinic: unbiased guesses of the grader's figures.
    return model, accuracy_by_clinic(model, x_val, y_val, clinic_val.to(device), data.info["clinics"])


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")
