"""The judge: a clean interpreter that holds the hidden test data and computes every metric.

Started by `dlpath.grading.runner` as a fresh interpreter running `main(IN, OUT)`
in a private empty folder, with a scrubbed environment. It imports dlpath and
torch, never the learner's code (it may read the learner's files as text, for
static checks). The conversation, all through the parent:

    parent -> judge   JudgeConfig(hidden test seed, ...)   over a private pipe: never argv, never the environment
    judge -> parent   JudgeReady                           the hidden data is built
    parent -> judge   Go                                   the learner's `train` returned
    judge -> parent   Request(name, tensors)               relayed to the learner process: inputs only
    parent -> judge   Answer(values, tensors)              relayed back (or LearnerGone)
    judge -> parent   Result(metrics, facts)               the only source of metrics
 or judge -> parent   JudgeFailed(message)                 a broken project or a dlpath bug (exit status 2)

The judge makes itself non-dumpable, so that another process of the same user
cannot read its memory; the learner's sandbox (when the kernel has one) keeps
the learner's code from even seeing it.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any, Mapping

from dlpath.grading.channel import Channel
from dlpath.grading.protocol import (
    Answer,
    Go,
    JudgeConfig,
    JudgeFailed,
    JudgeReady,
    LearnerGone,
    Request,
    Result,
)

__all__ = ["main"]


class _Gone(Exception):
    """The learner process stopped while the judge was asking."""


def _judge(channel: Channel, config: JudgeConfig) -> None:
    import warnings

    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # while the learner trains, stay out of its way
    from dlpath.grading.tasks import JudgeContext, LearnerError, get_task
    from dlpath.projects import load_project

    project = load_project(Path(config.project_path))
    task = get_task(project.task)
    public = task.public_data(project, config.public_seed)
    test = task.test_data(project, config.test_seed)
    channel.send(JudgeReady())
    while True:
        message, _ = channel.receive()
        if isinstance(message, Go):
            break
        if isinstance(message, LearnerGone):
            return
    torch.set_num_threads(threads)
    counter = [0]

    def ask(name: str, values: Mapping[str, Any] | None = None, tensors: Mapping[str, Any] | None = None,
            target: str = "learner") -> tuple[dict[str, Any], dict[str, Any]]:
        counter[0] += 1
        channel.send(Request(id=counter[0], name=name, values=dict(values or {}), target=target),
                     dict(tensors or {}))
        while True:
            reply, got = channel.receive()
            if isinstance(reply, LearnerGone):
                raise _Gone()
            if isinstance(reply, Answer) and reply.id == counter[0]:
                if reply.error is not None:
                    raise LearnerError(str(reply.error)[:1000])
                return dict(reply.values), got

    ctx = JudgeContext(project=project, public=public, test=test, ask=ask, folder=Path(config.folder),
                       device="cpu", test_seed=int(config.test_seed))
    try:
        evaluation = task.judge(ctx)
    except _Gone:
        return
    metrics = {str(k): float(v) for k, v in evaluation.metrics.items()}
    channel.send(Result(metrics=metrics, facts=evaluation.facts.to_json()))


def main(argv: list[str] | None = None) -> None:
    from dlpath.grading.sandbox import die_with_parent, set_dumpable

    args = sys.argv[1:] if argv is None else argv
    channel = Channel(int(args[0]), int(args[1]))
    set_dumpable(False)
    die_with_parent()
    try:
        message, _ = channel.receive()
        if not isinstance(message, JudgeConfig):
            raise ValueError(f"expected the judge's configuration, got {message.tag!r}")
        _judge(channel, message)
    except EOFError:
        pass
    except BaseException as exc:  # noqa: BLE001 - the parent must hear about anything
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-3000:]
        try:
            channel.send(JudgeFailed(message=f"{type(exc).__name__}: {exc}\n{detail}"))
        except Exception:  # noqa: BLE001
            pass
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
