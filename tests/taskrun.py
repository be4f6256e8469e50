"""Run a task in one process, for tests: the learner side (train, answer) wired straight to the judge side.

`run_task` trains a learner's source on the public data and judges it, without
starting processes (the end-to-end tests do that); `mentor` adds the
diagnoses, from the same evidence `dlpath check` builds.
"""

from __future__ import annotations

import textwrap
import types
from pathlib import Path
from typing import Any

from dlpath.grading.observe import Watch
from dlpath.grading.tasks import JudgeContext, LearnerSide, get_task


def learner(source: str, path: Path | None = None) -> types.ModuleType:
    module = types.ModuleType("train")
    if path is not None:  # where tasks that write files (an exported model) put them
        module.__file__ = str(path)
    exec(textwrap.dedent(source), module.__dict__)  # noqa: S102 - the test's own learner code
    return module


def delivered(task: Any, public: Any) -> Any:
    """The public data as the learner's process receives it: packed by the judge into a `PublicData` frame
    (JSON values, tensors in the body), cut from the byte stream and rebuilt as the task's `public_type`."""
    from dlpath.grading import protocol as p
    from dlpath.grading.tensors import pack, unpack

    values, tensors = task.pack_public(public)
    index, body = pack(tensors)
    reader = p.FrameReader()
    reader.feed(p.encode(p.PublicData(values=values), body, index))
    [(_, header, got)] = reader.frames()
    message = p.decode(header)
    assert isinstance(message, p.PublicData)
    return task.unpack_public(message.values, unpack(header.get("tensors"), got))


def run_task(source: str, project: dict, test_seed: int = 99, folder: Path | None = None,
             world_seed: int | None = None) -> dict[str, Any]:
    """Train `source` on the public data and judge it: metrics, facts, observation, curves, the requests asked,
    and the failure (a protocol.Failure) when the learner's code raised. A task that `uses_loader` gets an
    in-process loader (a side with no learner module) for `ask(..., target="loader")`; its requests are
    recorded as "loader:<name>". Files the learner's code writes go to `folder`; for a task that
    `reads_sources`, the Python files in `folder` are read before training, as the parent reads them. The data
    come from the world `world_seed` (None: the published one), the public part from the project's
    `public_seed` (else 1)."""
    from dlpath.grading.harness import _failed
    from dlpath.grading.protocol import failure_from_json
    from dlpath.grading.tasks import ContractError

    from dlpath.grading.sources import read_sources

    spec = types.SimpleNamespace(**project)
    task = get_task(spec.task)
    sources = read_sources(folder) if folder is not None and task.reads_sources else None
    public = task.public_data(spec, getattr(spec, "public_seed", 1), world_seed)
    data = delivered(task, public)
    curves: list[dict] = []
    module = learner(source, folder / "train.py" if folder is not None else None)
    watch = Watch(module)
    side = LearnerSide(module=module, device="cpu", log=lambda **k: curves.append(k), watch=watch)
    result: dict[str, Any] = {"curves": curves, "asked": [], "failure": None, "metrics": None, "facts": None}
    try:
        side.state = task.train(side, data)
    except ContractError:
        raise
    except Exception as exc:  # noqa: BLE001 - as the learner process reports it
        folder_of_code = Path(__file__).parent
        result["failure"] = failure_from_json(_failed(exc, folder_of_code, "train").failure)
        result["observation"] = watch.observation()
        return result
    result["observation"] = watch.observation()

    loader = LearnerSide(module=None, device="cpu", log=lambda **k: None, watch=Watch(enabled=False), role="loader")

    def ask(name, values=None, tensors=None, target="learner"):
        result["asked"].append(name if target == "learner" else f"{target}:{name}")
        return task.answer(name, dict(values or {}), dict(tensors or {}), side if target == "learner" else loader)

    ctx = JudgeContext(project=spec, public=public, test=task.test_data(spec, test_seed, world_seed), ask=ask,
                       folder=folder or Path("/nonexistent"), test_seed=test_seed, world_seed=world_seed,
                       sources=sources)
    evaluation = task.judge(ctx)
    result["metrics"], result["facts"] = evaluation.metrics, evaluation.facts
    return result


def mentor(source: str, project: dict, **kw: Any) -> tuple[list[Any], dict[str, Any]]:
    """The diagnoses of `source`, as `dlpath check` would give them (the facts and the observation cross JSON, as
    they do between the processes), and the run."""
    from dlpath.grading.diagnose import Evidence, diagnose
    from dlpath.grading.facts import Facts, Observation
    from dlpath.grading.protocol import Curves
    from dlpath.grading.tasks import TASKS
    from dlpath.grading.thresholds import compare

    got = run_task(source, project, **kw)
    spec = types.SimpleNamespace(**project)
    metrics = got["metrics"] if got["failure"] is None else None
    facts = Facts.from_json(got["facts"].to_json()) if got["facts"] else Facts()
    observation = Observation.from_json(got["observation"].to_json())  # as it crosses the process boundary
    evidence = Evidence(task=TASKS[spec.task], project=spec, curves=Curves.from_points(got["curves"]),
                        metrics=dict(metrics or {}), facts=facts, observation=observation,
                        failure=got["failure"], thresholds=compare(spec.thresholds, metrics))
    return diagnose(evidence), got
