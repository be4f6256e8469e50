"""The judge's side of ex-data-loading-checkpoints: hidden series, batches and runs, the references, and the
mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import io

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlpath.grading.exercises import Case, Exercise, matches, mistake

# ------------------------------------------------------------------ a Dataset of windows


def _windows(series: torch.Tensor, window: int, indices: list[int]) -> tuple[int, list]:
    n = max(0, series.numel() - window)
    xs = series.float().unfold(0, window, 1)[:n] if n else series.float().new_zeros(0, window)  # (n, window)
    ys = series.float()[window:]  # (n,)
    return n, [(xs[i], ys[i]) for i in indices]


def _series(rng: torch.Generator) -> list[Case]:
    def randn(n: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.randn(n, generator=rng, dtype=dtype)

    long = randn(50)
    return [
        Case("a series of 10 values, window 3: examples 0, 4 and the last one", randn(10), 3, [0, 4, 6]),
        Case("window 1: each value predicts the next", randn(8), 1, [0, 3, 6]),
        Case("a float64 series, as NumPy makes them", randn(12, torch.float64), 4, [0, 7]),
        Case("an int64 series of daily counts", torch.randint(0, 30, (9,), generator=rng), 2, [1, 6]),
        Case("a series one value longer than its window: one example", randn(6), 5, [0]),
        Case("a 50-value series, window 7, examples in no order", long, 7,
             torch.randperm(43, generator=rng)[:6].tolist()),
        Case("a series exactly as long as its window: no example", randn(4), 4, []),
        Case("a series shorter than its window: no example", randn(3), 5, []),
    ]


def _examples(got: object) -> list | None:
    if isinstance(got, (tuple, list)) and len(got) == 2 and isinstance(got[1], (tuple, list)):
        return list(got[1])
    return None


def _check_float32(case: Case, got: object) -> str | None:
    for example in _examples(got) or []:
        for part in example if isinstance(example, (tuple, list)) else [example]:
            if isinstance(part, torch.Tensor) and part.dtype != torch.float32:
                return f"an example holds a {str(part.dtype).replace('torch.', '')} tensor where float32 was asked"
    return None


@mistake("dataset-length")
def _length(case: Case, got: object, want: object) -> str | None:
    series, window, _ = case.args
    if not isinstance(got, (tuple, list)) or len(got) != 2 or matches(got[0], want[0]):
        return None
    return (f"len() of your Dataset is {got[0]} for {series.numel()} values and window {window}, where there are "
            f"{want[0]} examples: start i needs its target series[i + window], so the last start is "
            "len(series) - window - 1, and a series no longer than the window has none (max(0, ...)).")


@mistake("dataset-target-in-window")
def _target_inside(case: Case, got: object, want: object) -> str | None:
    series, window, indices = case.args
    inside = [(series[i:i + window].float(), series[i + window - 1].float()) for i in indices]
    if indices and matches(_examples(got), inside) and not matches(want[1], inside):
        return ("Your y is the last value inside the window, which x already holds: the example teaches nothing. "
                "The target is the value right after the window, series[i + window].")
    return None


@mistake("dataset-float64")
def _float64(case: Case, got: object, want: object) -> str | None:
    if _check_float32(case, got) and matches(_examples(got), want[1]):
        dtype = str(case.args[0].dtype).replace("torch.", "")
        return (f"Right values, but your examples keep the series' {dtype}: the default collate stacks them into "
                f"{dtype} batches, which a float32 model rejects. Return x.float() and y.float() from __getitem__.")
    return None


# ------------------------------------------------------------------ a collate function that pads


def _padded(batch: list, pad_value: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    seqs = [s for s, _ in batch]
    lengths = torch.tensor([s.shape[0] for s in seqs], dtype=torch.int64)
    out = torch.full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), pad_value, dtype=seqs[0].dtype)
    for row, s in enumerate(seqs):
        out[row, :s.shape[0]] = s
    return out, lengths, torch.stack([label for _, label in batch])


def _batches(rng: torch.Generator) -> list[Case]:
    def ids(*lengths: int) -> list:
        return [(torch.randint(1, 50, (t,), generator=rng), torch.randint(0, 2, (), generator=rng))
                for t in lengths]

    features = [(torch.randn(t, 3, generator=rng), torch.randint(0, 4, (), generator=rng)) for t in (2, 5, 1)]
    return [
        Case("three sequences of token ids, lengths 3, 1 and 4", ids(3, 1, 4), 0),
        Case("padding with -1, because 0 is a real token here", ids(2, 5, 3, 1), -1),
        Case("one sequence alone", ids(4), 0),
        Case("sequences of (T, 3) feature vectors", features, 0.0),
        Case("sequences all of one length", ids(3, 3), 7),
        Case("an empty sequence among them", ids(2, 0, 3), -1),
    ]


@mistake("collate-time-first")
def _time_first(case: Case, got: object, want: object) -> str | None:
    if isinstance(got, (tuple, list)) and got and want[0].shape[0] != want[0].shape[1] and matches(
            got[0], want[0].transpose(0, 1)):
        return (f"Your padded batch has shape {tuple(want[0].transpose(0, 1).shape)}, time first: pad_sequence "
                f"puts time first unless batch_first=True. The model wants (B, T_max, ...): "
                f"{tuple(want[0].shape)} here.")
    return None


@mistake("collate-pad-value")
def _pad_zero(case: Case, got: object, want: object) -> str | None:
    batch, pad_value = case.args
    if pad_value != 0 and isinstance(got, (tuple, list)) and got and matches(got[0], _padded(batch, 0)[0]):
        return (f"You padded with 0 where pad_value = {pad_value}: here 0 is a real token, so the padding would "
                "read as content. Pass padding_value=pad_value to pad_sequence (its default is 0).")
    return None


@mistake("collate-lengths-after-padding")
def _lengths(case: Case, got: object, want: object) -> str | None:
    if not (isinstance(got, (tuple, list)) and len(got) == 3) or bool((want[1] == want[1].max()).all()):
        return None
    if matches(got[1], torch.full_like(want[1], int(want[1].max()))):
        return ("Every length is the padded length: you measured the sequences after padding. Take len(s) of "
                "each sequence before pad_sequence: the model needs the real lengths to ignore the padding.")
    return None


# ------------------------------------------------------------------ a checkpoint that resumes exactly

_BATCH_SIZE, _LR = 10, 0.05  # as in the starter


def _fresh(x: torch.Tensor, y: torch.Tensor) -> tuple:
    g = torch.Generator().manual_seed(0)
    model = nn.Sequential(nn.Linear(x.shape[1], 8), nn.ReLU(), nn.Linear(8, 2))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=g))
    optimizer = torch.optim.Adam(model.parameters(), lr=_LR)
    shuffle = torch.Generator().manual_seed(1)
    loader = DataLoader(TensorDataset(x, y), batch_size=_BATCH_SIZE, shuffle=True, generator=shuffle)
    return model, optimizer, shuffle, loader


def _train(model: nn.Module, optimizer: torch.optim.Optimizer, loader: DataLoader, epochs: int) -> None:
    for _ in range(epochs):
        for xb, yb in loader:
            loss = nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def _weights(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def _straight(x: torch.Tensor, y: torch.Tensor, stop_epoch: int, epochs: int) -> torch.Tensor:
    """The run that never stopped: what an exact resume must end with."""
    model, optimizer, _, loader = _fresh(x, y)
    _train(model, optimizer, loader, epochs)
    return _weights(model)


def _resumed(case: Case, optimizer_state: bool = True, shuffle_state: bool = True, shift: int = 0) -> torch.Tensor:
    """A resume that forgets the optimizer's state or the shuffling's, or continues `shift` epochs off."""
    x, y, stop, epochs = case.args
    saved = case.__dict__.get("checkpoint")
    if saved is None:  # the run up to the checkpoint is the same for every variant: train it once per case
        model, optimizer, shuffle, loader = _fresh(x, y)
        _train(model, optimizer, loader, stop)
        buffer = io.BytesIO()
        torch.save((model.state_dict(), optimizer.state_dict(), shuffle.get_state()), buffer)
        saved = case.__dict__["checkpoint"] = buffer.getvalue()
    model, optimizer, shuffle, loader = _fresh(x, y)
    saved_model, saved_optimizer, saved_shuffle = torch.load(io.BytesIO(saved))
    model.load_state_dict(saved_model)
    if optimizer_state:
        optimizer.load_state_dict(saved_optimizer)
    if shuffle_state:
        shuffle.set_state(saved_shuffle)
    _train(model, optimizer, loader, max(0, epochs - stop - shift))
    return _weights(model)


def _runs(rng: torch.Generator) -> list[Case]:
    def data(n: int, f: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(n, f, generator=rng)
        return x, (x[:, 0] * x[:, -1] > 0).long()

    return [
        Case("20 examples, stopped after 2 of 4 epochs", *data(20, 2), 2, 4),
        Case("25 examples of 3 features (the last batch is short), stopped after 1 of 3 epochs", *data(25, 3), 1, 3),
        Case("stopped before the first epoch (0 of 2)", *data(20, 2), 0, 2),
        Case("stopped after the last epoch (2 of 2): nothing left to train", *data(20, 2), 2, 2),
    ]


def _resume_matches(case: Case, got: object, want: object, **broken: object) -> bool:
    alternative = _resumed(case, **broken)  # type: ignore[arg-type]
    return not matches(alternative, want, rtol=1e-4, atol=1e-5) and matches(got, alternative, rtol=1e-4, atol=1e-5)


@mistake("checkpoint-no-optimizer")
def _no_optimizer(case: Case, got: object, want: object) -> str | None:
    if _resume_matches(case, got, want, optimizer_state=False):
        return ("Your resumed run restarts Adam cold: its running averages were not in the checkpoint, so its first "
                "steps after resuming are badly scaled. Save optimizer.state_dict() and load it back with "
                "optimizer.load_state_dict().")
    return None


@mistake("checkpoint-no-shuffle")
def _no_shuffle(case: Case, got: object, want: object) -> str | None:
    if _resume_matches(case, got, want, shuffle_state=False):
        return ("Your resumed run replays the shuffled order of the first epochs: the generator that shuffles "
                "starts from its seed again. Save shuffle.get_state() and restore it with shuffle.set_state().")
    return None


@mistake("checkpoint-epoch")
def _epoch(case: Case, got: object, want: object) -> str | None:
    for shift, what in ((-1, "trains one epoch twice"), (1, "skips an epoch")):
        if _resume_matches(case, got, want, shift=shift):
            return (f"Your resumed run {what}: after stop_epoch epochs are done, the next one to run is number "
                    "stop_epoch (counting from 0). Save the number of epochs done and continue from exactly there.")
    return None


EXERCISES = [
    Exercise("next_value_examples", _series, reference=_windows, check=_check_float32,
             mistakes=[_length, _target_inside, _float64]),
    Exercise("pad_collate", _batches, reference=_padded, mistakes=[_time_first, _pad_zero, _lengths]),
    Exercise("resume_training", _runs, reference=_straight, rtol=1e-4, atol=1e-5,
             mistakes=[_no_optimizer, _no_shuffle, _epoch]),
]
