"""``delayed_recall``: the class is said once, at a step drawn per sequence from the first ``window``, and the rest
is noise."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, generate


def pulses(x: torch.Tensor) -> torch.Tensor:
    """(N, steps): True at each step that is a clean one-hot pulse (one channel 1, every other exactly 0)."""
    return ((x == 0).sum(dim=2) == x.shape[2] - 1) & ((x == 1).sum(dim=2) == 1)


def test_step_zero_says_the_class_and_nothing_else_does():
    data = generate("delayed_recall", 300, 4, classes=4, length=20, channels=6, noise=0.5)
    assert data.x.shape == (300, 20, 6) and data.y.dtype == torch.int64
    assert torch.equal(data.x[:, 0].argmax(dim=1), data.y)
    assert torch.equal(data.x[:, 0].sum(dim=1), torch.ones(300))
    later = data.x[:, 1:]
    assert abs(float(later.std()) - 0.5) < 0.02
    assert float(later[data.y == 0].mean()) == pytest.approx(float(later[data.y == 1].mean()), abs=0.02)
    assert data.info["signal_steps"] == [0, 1] and data.info["num_classes"] == 4


def test_window_one_is_the_default():
    default = generate("delayed_recall", 50, 3, length=20)
    explicit = generate("delayed_recall", 50, 3, length=20, window=1)
    assert torch.equal(default.x, explicit.x) and torch.equal(default.y, explicit.y)


def test_the_pulse_sits_at_a_step_drawn_per_sequence_within_the_window():
    data = generate("delayed_recall", 2000, 4, classes=4, length=30, channels=6, noise=0.5, window=8)
    found = pulses(data.x)
    assert torch.equal(found.sum(dim=1), torch.ones(2000, dtype=torch.long))  # one pulse per sequence
    at = found.long().argmax(dim=1)
    assert int(at.max()) < 8  # never after the window
    counts = torch.bincount(at, minlength=8)
    assert int(counts.min()) > 2000 / 8 * 0.75  # every step of the window is used, about equally
    rows = torch.arange(2000)
    assert torch.equal(data.x[rows, at].argmax(dim=1), data.y)  # the pulse says the class
    assert float((data.x[:, 0].argmax(dim=1) == data.y).float().mean()) < 0.4  # step 0 alone does not
    noise = data.x[~found]  # every other step: noise on every channel
    assert abs(float(noise.std()) - 0.5) < 0.02 and abs(float(noise.mean())) < 0.02
    assert data.info["signal_steps"] == [0, 8]


def test_the_data_are_fixed_by_the_seed_and_leave_the_global_generator_alone():
    torch.manual_seed(5)
    before = torch.get_rng_state()
    first = generate("delayed_recall", 100, 9, length=20, window=5)
    assert torch.equal(torch.get_rng_state(), before)
    again = generate("delayed_recall", 100, 9, length=20, window=5)
    assert torch.equal(first.x, again.x) and torch.equal(first.y, again.y)
    other = generate("delayed_recall", 100, 10, length=20, window=5)
    assert not torch.equal(pulses(first.x), pulses(other.x))


def test_classes_are_balanced():
    assert torch.bincount(generate("delayed_recall", 400, 1).y).tolist() == [100, 100, 100, 100]


@pytest.mark.parametrize("params", [{"classes": 1}, {"classes": 9, "channels": 8}, {"length": 1}])
def test_impossible_parameters_are_refused(params):
    with pytest.raises(BadDataset):
        generate("delayed_recall", 10, 0, **params)


@pytest.mark.parametrize("window", [0, -1, 21])
def test_a_window_outside_the_sequence_is_refused(window):
    with pytest.raises(BadDataset) as refused:
        generate("delayed_recall", 10, 0, length=20, window=window)
    assert str(refused.value) == ("delayed_recall needs 1 <= window <= length (the pulse sits in the first window "
                                  f"steps), not window={window}, length=20")


def test_the_whole_sequence_may_be_the_window():
    data = generate("delayed_recall", 500, 2, length=6, window=6)
    at = pulses(data.x).long().argmax(dim=1)
    assert set(at.tolist()) == set(range(6)) and data.info["signal_steps"] == [0, 6]
