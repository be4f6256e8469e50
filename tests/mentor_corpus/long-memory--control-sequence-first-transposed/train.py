"""Remember the start of a long sequence with an LSTM (reference solution).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [50, 8] (50 steps of 8 channels) and info["num_classes"] is 4.
        The model maps sequences (N, 50, 8) to raw scores (logits) of shape (N, 4).
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 50, 8) float32 sequences, data.y_train (N,) int64 labels 0..3, and
        data.x_val, data.y_val likewise. device is "cpu" or "cuda". log(epoch=...,
        train_loss=..., val_loss=..., val_accuracy=...) records your learning curves.
        Leave the model in eval mode.

The data: one of the first 10 steps (a different one in each sequence) says the class: a pulse
in one of the first 4 channels, 0 on the others. Every other step is noise. The grade: accuracy
on fresh sequences (see project.yaml for the target).
"""

import torch
from torch import nn

HIDDEN = 32  # units in the LSTM's state (16 .. 128)
FORGET_BIAS = 3.0  # initial bias of the forget gate (0 is PyTorch's default; 1 .. 5 keeps the cell open)
LEARNING_RATE = 0.003  # Adam step size (1e-4 .. 1e-2)
CLIP = 1.0  # largest gradient norm allowed at a step (0.5 .. 5)
EPOCHS = 25  # passes over the training set
BATCH_SIZE = 64  # sequences per gradient step
SEED = 0  # fixes the initial weights and the shuffling


class Reader(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        self.lstm = nn.LSTM(channels, HIDDEN)  # (T, N, C) in
        with torch.no_grad():
            # PyTorch lays the biases out as the input, forget, cell and output gates. A forget gate
            # near 1 keeps the cell as it is from step to step, so the pulse survives the 40 or more
            # steps that follow, and so does the gradient that teaches the LSTM to store it.
            self.lstm.bias_ih_l0[HIDDEN:2 * HIDDEN].fill_(FORGET_BIAS)
        self.head = nn.Linear(HIDDEN, classes)

    def forward(self, x):  # (N, 50, 8)
        states, _ = self.lstm(x.transpose(0, 1))  # (50, N, HIDDEN): time first, as the LSTM expects
        return self.head(states[-1])  # (N, 4) from the last time step


def build_model(info):
    torch.manual_seed(SEED)
    steps, channels = info["input_shape"]
    return Reader(channels, info["num_classes"])


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 50, 8), (N,)
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
            nn.utils.clip_grad_norm_(model.parameters(), CLIP)  # one bad batch cannot throw the LSTM far
            optimizer.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            logits = model(x_val)  # (N_val, 4)
            val_loss = loss_fn(logits, y_val).item()
            val_accuracy = (logits.argmax(dim=1) == y_val).float().mean().item()
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss, val_accuracy=val_accuracy)
    model.eval()
