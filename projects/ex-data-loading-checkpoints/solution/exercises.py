"""A Dataset, a padding collate function, and a checkpoint that resumes exactly (lesson: data-loading-checkpoints):
a reference solution.

Grade it from this folder with:

    dlpath check
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
        # the last start is n - window - 1: its target, series[n - 1], is the last value
        return max(0, len(self.series) - self.window)

    def __getitem__(self, i):
        x = self.series[i:i + self.window]  # (window,)
        y = self.series[i + self.window]  # ()
        # float32 here, or the default collate makes float64 batches a float32 model rejects
        return x.float(), y.float()


def next_value_examples(series, window, indices):
    """(len(ds), [ds[i] for i in indices]) for ds = NextValue(series, window)."""
    ds = NextValue(series, window)
    return len(ds), [ds[i] for i in indices]


def pad_collate(batch, pad_value):
    """(padded (B, T_max, ...), lengths (B,), labels (B,)) from a list of (sequence, label) pairs."""
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.int64)  # measured before padding
    padded = pad_sequence(list(seqs), batch_first=True, padding_value=pad_value)  # (B, T_max, ...)
    return padded, lengths, torch.stack(labels)


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
    """Train stop_epoch epochs, checkpoint, rebuild, load, finish: the weights of an unbroken run."""
    model, optimizer, shuffle, loader = fresh(x, y)
    train_epochs(model, optimizer, loader, 0, stop_epoch)
    buffer = io.BytesIO()  # stands for the checkpoint file
    torch.save({"epoch": stop_epoch,  # how many epochs are done: the next one to run
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),  # Adam's running averages: without them it restarts cold
                "shuffle": shuffle.get_state()},  # the order of the epochs still to come
               buffer)

    model, optimizer, shuffle, loader = fresh(x, y)  # a new process: everything built anew ...
    buffer.seek(0)
    checkpoint = torch.load(buffer)
    model.load_state_dict(checkpoint["model"])  # ... then replaced by the saved state
    optimizer.load_state_dict(checkpoint["optimizer"])
    shuffle.set_state(checkpoint["shuffle"])
    train_epochs(model, optimizer, loader, checkpoint["epoch"], epochs)
    return weights(model)


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
