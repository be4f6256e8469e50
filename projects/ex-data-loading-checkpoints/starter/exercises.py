"""A Dataset, a padding collate function, and a checkpoint that resumes exactly (lesson: data-loading-checkpoints).

Write the three pieces marked TODO below, then grade them from this folder:

    dlpath check

The grader calls next_value_examples, pad_collate and resume_training on data you have not
seen (a float64 series, a series shorter than its window, an empty sequence, a run stopped
before its first epoch) and compares with the right answers.
"""

import io

import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset, TensorDataset

BATCH_SIZE = 10  # examples per step of resume_training's runs
LR = 0.05  # Adam's learning rate in those runs


class NextValue(Dataset):
    """Example i of a series: (the `window` values from position i on, the value right after them)."""

    def __init__(self, series, window):
        self.series = series  # (n,)
        self.window = window

    def __len__(self):
        # TODO: how many starts i have a value right after their window? (There are none when the
        # series is no longer than the window.)
        raise NotImplementedError("NextValue.__len__ is not written yet")

    def __getitem__(self, i):
        # TODO: return (x, y): the window starting at i and the value after it, both float32.
        raise NotImplementedError("NextValue.__getitem__ is not written yet")


def next_value_examples(series, window, indices):
    """The length of NextValue(series, window) and its examples at `indices`.

    series: a 1-D tensor of n values, of any dtype (a float64 one comes from NumPy).
    window: how many values each example sees (at least 1).
    indices: a list of valid example numbers.
    Returns (len(ds), [ds[i] for i in indices]) where ds[i] = (x, y): x is series[i:i + window]
    and y the value series[i + window], both float32 (x of shape (window,), y a 0-d tensor).
    A series of n <= window values has no example: length 0.
    """
    # TODO: write NextValue's two methods above; this function only builds it and asks it.
    ds = NextValue(series, window)
    return len(ds), [ds[i] for i in indices]


def pad_collate(batch, pad_value):
    """A DataLoader's collate_fn for sequences of different lengths.

    batch: a list of B pairs (sequence, label): each sequence a tensor of shape (T_i,) or (T_i, F)
    (T_i may be 0), each label a 0-d tensor.
    Returns (padded, lengths, labels): padded of shape (B, T_max) or (B, T_max, F), each sequence
    followed by pad_value up to the longest; lengths, an int64 tensor (B,) of the T_i before
    padding; labels, a tensor (B,).
    """
    # TODO: split the pairs, measure each sequence, pad them batch-first with pad_value, and stack
    # the labels.
    raise NotImplementedError("pad_collate is not written yet")


def fresh(x, y):
    """What a new process builds: the model, its Adam, the generator that shuffles, and the loader."""
    g = torch.Generator().manual_seed(0)
    model = nn.Sequential(nn.Linear(x.shape[1], 8), nn.ReLU(), nn.Linear(8, 2))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=g))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    shuffle = torch.Generator().manual_seed(1)
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH_SIZE, shuffle=True, generator=shuffle)
    return model, optimizer, shuffle, loader


def train_epochs(model, optimizer, loader, first_epoch, last_epoch):
    """Train from epoch first_epoch up to (not including) last_epoch."""
    for _ in range(first_epoch, last_epoch):
        for xb, yb in loader:
            loss = nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def weights(model):
    """Every weight of the model in one flat tensor."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def resume_training(x, y, stop_epoch, epochs):
    """Train `stop_epoch` epochs, checkpoint, start afresh as a new process would, resume, finish.

    x: (N, F) float32 inputs; y: (N,) int64 labels 0 or 1; 0 <= stop_epoch <= epochs.
    Returns weights(model) at the end: exactly those of fresh(x, y) trained `epochs` epochs
    without stopping.
    """
    model, optimizer, shuffle, loader = fresh(x, y)
    train_epochs(model, optimizer, loader, 0, stop_epoch)
    buffer = io.BytesIO()  # stands for the checkpoint file
    # TODO: torch.save into buffer everything a resumed run needs to continue exactly as if it
    # had never stopped; then call fresh(x, y) again, buffer.seek(0), torch.load it back into the
    # new objects, and train the remaining epochs.
    raise NotImplementedError("resume_training is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
