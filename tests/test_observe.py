"""The watch (dlpath.grading.observe): what it records inside the learner process, on tiny real models."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dlpath.grading.facts import Observation
from dlpath.grading.observe import Watch


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Tiny models train fastest on one thread (see conftest)."""


def watched(model: nn.Module, loop, raw: torch.Tensor | None = None) -> Observation:
    watch = Watch()
    if raw is not None:
        watch.raw_inputs(raw)
    watch.attach(model)
    with watch.training():
        loop(model)
    watch.finish(model)
    return Observation.from_json(watch.observation().to_json())  # as it crosses the process boundary


def data(n: int = 256, features: int = 4, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, features, generator=g) * scale
    return x, (x[:, 0] > 0).long()


def fit(x: torch.Tensor, y: torch.Tensor, steps: int = 20, lr: float = 0.01, scheduler=None, per_batch=False):
    def loop(model):
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        sched = scheduler(opt) if scheduler else None
        for _ in range(steps):
            for batch in torch.arange(len(x)).split(64):
                loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
                opt.zero_grad()
                loss.backward()
                opt.step()
                if sched is not None and per_batch:
                    sched.step()
            if sched is not None and not per_batch:
                sched.step()
    return loop


def mlp(features: int = 4) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(features, 16), nn.ReLU(), nn.Linear(16, 2))


def test_the_learning_rate_is_read_on_every_sampled_step():
    x, y = data()
    stepped = lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.1)  # noqa: E731
    obs = watched(mlp(), fit(x, y, steps=10, scheduler=stepped, per_batch=True))
    timeline = obs.timeline
    assert timeline is not None and timeline.total_steps == 40 and timeline.steps[:4] == [0, 1, 2, 4]
    assert timeline.learning_rate[0] == pytest.approx(0.01) and timeline.learning_rate[-1] < 1e-6
    assert all(math.isfinite(v) for v in timeline.loss) and len(timeline.update_ratio) == len(timeline.steps)
    per_epoch = watched(mlp(), fit(x, y, steps=10, scheduler=stepped)).timeline
    assert min(per_epoch.learning_rate) >= 0.99e-4  # 10 epochs of a StepLR(4): two decays, not forty


def test_preprocessing_in_the_loop_is_told_from_preprocessing_in_the_model():
    x, y = data(features=4, scale=50.0)
    outside = watched(mlp(), fit((x - x.mean(0)) / x.std(0), y), raw=x)
    assert outside.input_transform["scale"] > math.log(10) and outside.input_transform["features"] == 4

    class Standardized(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("mean", x.mean(0))
            self.register_buffer("std", x.std(0))
            self.net = mlp()

        def forward(self, z):
            return self.net((z - self.mean) / self.std)

    inside = watched(Standardized(), fit(x, y), raw=x)
    assert inside.input_transform["scale"] < 0.1 and inside.input_transform["shift"] < 0.1
    assert inside.inputs_normalized and inside.input_scale is None

    class Wrapped(nn.Module):  # standardized in the loop, and the model returned does the same: consistent
        def __init__(self, net):
            super().__init__()
            self.net, self.mean, self.std = net, x.mean(0), x.std(0)

        def forward(self, z):
            return self.net((z - self.mean) / self.std)

    watch = Watch()
    watch.raw_inputs(x)
    net = mlp()
    watch.attach(net)
    with watch.training():
        fit((x - x.mean(0)) / x.std(0), y)(net)
    watch.finish(Wrapped(net))
    transform = watch.observation().input_transform
    assert transform["scale"] > math.log(10) and transform["graded_scale"] < 0.1
    assert outside.input_transform.get("graded_scale", 99) > math.log(10)  # the bare model gets raw rows


def test_inputs_far_too_small_and_not_finite():
    x, y = data(scale=0.002)
    tiny = watched(mlp(), fit(x, y, steps=2))
    assert tiny.input_scale == "small" and tiny.inputs_normalized is False
    holes = x.clone()
    holes[::7, 1] = float("nan")
    nan = watched(mlp(), fit(holes, y, steps=1))
    assert nan.inputs_finite is False


@pytest.mark.parametrize(("batch_first", "transpose"), [(False, False), (True, False), (False, True)])
def test_recurrent_layers_say_how_they_read_their_input(batch_first, transpose):
    class Reader(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(3, 8, batch_first=batch_first)
            self.head = nn.Linear(8, 2)

        def forward(self, z):  # (N, T, 3)
            out, _ = self.rnn(z.transpose(0, 1) if transpose else z)
            return self.head(out[-1] if transpose else out[:, -1])

    x = torch.randn(32, 10, 3)
    y = torch.zeros(32, dtype=torch.long)
    obs = watched(Reader(), fit(x, y, steps=1))
    (layer,) = obs.recurrent
    assert layer.kind == "LSTM" and layer.batch_first is batch_first
    assert layer.input_shape == ([10, 32, 3] if transpose else [32, 10, 3]) and obs.first_input_shape == [32, 10, 3]
    assert layer.forget_bias is not None


def test_a_softmax_over_a_row_masked_everywhere_is_seen():
    class Attention(nn.Module):
        def __init__(self, diagonal):
            super().__init__()
            self.diagonal = diagonal
            self.qk = nn.Linear(4, 4)
            self.head = nn.Linear(4, 2)

        def forward(self, z):  # (N, T, 4)
            t = z.shape[1]
            scores = self.qk(z) @ z.transpose(1, 2)
            future = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=self.diagonal)
            mixed = scores.masked_fill(future, float("-inf")).softmax(dim=-1) @ z
            return self.head(mixed.mean(dim=1))

    x = torch.randn(16, 5, 4)
    y = torch.zeros(16, dtype=torch.long)
    assert watched(Attention(0), fit(x, y, steps=1)).fully_masked_rows is True
    assert watched(Attention(1), fit(x, y, steps=1)).fully_masked_rows is False


def test_a_loss_on_shapes_that_broadcast_is_recorded():
    x = torch.randn(64, 4)
    y = torch.randn(64)

    def loop(model):
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        for _ in range(3):
            loss = nn.functional.mse_loss(model(x), y)  # (64, 1) against (64,)
            opt.zero_grad()
            loss.backward()
            opt.step()

    with pytest.warns(UserWarning, match="target size"):
        obs = watched(nn.Linear(4, 1), loop)
    assert obs.recipe.loss_shapes == "(64, 1) and (64,)"


def test_dead_units_are_named_as_the_learner_finds_the_layer():
    from dlpath.grading.diagnose import Evidence, diagnose

    x, y = data()
    torch.manual_seed(0)
    dead = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
    with torch.no_grad():
        dead[2].bias.fill_(-100.0)  # every unit out of the second ReLU is 0 for every input
    found = [d for d in diagnose(Evidence(observation=watched(dead, fit(x, y, steps=2)))) if d.code == "dying-relu"]
    assert found and "the second ReLU (model[3])" in found[0].message
    assert "the first ReLU" not in found[0].message

    torch.manual_seed(0)
    healthy = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
    assert "dying-relu" not in [d.code for d in diagnose(Evidence(observation=watched(healthy, fit(x, y, steps=2))))]


def test_a_nested_layer_is_named_by_its_path_in_the_model():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU())
            self.head = nn.Linear(8, 2)

        def forward(self, x):
            return self.head(self.features(x))

    x, y = data()
    torch.manual_seed(0)
    labels = {layer.name: layer.label for layer in watched(Net(), fit(x, y, steps=1)).layers}
    assert labels["features.0"] == "the first Linear (model.features[0])"
    assert labels["head"] == "the third Linear (model.head)"
    assert labels["features.3 (ReLU)"] == "the second ReLU (model.features[3])"
