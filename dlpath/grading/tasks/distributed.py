"""``distributed``: data-parallel training on two CPU processes (DistributedDataParallel, gloo), judged on both.

The grader starts one learner process, as for every task; this task starts the
second rank itself, so that both ranks live under the grade's one budget and one
memory cap (the runner counts and kills every descendant of the learner process):

    learner process = rank 0                         rank 1 (forked by this task)
    build_model(info)  ------------- fork ------->   the same model, the same data
    sets MASTER_ADDR=127.0.0.1, MASTER_PORT (a free port), RANK, WORLD_SIZE=2, one thread per rank
    train(model, data, 0, 2, log)    <-- gloo -->    train(model, data, 1, 2, no-op log)
    (watched, log reaches the report)                the weights, and the training samples of each
                                     <-- pipe ---    step, as raw bytes (or its error)
    answers the judge for both ranks

In each rank a forward pre-hook on the model records each training step (training
mode, gradients on): which samples of x_train it used (recognized by their values),
how many rows it was given and how many of them are no sample of x_train, and
whether it ran inside the forward of the DistributedDataParallel wrapper around the
model. The judge asks for both ranks' weights and step records and computes itself
how far the weights differ and how many samples the two ranks shared at the same
step; rows it cannot recognize (beyond 1%), training outside the wrapper (beyond
1%) or ranks that did not step together count as data not split.

The sandbox gives the learner process a private network namespace with its own
loopback up, so gloo on 127.0.0.1 works there, and nothing else is reachable.
These records come from the learner's own processes: like the autograd count of
``regression_by_hand``, they make a rule for learning, not a security boundary.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, Requires, SplitData, Task

WORLD_SIZE = 2
_LESSON = "distributed-training"
_ALIVE: list[Any] = []  #: every DDP wrapper built in this process, never destroyed before the process ends
_GROUP_TIMEOUT_S = 30  # how long a rank waits for the other to join (when the learner sets no timeout)
_GAP_CAP = 1.0e12  # the weight gap when the ranks' weights cannot be compared


# ------------------------------------------------------------------ the learner process: both ranks


class _StepRecorder:
    """Records each training step of the model: the rows of x_train it recognizes (by value), how many rows it was
    given, how many of those are no row of x_train, and whether the step ran inside the DistributedDataParallel
    wrapper's forward, gradients synchronized (``_Watching`` counts those calls in ``inside_ddp``).

    A training step is a forward pass in training mode with gradients on: a pass under no_grad trains nothing.
    Rows are matched by an integer hash of their float64 bits (exact whatever the batch's shape), then by value.
    """

    def __init__(self, x: Any) -> None:
        import torch

        self.x = _exact_rows(x)
        self.w = torch.randint(-2**62, 2**62, (self.x.shape[1],), generator=torch.Generator().manual_seed(8191)) | 1
        self.keys, self.order = _row_keys(self.x, self.w).sort()
        self.steps: list[Any] = []  #: each step's recognized sample indices
        self.rows: list[int] = []  #: each step's number of rows
        self.unknown: list[int] = []  #: each step's rows that are no row of x_train
        self.through: list[bool] = []  #: each step ran inside the DDP wrapper's forward
        self.inside_ddp = 0  #: how deep this rank is in the DDP wrapper's forward now
        self.grouped = False  #: a process group existed during a training step

    def __call__(self, module: Any, inputs: tuple) -> None:
        import torch
        import torch.distributed as dist

        if not module.training or not torch.is_grad_enabled() or len(self.keys) == 0:
            return
        self.grouped = self.grouped or (dist.is_available() and dist.is_initialized())
        batch = inputs[0].detach().to("cpu") if inputs and isinstance(inputs[0], torch.Tensor) else None
        if batch is None or batch.dim() == 0 or batch.shape[0] == 0 or batch[0].numel() != self.x.shape[1]:
            rows = batch.shape[0] if batch is not None and batch.dim() > 0 else 1
            self._record(torch.empty(0, dtype=torch.int32), max(rows, 1), max(rows, 1))  # no training rows
            return
        rows = _exact_rows(batch)
        at = torch.searchsorted(self.keys, _row_keys(rows, self.w)).clamp(max=len(self.keys) - 1)
        candidates = self.order[at]
        same = (self.x[candidates] == rows).all(dim=1)
        self._record(candidates[same].unique().to(torch.int32), len(rows), int((~same).sum()))

    def _record(self, indices: Any, rows: int, unknown: int) -> None:
        self.steps.append(indices)
        self.rows.append(rows)
        self.unknown.append(unknown)
        self.through.append(self.inside_ddp > 0)

    def packed(self) -> dict[str, Any]:
        """The record as tensors: every step's sample indices concatenated, and per step their count
        ("lengths"), its rows, its unknown rows and whether it ran through the DDP wrapper."""
        import torch

        return {"indices": torch.cat(self.steps) if self.steps else torch.empty(0, dtype=torch.int32),
                "lengths": torch.tensor([len(s) for s in self.steps], dtype=torch.int64),
                "rows": torch.tensor(self.rows, dtype=torch.int64),
                "unknown": torch.tensor(self.unknown, dtype=torch.int64),
                "through": torch.tensor(self.through, dtype=torch.bool)}


def _exact_rows(x: Any) -> Any:
    """(N, features) float64, exact for every float type, with -0.0 made 0.0."""
    return x.detach().reshape(len(x), -1).double() + 0.0


def _row_keys(rows: Any, w: Any) -> Any:
    """An int64 hash per row of its bits: integer sums wrap the same in any order, so a row's key does not
    depend on the batch it arrives in (a float matrix product may round differently per shape)."""
    import torch

    return (rows.view(torch.int64) * w).sum(dim=1)


@dataclass
class _Usage:
    """What a rank did with torch.distributed (for the mentor's advice only)."""

    joined: bool = False  #: the rank was in a process group when train returned
    wrapped: bool = False  #: a DistributedDataParallel was built around the model


class _Watching:
    """While a rank trains: note a DistributedDataParallel built around the model, tell the recorder when the
    wrapper's forward runs with its gradients synchronized (not under no_sync: the steps of data parallelism go
    through it), and keep every wrapper alive.

    Kept alive (in _ALIVE, for the life of the process), a DDP wrapper is not destroyed when train's frame ends,
    nor when the exception that ended train is dropped: destroying it destroys the gloo process group it holds,
    which joins gloo's worker threads while holding the GIL, and a worker still releasing its last work may need
    the GIL (a deadlock seen in PyTorch 2.x). The wrappers go with the process.
    """

    def __init__(self, model: Any, usage: _Usage, recorder: _StepRecorder) -> None:
        self.model, self.usage, self.recorder = model, usage, recorder

    def __enter__(self) -> None:
        from torch.nn.parallel import DistributedDataParallel

        self.original, self.forward = DistributedDataParallel.__init__, DistributedDataParallel.forward
        watching = self

        def init(ddp: Any, module: Any, *args: Any, **kwargs: Any) -> None:
            if module is watching.model:
                watching.usage.wrapped = True
            _ALIVE.append(ddp)
            watching.original(ddp, module, *args, **kwargs)

        def forward(ddp: Any, *args: Any, **kwargs: Any) -> Any:
            # a step under ddp.no_sync() averages no gradient: each rank steps alone, as outside the wrapper
            if getattr(ddp, "module", None) is not watching.model or not getattr(ddp, "require_backward_grad_sync",
                                                                                 True):
                return watching.forward(ddp, *args, **kwargs)
            watching.recorder.inside_ddp += 1
            try:
                return watching.forward(ddp, *args, **kwargs)
            finally:
                watching.recorder.inside_ddp -= 1

        DistributedDataParallel.__init__ = init  # type: ignore[method-assign]
        DistributedDataParallel.forward = forward  # type: ignore[method-assign]

    def __exit__(self, *exc: Any) -> None:
        from torch.nn.parallel import DistributedDataParallel

        DistributedDataParallel.__init__ = self.original  # type: ignore[method-assign]
        DistributedDataParallel.forward = self.forward  # type: ignore[method-assign]


def _leave_group(usage: _Usage) -> None:
    import torch.distributed as dist

    try:
        if dist.is_available() and dist.is_initialized():
            usage.joined = True
            dist.destroy_process_group()
    except Exception:  # noqa: BLE001 - the group is already broken; the process ends soon anyway
        pass


def _unwrapped(result: Any, model: Any) -> Any:
    """The trained model: the one train returned (a DistributedDataParallel's inner module), else the one given."""
    from torch import nn

    from dlpath.grading.tasks import ContractError

    if result is None:
        return model
    if isinstance(result, nn.parallel.DistributedDataParallel):
        return result.module
    if not isinstance(result, nn.Module):
        raise ContractError(f"train(model, data, rank, world_size, log) returned a {type(result).__name__}; return "
                            "nothing (the model you were given is used) or the trained torch.nn.Module.")
    return result


def _error_of(exc: BaseException, folder: str) -> dict[str, Any]:
    import traceback

    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.dirname(os.path.abspath(frame.filename)) == folder:
            where = f"{os.path.basename(frame.filename)}:{frame.lineno}"
    message = f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else str(exc)
    return {"type": type(exc).__name__, "message": message[:1500], "where": where,
            "trace": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-3000:]}


def _rank_one(train: Any, model: Any, data: Any, conn: Any, folder: str) -> None:
    """Rank 1, in the forked process: train, then send the weights and the step records (or the error); exit."""
    import torch

    from dlpath.grading.sandbox import die_with_parent

    die_with_parent()
    while torch._C._len_torch_function_stack():  # a mode inherited from the parent would ride along every
        torch._C._pop_torch_function_stack()  # collective (and need the GIL in gloo's threads)
    usage = _Usage()
    try:
        os.environ["RANK"] = os.environ["LOCAL_RANK"] = "1"
        torch.set_num_threads(1)
        recorder = _StepRecorder(data.x_train)
        model.register_forward_pre_hook(recorder)
        with _Watching(model, usage, recorder):
            result = train(model, data, 1, WORLD_SIZE, lambda **values: None)
        trained = _unwrapped(result, model)
        _leave_group(usage)
        usage.joined = usage.joined or recorder.grouped
        payload = {"weights": {k: v.detach().cpu() for k, v in trained.state_dict().items()},
                   "steps": recorder.packed(), "joined": usage.joined, "wrapped": usage.wrapped}
    except BaseException as exc:  # noqa: BLE001 - everything rank 1 raises goes back to rank 0
        payload = {"error": _error_of(exc, folder)}
    try:
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        conn.send_bytes(buffer.getvalue())
        conn.close()
    finally:
        os._exit(0)


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _shorten_group_timeout() -> None:
    """A rank waits for the other to join for _GROUP_TIMEOUT_S, not 30 minutes (unless train.py sets its own)."""
    from datetime import timedelta

    import torch.distributed.distributed_c10d as c10d

    if hasattr(c10d, "default_pg_timeout"):
        c10d.default_pg_timeout = timedelta(seconds=_GROUP_TIMEOUT_S)


_WAITED = re.compile(r"Connection closed by peer|Connection reset|Timed out|clients joined|gloo", re.I)
_UNEVEN = ("the two ranks ran different numbers of steps: one waited in a collective operation (the gradient "
           "all-reduce of DDP) that the other never made. Give both ranks the same number of batches "
           "(DistributedSampler does; with your own split, make both shares the same size)")


def _rank_one_failed(error: Mapping[str, Any], during: BaseException | None) -> BaseException:
    """An exception for rank 0 to raise that tells what rank 1 raised, where (the grader reports it)."""
    import builtins

    name = str(error.get("type") or "RuntimeError")
    kind = getattr(builtins, name, None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)) or issubclass(kind, OSError):
        kind = RuntimeError
    where = f" at {error['where']}" if error.get("where") else ""
    message = str(error.get("message", ""))
    text = f"in rank 1{where}: {name}: {message}"
    if during is None and _WAITED.search(message):
        text = f"in rank 1{where}: {_UNEVEN} (rank 1: {message.splitlines()[0][:200] if message else name})"
    elif during is not None and not _WAITED.search(str(during)):
        text += f" (and rank 0 stopped with {type(during).__name__}: {str(during).splitlines()[0][:200]})"
    try:
        return kind(text)
    except Exception:  # noqa: BLE001 - an exception class that wants other arguments
        return RuntimeError(text)


@dataclass
class _Ranks:
    """What the learner process keeps after training: both ranks' results."""

    model: Any
    weights: list[dict] = field(default_factory=list)  #: each rank's state_dict
    steps: list[dict[str, Any]] = field(default_factory=list)  #: each rank's step record (_StepRecorder.packed)
    usage: list[_Usage] = field(default_factory=list)


# ------------------------------------------------------------------ the mentor's rules


def _data_not_split(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    bad = run.failed("shared_data")
    extra = run.facts.extra or {}
    if not bad or run.failure is not None or "shared_data" not in run.metrics or extra.get("steps_seen") == 0:
        return []
    if not _in_step(extra) and _figures(extra, "training_rows") is not None:
        return [_not_in_step(extra)]
    shared = run.metrics.get("shared_data", 1.0)
    per_step = extra.get("samples_per_step")
    evidence = [f"samples both ranks used at the same step: {_pct(shared)}"] + (
        [f"samples per step and rank: {per_step}"] if per_step else [])
    return [make("data-not-split", f"""At the same training step your two ranks trained on the same samples
        ({_pct(shared)} of them were shared): each rank did the whole job, so the second process doubled the work
        and taught the model nothing new. Give each rank its own share of data.x_train: a
        DistributedSampler(dataset, num_replicas=world_size, rank=rank) in the DataLoader (call
        sampler.set_epoch(epoch) at the start of each epoch so that the shuffle changes), or index the data yourself
        with x[rank::world_size]. Each rank then takes half of the batch, and DistributedDataParallel averages the
        two halves' gradients.""", evidence=evidence,
                 causes=("every rank iterates over all of data.x_train", "the same shuffled batches on both ranks"),
                 codes=DistributedTask.codes)]


def _not_in_step(extra: Mapping[str, Any]) -> Any:
    from dlpath.grading.diagnose import _pct, make

    outside, through, rows = extra["rows_outside_ddp"], extra["ddp_steps"], extra["training_rows"]
    if extra.get("ranks_wrapped") != WORLD_SIZE:
        detail = "No DistributedDataParallel was built around the model on both ranks, so each rank stepped alone."
    else:
        detail = ("One rank training alone and handing its weights to the other (a broadcast, or averaging the "
                  "weights at the end) is one process's work with a second one waiting.")
    where = [f"rank {rank} trained on no row at all" if not rows[rank] else
             f"{_pct(outside[rank])} of rank {rank}'s {rows[rank]} training rows reached the model outside the wrapper"
             for rank in range(WORLD_SIZE)]  # outside: the bare model, or the wrapper under no_sync()
    return make("data-not-split", f"""Your training did not run through DistributedDataParallel on both ranks, step
        for step: {where[0]}, {where[1]}, and the ranks made {through[0]} and {through[1]} steps through it
        (steps with gradients on, in training mode; a step under ddp.no_sync() averages nothing and counts as
        outside). {detail} Data parallelism splits every step: each rank
        computes the loss on its own share of data.x_train with ddp(x), and backward() averages the two ranks'
        gradients, so the ranks take the same steps together. Join a process group, wrap the model with
        DistributedDataParallel(model), give each rank its own share (a DistributedSampler), and compute every
        training loss through the wrapper, on both ranks.""",
                evidence=[f"training rows: rank 0 {rows[0]}, rank 1 {rows[1]}",
                          f"training rows outside DistributedDataParallel: rank 0 {_pct(outside[0])}, "
                          f"rank 1 {_pct(outside[1])}",
                          f"training steps through DistributedDataParallel: rank 0 {through[0]}, rank 1 {through[1]}"],
                causes=("the loss computed with model(x) instead of ddp(x)", "training steps under ddp.no_sync()",
                        "one rank trains while the other waits, then the weights are copied"),
                codes=DistributedTask.codes)


def _ranks_diverged(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, make

    bad = run.failed("weight_gap")
    if not bad or run.failure is not None or "weight_gap" not in run.metrics:
        return []
    extra = run.facts.extra or {}
    gap = run.metrics.get("weight_gap", _GAP_CAP)
    joined, wrapped = extra.get("ranks_joined"), extra.get("ranks_wrapped")
    if gap >= _GAP_CAP:
        detail = (f"the grader could not compare them ({extra.get('weights_problem', 'their weights differ in shape')}"
                  "): both ranks must train the model build_model made, with the same layers.")
    elif joined == 0:
        detail = ("Neither rank joined a process group, so they never talked to each other: each trained its own "
                  "copy on its own data.")
    elif wrapped == 0:
        detail = ("The ranks joined a process group but the model was never wrapped in DistributedDataParallel, "
                  "so each rank stepped with its own gradients.")
    else:
        detail = ("Something changed one rank's weights outside the averaged gradients: a different optimizer or "
                  "learning rate per rank, an update made only on rank 0, or training the unwrapped model.")
    return [make("ranks-diverged", f"""Your two ranks finished with different weights (they differ by up to
        {_fmt(gap)}): they are two models, not one. {detail} Data parallelism keeps one model in two places:
        wrap it with DistributedDataParallel(model) after init_process_group, train through the wrapper, and every
        backward() averages the gradients of both ranks before each optimizer step, so identical weights take
        identical steps.""", evidence=[f"largest weight difference between the ranks {_fmt(gap)}"],
                 causes=("no DistributedDataParallel around the model", "no process group joined"),
                 codes=DistributedTask.codes)]


def _samples_not_seen(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    extra = run.facts.extra or {}
    if not run.failed("shared_data") or run.failure is not None:
        return []
    if _unrecognized(extra):
        unknown = extra["rows_unrecognized"]
        return [make("samples-not-seen", f"""Of the rows that reached your model in training steps,
            {_pct(unknown[0])} on rank 0 and {_pct(unknown[1])} on rank 1 are no row of data.x_train. The grader
            knows which samples each rank trained on by their values, so it cannot tell what those rows are, nor
            whether both ranks used them, and counts the data as not split. Pass the rows of data.x_train to the
            model unchanged (add noise, scale or augment inside the model), and evaluate under model.eval() or
            torch.no_grad().""", evidence=[f"training rows that are no row of data.x_train: rank 0 {_pct(unknown[0])}, "
                                           f"rank 1 {_pct(unknown[1])}"],
                     causes=("rows changed before the model (noise, scaling, augmentation)",
                             "other inputs given to the model in training mode with gradients on"),
                     codes=DistributedTask.codes)]
    if extra.get("steps_seen") != 0:
        return []
    return [make("samples-not-seen", """The grader could not see which samples each rank trained on: it recognizes
        the rows of data.x_train when they reach your model in a training step (training mode, gradients on), and
        none did. Pass the rows to the model as they are (scale or augment inside the model), train the model
        build_model returned, and call model.train() before the training steps.""",
                 evidence=["no training sample recognized in either rank"], codes=DistributedTask.codes)]


class DistributedTask(Task):
    kind = "distributed"
    summary = ("Data-parallel training on two CPU processes with DistributedDataParallel (gloo): build_model(info) "
               "+ train(model, data, rank, world_size, log), run in both ranks.")
    contract = """\
build_model(info) -> torch.nn.Module
    info["input_shape"] is one sample's shape and info["num_classes"] the number of classes.
    The model maps a batch of inputs to raw scores (logits) of shape (N, num_classes).
train(model, data, rank, world_size, log) -> None (or the trained model)
    Runs in two processes at once: rank 0 (the grader's process) and rank 1 (a copy of it that
    the grader starts), world_size 2, each with the same model and all of data (data.x_train,
    data.y_train, data.x_val, data.y_val). MASTER_ADDR (127.0.0.1), MASTER_PORT (a free port),
    RANK and WORLD_SIZE are set in each process's environment, as torchrun sets them, so
    torch.distributed.init_process_group("gloo", rank=rank, world_size=world_size) joins the two.
    Train each rank on its own share of data.x_train (pass the rows to the model unchanged),
    through DistributedDataParallel. log(...) works on rank 0 (on rank 1 it does nothing).
    Each rank runs on one CPU thread. Leave the model in eval mode.
The grader checks that both ranks end with the same weights and trained on different samples
at each step, and measures rank 0's model on fresh inputs."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, rank, world_size, log)")
    dataset_kinds = ("classification",)
    metrics = (
        Metric("test_accuracy", "max", "fraction", "share of fresh test inputs whose highest score (rank 0's model) "
                                                   "is the right class"),
        Metric("weight_gap", "min", "absolute difference",
               "largest difference between any weight (or buffer) of rank 0 and the same one of rank 1 after "
               "training (1e12 when they cannot be compared)"),
        Metric("shared_data", "min", "fraction",
               "of the training samples the two ranks used at the same step, the share both used (0: the data "
               "is split; 1: each rank trains on everything, or the samples could not be recognized)"),
    )
    primary = "test_accuracy"
    requires = Requires(processes=WORLD_SIZE)
    codes = {"data-not-split": CodeInfo(_LESSON), "ranks-diverged": CodeInfo(_LESSON),
             "samples-not-seen": CodeInfo(_LESSON)}
    rules = (_samples_not_seen, _ranks_diverged, _data_not_split)
    exclusive = {"ranks-diverged": {"below-threshold"}, "data-not-split": {"below-threshold"},
                 "samples-not-seen": {"below-threshold", "data-not-split"}}

    # -- the learner process
    def train(self, side: LearnerSide, data: SplitData) -> Any:
        import multiprocessing

        import torch
        from torch import nn

        from dlpath.grading.tasks import ContractError
        from dlpath.grading.tasks._model import function

        build_model = function(side.module, "build_model", ("info",))
        train = function(side.module, "train", ("model", "data", "rank", "world_size", "log"))
        model = build_model(dict(data.info))
        if not isinstance(model, nn.Module):
            raise ContractError(f"build_model(info) returned a {type(model).__name__}; it must return a "
                                "torch.nn.Module (for example an nn.Sequential).")
        torch.set_num_threads(1)  # one thread per rank, as torchrun sets OMP_NUM_THREADS=1
        _shorten_group_timeout()
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()), WORLD_SIZE=str(WORLD_SIZE),
                          RANK="0", LOCAL_RANK="0")
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
        folder = os.path.dirname(os.path.abspath(getattr(side.module, "__file__", "") or "."))
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        rank_one = context.Process(target=_rank_one, args=(train, model, data, send, folder), daemon=False)
        rank_one.start()  # before the watch's hooks: rank 1 runs the learner's code bare
        send.close()
        recorder = _StepRecorder(data.x_train)
        model.register_forward_pre_hook(recorder)
        usage = _Usage()
        watching = _Watching(model, usage, recorder)
        side.watch.raw_inputs(data.x_train)
        side.watch.attach(model)
        try:
            with side.watch.training(), watching:
                result = train(model, data, 0, WORLD_SIZE, side.log)
        except BaseException as exc:
            _leave_group(usage)
            other = _receive(receive, wait_s=5.0)
            if other is not None and "error" in other:
                raise _rank_one_failed(other["error"], exc) from None
            if other is not None and isinstance(exc, Exception) and _WAITED.search(str(exc)):
                raise RuntimeError(f"in rank 0: {_UNEVEN} (rank 0: {str(exc).splitlines()[0][:200]})") from exc
            raise
        trained = _unwrapped(result, model)
        _leave_group(usage)
        usage.joined = usage.joined or recorder.grouped
        other = _receive(receive, wait_s=None)
        rank_one.join(timeout=5.0)
        if other is None:
            raise RuntimeError("rank 1 ended without a result (it was killed, or exited on its own)")
        if "error" in other:
            raise _rank_one_failed(other["error"], None)
        side.watch.finish(trained)
        return _Ranks(trained, [_state(trained), other["weights"]],
                      [recorder.packed(), other["steps"] if isinstance(other.get("steps"), dict) else {}],
                      [usage, _Usage(bool(other.get("joined")), bool(other.get("wrapped")))])

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        from dlpath.grading.tasks._model import answer_model

        ranks: _Ranks = side.state
        if name in ("outputs", "artifact"):
            return answer_model(name, tensors, ranks.model, side.device)
        if name == "weights":
            return {}, {f"{rank}:{key}": value for rank, weights in enumerate(ranks.weights)
                        for key, value in weights.items()}
        if name == "steps":
            return {}, {f"{rank}:{key}": value for rank, record in enumerate(ranks.steps)
                        for key, value in record.items()}
        if name == "usage":
            return {"joined": [u.joined for u in ranks.usage], "wrapped": [u.wrapped for u in ranks.usage]}, {}
        raise LearnerError(f"unknown request {name!r}")

    # -- the judge
    def judge(self, ctx: JudgeContext) -> Evaluation:
        from dlpath.grading.tasks.classification import ClassificationTask

        evaluation = ClassificationTask().judge(ctx)  # rank 0's model on fresh inputs, as for classification
        metrics = dict(evaluation.metrics)
        extra = dict(evaluation.facts.extra or {})
        metrics["weight_gap"] = _weight_gap(ctx, extra)
        metrics["shared_data"] = _shared_data(ctx, extra, len(ctx.public.x_train))
        try:
            usage, _ = ctx.ask("usage")
            for key in ("joined", "wrapped"):
                flags = usage.get(key)
                if isinstance(flags, list) and all(isinstance(f, bool) for f in flags):
                    extra[f"ranks_{key}"] = sum(flags)
        except LearnerError:
            pass
        if extra.get("ranks_joined") != 2 or extra.get("ranks_wrapped") != 2:
            # the steps recorded are the data parallelism's only when both ranks train one model through a
            # process group: two ranks that each train alone on their own slices split nothing
            metrics["shared_data"] = 1.0
        return Evaluation(metrics, replace(evaluation.facts, primary=self.primary, extra=extra))


def _state(model: Any) -> dict:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _receive(connection: Any, wait_s: float | None) -> dict | None:
    """Rank 1's message (None if it sent none within ``wait_s`` seconds, or ended without one)."""
    import torch

    try:
        if wait_s is not None and not connection.poll(wait_s):
            return None
        raw = connection.recv_bytes()
    except (EOFError, OSError):
        return None
    try:
        message = torch.load(io.BytesIO(raw), weights_only=True)
    except Exception:  # noqa: BLE001 - rank 1 sent something else
        return None
    return message if isinstance(message, dict) else None


def _weight_gap(ctx: JudgeContext, extra: dict) -> float:
    import torch

    try:
        _, tensors = ctx.ask("weights")
    except LearnerError as exc:
        extra["weights_problem"] = str(exc)
        return _GAP_CAP
    ranks: list[dict[str, Any]] = [{}, {}]
    for key, value in tensors.items():
        rank, _, name = key.partition(":")
        if rank in ("0", "1"):
            ranks[int(rank)][name] = value
    if not ranks[0] or set(ranks[0]) != set(ranks[1]):
        extra["weights_problem"] = "the two ranks' models do not have the same weights"
        return _GAP_CAP
    gap = 0.0
    for name, mine in ranks[0].items():
        other = ranks[1][name]
        if not isinstance(mine, torch.Tensor) or not isinstance(other, torch.Tensor) or mine.shape != other.shape:
            extra["weights_problem"] = f"'{name}' has different shapes on the two ranks"
            return _GAP_CAP
        if mine.numel():
            difference = float((mine.double() - other.double()).abs().max())
            if difference != difference:  # NaN on one side
                return _GAP_CAP
            gap = max(gap, difference)
    return min(gap, _GAP_CAP)


_RECORD = ("indices", "lengths", "rows", "unknown", "through")  #: the tensors of one rank's step record
_UNKNOWN_MAX = 0.01  # the share of a rank's training rows that may be no row of x_train (the solution: 0)
_OUTSIDE_MAX = 0.01  # the share of a rank's training rows that may skip the DDP wrapper (the solution: 0)
_STEPS_SLACK = 0.02  # how far the ranks' numbers of steps through the wrapper may differ (DDP: 0; at least 1)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _figures(extra: Mapping[str, Any], name: str) -> list | None:
    """One of _shared_data's per-rank figures, if the facts hold it (the mentor reads them back from JSON)."""
    value = extra.get(name)
    if isinstance(value, list) and len(value) == WORLD_SIZE and all(isinstance(v, (int, float)) for v in value):
        return value
    return None


def _unrecognized(extra: Mapping[str, Any]) -> bool:
    """More than a tiny share of a rank's training rows are no row of x_train."""
    unknown = _figures(extra, "rows_unrecognized")
    return unknown is not None and max(unknown) > _UNKNOWN_MAX


def _in_step(extra: Mapping[str, Any]) -> bool:
    """The training went through the DDP wrapper on both ranks, in step (True when nothing says otherwise)."""
    outside, through = _figures(extra, "rows_outside_ddp"), _figures(extra, "ddp_steps")
    if outside is None or through is None:
        return True
    return max(outside) <= _OUTSIDE_MAX and abs(through[0] - through[1]) <= max(1, _STEPS_SLACK * max(through))


def _records(tensors: Mapping[str, Any], train_size: int) -> list[dict[str, Any]] | None:
    """Both ranks' step records from the learner's answer, or None when one is missing or malformed."""
    import torch

    records = []
    for rank in (0, 1):
        record = {name: tensors.get(f"{rank}:{name}") for name in _RECORD}
        if not all(isinstance(t, torch.Tensor) and t.dim() == 1 for t in record.values()) or \
                record["through"].dtype != torch.bool or \
                any(record[name].is_floating_point() or record[name].is_complex() for name in _RECORD[:4]):
            return None
        steps = len(record["lengths"])
        if any(len(record[name]) != steps for name in ("rows", "unknown", "through")) or \
                int(record["lengths"].sum()) != len(record["indices"]) or \
                (len(record["indices"]) and not 0 <= int(record["indices"].min()) <= int(record["indices"].max())
                 < train_size) or bool((record["unknown"] < 0).any()) or \
                bool((record["unknown"] + record["lengths"] > record["rows"]).any()):
            return None
        records.append(record)
    return records


def _shared_data(ctx: JudgeContext, extra: dict, train_size: int) -> float:
    """Of the samples the two ranks used at the same step through the DDP wrapper, the share both used.

    1.0 when no sample was recognized, when more than a tiny share of a rank's training rows are no row of
    x_train (the judge cannot tell what they are, nor whether the ranks shared them: the contract asks for the
    rows unchanged), or when the training did not run through the wrapper in step on both ranks (more than a
    tiny share of rows skipped it, or the ranks made different numbers of steps through it: DDP runs in
    lockstep, and one rank training alone then sending its weights is no data parallelism).
    """
    import torch

    try:
        _, tensors = ctx.ask("steps")
    except LearnerError:
        extra["steps_seen"] = 0
        return 1.0
    records = _records(tensors, train_size)
    rows = [int(r["rows"].sum()) for r in records or ()]
    if records is None or sum(rows) == 0:
        extra["steps_seen"] = 0
        return 1.0
    extra["training_rows"] = rows
    extra["rows_unrecognized"] = [round(_share(int(r["unknown"].sum()), n), 4) for r, n in zip(records, rows)]
    extra["rows_outside_ddp"] = [round(_share(int(r["rows"][~r["through"]].sum()), n), 4)
                                 for r, n in zip(records, rows)]
    extra["ddp_steps"] = [int(r["through"].sum()) for r in records]
    if _unrecognized(extra) or not _in_step(extra):
        return 1.0
    steps = []
    for r in records:
        per_step = torch.split(r["indices"].long(), r["lengths"].tolist())
        steps.append([s for s, inside in zip(per_step, r["through"].tolist()) if inside])
    common = min(len(steps[0]), len(steps[1]))
    seen = [sum(len(s) for s in steps[rank][:common]) for rank in (0, 1)]
    extra["steps_seen"] = common if min(seen) > 0 else 0
    if extra["steps_seen"] == 0:
        return 1.0
    extra["samples_per_step"] = [round(seen[rank] / common, 1) for rank in (0, 1)]
    both = union = 0
    for a, b in zip(steps[0][:common], steps[1][:common]):
        mask = torch.zeros(train_size, dtype=torch.int8)
        mask[a] += 1
        mask[b] += 2
        both += int((mask == 3).sum())
        union += int((mask > 0).sum())
    return both / union if union else 1.0
