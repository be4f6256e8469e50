"""The learner's data and its world (docs/grading.md, "The learner's data, and the world it comes from"):
the judge draws each grade's world from a secret seed and sends the learner its data; the learner's side of
the grader never loads the generators."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch

from dlpath.datasets import GENERATORS, WORLD_PARAM, draw, generate, has_worlds, split_seed
from dlpath.grading import protocol as p
from dlpath.grading.grade import new_test_seed, world_seed_for
from dlpath.grading.tasks import TASKS, get_task
from dlpath.grading.tasks.generation import HIDDEN_INFO
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import delivered

NUISANCE = {"name": "nuisance", "params": {"features": 20, "informative": 2}, "train": 300, "val": 0, "test": 0}


def test_a_grades_world_comes_from_its_hidden_seed_and_comes_again_with_it():
    worlds = {world_seed_for(seed) for seed in (11, 22, 33, 44, 55)}
    assert len(worlds) == 5  # dev check's grade seeds: five worlds
    assert world_seed_for(11) == world_seed_for(11) and all(0 < w < 2**62 for w in worlds)


def test_hidden_seeds_are_too_many_to_tabulate_from_the_training_data():
    """A grade's training data follow from its hidden seed: a table from data to seed must be out of reach."""
    seeds = [new_test_seed() for _ in range(32)]
    assert all(0 < s < 2**53 for s in seeds)  # exact in JSON
    assert max(seeds) > 2**40  # 32 draws all below 2**40 of 2**53: about one chance in 2**416


def test_draw_hands_the_secret_world_to_a_generator_that_has_worlds():
    secret = draw(NUISANCE, 1, ("train",), world=world_seed_for(7))["train"]
    published = draw(NUISANCE, 1, ("train",))["train"]
    same = generate("nuisance", 300, split_seed(1, "train"), features=20, informative=2, world_seed=world_seed_for(7))
    assert torch.equal(secret.x, same.x)  # the world became the generator's world_seed
    assert torch.equal(secret.y, published.y) and not torch.equal(secret.x, published.x)  # same rows, other world


def test_a_world_pinned_by_the_project_stays_and_a_generator_without_worlds_ignores_it():
    pinned = dict(NUISANCE, params={**NUISANCE["params"], WORLD_PARAM: 4})
    assert torch.equal(draw(pinned, 1, ("train",), world=99)["train"].x, draw(pinned, 1, ("train",))["train"].x)
    shapes = {"name": "shapes", "params": {"classes": 3}, "train": 20, "val": 0, "test": 0}
    assert not has_worlds("shapes")
    assert torch.equal(draw(shapes, 1, ("train",), world=99)["train"].x, draw(shapes, 1, ("train",))["train"].x)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("name", sorted(n for n in GENERATORS if has_worlds(n)))
def test_world_zero_is_the_published_world_and_others_differ(name: str):
    default = generate(name, 200, 3)
    assert _same(default.x, generate(name, 200, 3, world_seed=0).x)
    other = [generate(name, 200, 3, world_seed=w) for w in (world_seed_for(1), world_seed_for(2))]
    assert not (_same(other[0].x, default.x) and _same(other[0].y, default.y))
    assert not (_same(other[0].x, other[1].x) and _same(other[0].y, other[1].y))


# What a generator's `info` holds for the judge alone (its task leaves it out of the learner's data): it may
# follow the world. tests/test_task_generation.py checks that the learner's process is never sent it.
JUDGES_INFO = {"gaussian_ring": HIDDEN_INFO}


@pytest.mark.parametrize("name", sorted(n for n in GENERATORS if has_worlds(n)))
def test_what_comes_with_the_rows_says_nothing_of_the_world(name: str):
    """The learner's data carry the generator's `info` (shapes, names, rates): the same in every world, so
    the world shows only in the rows themselves."""
    def learners(info: dict) -> dict:
        return {k: v for k, v in info.items() if k not in JUDGES_INFO.get(name, ())}

    published = learners(generate(name, 50, 3).info)
    assert all(learners(generate(name, 50, 3, world_seed=world_seed_for(s)).info) == published for s in (1, 2))


def test_a_spirals_world_turns_or_mirrors_the_published_one_and_nothing_else():
    """The difficulty is the same in every world: without noise, a world's points are the published ones
    moved by one rotation or reflection of the plane."""
    base = generate("spirals", 600, 5, noise=0.0)
    for world in (world_seed_for(s) for s in (11, 22, 33)):
        moved = generate("spirals", 600, 5, noise=0.0, world_seed=world)
        assert torch.equal(moved.y, base.y)
        fit = torch.linalg.lstsq(base.x.double(), moved.x.double()).solution  # (2, 2): moved = base @ fit
        assert torch.allclose(base.x.double() @ fit, moved.x.double(), atol=1e-4)
        assert torch.allclose(fit.T @ fit, torch.eye(2, dtype=torch.float64), atol=1e-4)


def test_a_machines_world_moves_its_harmonics():
    def peaks(world: int) -> list[int]:
        healthy = generate("sensors", 400, 2, noise=0.0, anomaly_rate=0.0, world_seed=world).x
        spectrum = torch.fft.rfft(healthy).abs().mean(dim=0)  # (33,) cycles per window
        return sorted(spectrum.topk(2).indices.tolist())

    assert peaks(0) == [3, 7]
    moved = [peaks(world_seed_for(s)) for s in (11, 22, 33)]
    assert all(2 <= low <= 5 and 6 <= high <= 9 for low, high in moved) and moved != [[3, 7]] * 3


def test_a_credit_world_reweighs_the_risk_and_keeps_the_default_rate():
    published = generate("credit", 20_000, 4)
    for world in (world_seed_for(s) for s in (11, 22)):
        other = generate("credit", 20_000, 4, world_seed=world)
        assert torch.equal(other.x, published.x)  # the same applicants ...
        assert not torch.equal(other.y, published.y)  # ... default under another rule
        assert abs(float(other.y.mean()) - 0.15) < 0.015


PROJECTS = {
    "classification": dict(dataset=DatasetSpec("spirals", {"classes": 3}, 50, 20, 10)),
    "honest_classification": dict(dataset=DatasetSpec("patient_visits", {"features": 4}, 60, 0, 10)),
    "text_classification": dict(dataset=DatasetSpec("reviews", {}, 30, 10, 10)),
}


@pytest.mark.parametrize("kind", sorted(PROJECTS))
def test_the_public_data_cross_the_channel_whole(kind: str):
    task = get_task(kind)
    spec = types.SimpleNamespace(id="t", task=kind, thresholds=(Threshold("test_accuracy", 0.5),), **PROJECTS[kind])
    public = task.public_data(spec, 1, world_seed_for(3))
    got = delivered(task, public)
    assert type(got) is task.public_type and type(got) is type(public)
    for name, value in vars(public).items():
        if torch.is_tensor(value):
            assert torch.allclose(getattr(got, name), value, equal_nan=True) and getattr(got, name).dtype == value.dtype
        else:
            assert getattr(got, name) == value


def test_only_the_judge_may_send_the_training_data():
    assert p.PublicData.tag in p.JUDGE_SAYS and p.PublicData.tag not in p.LEARNER_SAYS
    assert "world_seed" in {f for f in p.JudgeConfig.__dataclass_fields__}
    assert not {"world_seed", "test_seed", "project_path"} & set(p.LearnerConfig.__dataclass_fields__)


def test_the_learners_side_of_the_grader_never_loads_a_generator():
    """What the learner's process imports to train and answer (the harness, every task plugin, the watch, the
    shipped models' loader): dlpath.datasets is not among it, so it cannot be found in sys.modules there."""
    code = ("import sys; import dlpath.grading.harness, dlpath.grading.tasks, dlpath.grading.tasks._model, "
            "dlpath.grading.observe, dlpath.grading.sandbox, dlpath.grading.tensors, dlpath.envs.pretrained; "
            "print(sorted(m for m in sys.modules if m.startswith('dlpath.datasets')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert all(task.public_type is not None for task in TASKS.values())


def test_the_folders_hidden_from_the_learner_are_the_generators_and_the_shipped_data():
    from dlpath.datasets import shipped_dir
    from dlpath.grading import harness

    hidden = {harness._DLPATH / name for name in harness._HIDDEN}
    assert hidden == {Path(sys.modules["dlpath.datasets"].__file__).parent, shipped_dir()}


def test_the_folder_the_boot_line_put_first_leaves_the_learners_sys_path(monkeypatch: pytest.MonkeyPatch):
    """Only that entry: where dlpath is installed, the folder is site-packages, which must stay."""
    from dlpath.grading import harness

    root = str(harness._DLPATH.parent)
    monkeypatch.setattr(sys, "path", [root, "", "/somewhere/else", root + "/"])
    harness._leave_the_package_path()
    assert sys.path == ["", "/somewhere/else", root + "/"]


def test_dlpath_run_trains_in_the_published_world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from dlpath.grading import grade, runner
    from dlpath.grading.runner import RunOutcome

    seen = {}

    def fake_run_grade(project, folder, **kw):
        seen.update(kw)
        return RunOutcome(trained=True)

    monkeypatch.setattr(runner, "run_grade", fake_run_grade)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "train.py").write_text("")
    (folder / ".dlpath-project").write_text("project: mlp-spirals\n")
    grade.run_folder(folder)
    assert seen["test_seed"] is None and seen["world_seed"] is None
    grade.grade(grade.find_project(folder)[0], folder, seed=11)
    assert seen["test_seed"] == 11 and seen["world_seed"] == world_seed_for(11)


def _judge_once(config: p.JudgeConfig) -> tuple[p.Message, dict]:
    """Start the judge as the runner does (a fresh interpreter, two pipes), send it `config`, read its first say."""
    from dlpath.grading.channel import Channel
    from dlpath.grading.child import _BOOT, _PACKAGE_ROOT

    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    proc = subprocess.Popen([sys.executable, "-c", _BOOT.format(root=_PACKAGE_ROOT, module="judge"),
                             str(to_r), str(from_w)], pass_fds=(to_r, from_w), stdout=subprocess.DEVNULL)
    os.close(to_r)
    os.close(from_w)
    channel = Channel(from_r, to_w)
    try:
        channel.send(config)
        return channel.receive()
    finally:
        os.close(to_w)  # the judge ends when its channel closes
        proc.wait(timeout=60)
        os.close(from_r)


REGULARIZE = Path(__file__).resolve().parents[1] / "projects" / "regularize-a-tiny-data-set"


def test_the_judge_draws_the_learners_data_in_the_world_it_was_given():
    from dlpath.grading.project import load_project

    project = load_project(REGULARIZE)
    world = world_seed_for(5)
    config = p.JudgeConfig(project_path=str(REGULARIZE), folder=str(REGULARIZE), public_seed=project.public_seed,
                           test_seed=5, world_seed=world, measure=False)
    message, tensors = _judge_once(config)
    assert isinstance(message, p.PublicData)
    expected = get_task(project.task).public_data(project, project.public_seed, world)
    published = get_task(project.task).public_data(project, project.public_seed, None)
    assert torch.equal(tensors["x_train"], expected.x_train)
    assert not torch.equal(tensors["x_train"], published.x_train)


@pytest.mark.parametrize("world", ["7", True])
def test_a_judge_given_a_world_that_is_not_a_whole_number_fails_and_never_uses_the_published_one(world):
    config = p.JudgeConfig(project_path=str(REGULARIZE), folder=str(REGULARIZE), public_seed=1, test_seed=5,
                           world_seed=world, measure=False)
    message, _ = _judge_once(config)
    assert isinstance(message, p.JudgeFailed) and "world seed must be a whole number" in message.message
