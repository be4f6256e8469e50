"""The judge: a clean interpreter that holds the hidden test data and computes every metric.

Started by `dlpath.grading.runner` as a fresh interpreter running `main(IN, OUT)`
in a private empty folder, with a scrubbed environment. It imports dlpath and
torch, never the learner's code (it may read the learner's files as text, for
static checks; the Python files a task's rule reads come in its configuration, as
the parent read them before the learner's code ran). The conversation, all through
the parent:

    parent -> judge   JudgeConfig(hidden test and world seeds, ...)  over a private pipe: never argv, never the
                                                         environment
    judge -> parent   PublicData(values, tensors)          relayed to the learner process: its training data,
                                                         drawn from the public seed in the secret world
    judge -> parent   JudgeReady                           the hidden data is built
    parent -> judge   Go                                   the learner's `train` returned
    judge -> parent   Request(name, tensors)               relayed to the learner process: inputs only
    parent -> judge   Answer(values, tensors)              relayed back (or LearnerGone); an answer may be
                                                         interim (an exercise's function asking the judge for
                                                         f(x)): the judge's next Request replies, and the
                                                         answer to that one continues the same call
    judge -> parent   Result(metrics, facts)               the only source of metrics
 or judge -> parent   JudgeFailed(message)                 a broken project or a dlpath bug (exit status 2)

For `dlpath run` (`JudgeConfig.measure` false) the judge only builds and sends
the public data, then waits to be stopped.

The judge makes itself non-dumpable, so that another process of the same user
cannot read its memory; the learner's sandbox (when the kernel has one) keeps
the learner's code from even seeing it.

Once its hidden data is built and the learner's `train` has returned, the judge
caps its own memory (`JudgeConfig.memory_mb` more than it holds then): what it
reads, replays or receives afterwards comes from the learner's code, and a
file of gigabytes, a link to /dev/zero or a graph that asks for a huge tensor
then ends in a verdict (`JudgeFailed.out_of_memory`, FailureKind.JUDGE_MEMORY)
instead of the machine swapping. It never loads a file the learner wrote: a
saved model goes to the sandboxed loader.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any, Mapping

from dlpath.grading.channel import Channel
from dlpath.grading.processes import ALLOCATION, cap_address_space, memory_cap_mb
from dlpath.grading.protocol import (
    Answer,
    Go,
    JudgeConfig,
    JudgeFailed,
    JudgeReady,
    LearnerGone,
    ProtocolError,
    PublicData,
    Request,
    Result,
)

__all__ = ["main", "cap_memory", "failure_message"]


class _Gone(Exception):
    """The learner process stopped while the judge was asking."""


def cap_memory(mb: int) -> bool:
    """Cap this judge's memory at `mb` more than it uses now (see the module's docstring)."""
    return cap_address_space(int(mb)) if mb > 0 else False


class _Unreadable(Exception):
    """An answer relayed from the learner's process that cannot be read (its tensor index names impossible
    sizes, say): the learner's fault, a verdict, not the grader's failure."""


def failure_message(exc: BaseException, cap_mb: int) -> JudgeFailed:
    """What the judge tells the parent when it fails: out of memory under its cap (the learner's work was too
    large to measure: a verdict), an answer it could not read (a verdict), or anything else (a dlpath bug or a
    broken project: exit status 2)."""
    if isinstance(exc, _Unreadable):
        return JudgeFailed(message=str(exc)[:1000], unreadable_answer=True)
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-3000:]
    memory = isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and bool(ALLOCATION.search(str(exc))))
    return JudgeFailed(message=f"{type(exc).__name__}: {exc}\n{detail}", out_of_memory=memory and cap_mb > 0)


def _judge(channel: Channel, config: JudgeConfig) -> None:
    import warnings

    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    import torch

    from dlpath.grading.tasks import JudgeContext, LearnerError, get_task
    from dlpath.grading.project import load_project

    project = load_project(Path(config.project_path))
    task = get_task(project.task)
    world = config.world_seed  # None: the world the project publishes (`dlpath run`)
    if world is not None and (not isinstance(world, int) or isinstance(world, bool)):
        # never fall back to the published world, whose rows anyone can draw
        raise ValueError(f"the world seed must be a whole number or None, got {world!r}")
    public = task.public_data(project, config.public_seed, world)  # the learner's process waits for it
    values, tensors = task.pack_public(public)
    channel.send(PublicData(values=values), tensors)
    if not config.measure:
        _wait_for_the_end(channel)
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # while the learner trains, stay out of its way
    test = task.test_data(project, config.test_seed, world)
    channel.send(JudgeReady())
    while True:
        message, _ = channel.receive()
        if isinstance(message, Go):
            break
        if isinstance(message, LearnerGone):
            return
    torch.set_num_threads(threads)
    (torch.ones(64, 64) @ torch.ones(64, 64)).sum()  # start the thread pool before the cap
    cap_memory(int(config.memory_mb))
    counter = [0]

    def ask(name: str, values: Mapping[str, Any] | None = None, tensors: Mapping[str, Any] | None = None,
            target: str = "learner") -> tuple[dict[str, Any], dict[str, Any]]:
        counter[0] += 1
        channel.send(Request(id=counter[0], name=name, values=dict(values or {}), target=target),
                     dict(tensors or {}))
        while True:
            try:
                reply, got = channel.receive()
            except ProtocolError as exc:  # the parent relays the learner's answers as they came
                raise _Unreadable(f"your process answered the grader's {name!r} request with something it "
                                  f"cannot read ({exc})") from None
            if isinstance(reply, LearnerGone):
                raise _Gone()
            if isinstance(reply, Answer) and reply.id == counter[0]:
                if reply.error is not None:
                    raise LearnerError(str(reply.error)[:1000])
                return dict(reply.values), got

    from dlpath.grading.sources import Sources

    ctx = JudgeContext(project=project, public=public, test=test, ask=ask, folder=Path(config.folder),
                       device="cpu", test_seed=int(config.test_seed), world_seed=world,
                       sources=Sources.from_json(config.sources))
    try:
        evaluation = task.judge(ctx)
    except _Gone:
        return
    metrics = {str(k): float(v) for k, v in evaluation.metrics.items()}
    channel.send(Result(metrics=metrics, facts=evaluation.facts.to_json()))


def _wait_for_the_end(channel: Channel) -> None:
    """`dlpath run`: nothing to measure; wait until the parent closes the channel."""
    while True:
        message, _ = channel.receive()  # EOFError ends the judge in `main`
        if isinstance(message, LearnerGone):
            return


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
        try:
            channel.send(failure_message(exc, memory_cap_mb()))
        except Exception:  # noqa: BLE001
            pass
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
