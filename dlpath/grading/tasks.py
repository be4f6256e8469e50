"""Task kinds: how the grader feeds a learner's ``train.py``, and how it measures the result.

A project names its task kind in ``project.yaml`` (``task: classification``);
``get_task(kind)`` returns the ``Task`` that knows the learner's contract for it.
The harness (in the child process) calls, in this order:

1. ``task.training_data(project, public_seed)`` -> the data handed to the learner;
2. ``task.run_learner(module, data, device, log)`` -> a ``Trained`` (the model and
   facts observed while it trained: the learning rate, dropout rates, what the first
   layer saw, whether the weights moved...);
3. ``task.evaluate(module, trained, project, test_seed, device)`` ->
   ``{"metrics": {...}, "facts": {...}}``. The test data is generated HERE from the
   hidden ``test_seed``; metrics and facts are aggregates that never reveal it.

Contracts (stated again at the top of every starter):

``classification``
    ``build_model(info) -> torch.nn.Module`` where ``info`` is a dict with
    ``input_shape`` (one sample's shape), ``num_classes`` and ``kind``;
    ``train(model, data, device, log) -> None | torch.nn.Module`` where ``data`` has
    ``x_train, y_train, x_val, y_val`` (float32 inputs, int64 labels) and ``info``;
    ``device`` is "cpu" or "cuda"; ``log(epoch=..., train_loss=..., val_loss=...,
    val_accuracy=...)`` records the curves. The model returned (or ``model`` when
    ``train`` returns None) is evaluated as it is: it gets raw inputs shaped like
    ``x_train`` and must return logits of shape (N, num_classes).

``regression_by_hand``
    ``gradients(w, b, x, y) -> (grad_w, grad_b)``: the gradient of the mean squared
    error ``mean((x @ w + b - y) ** 2)`` with respect to ``w`` (shape (features,))
    and ``b`` (a 0-d tensor), computed by hand; ``train(data, log) -> (w, b)``: a
    training loop written without autograd (``.backward()``, ``torch.autograd``) and
    without ``torch.optim``. The grader checks ``gradients`` against autograd on random
    inputs (metric ``gradient_error``), counts uses of autograd and optimizers while
    the learner's code runs (metric ``autograd_uses``), and measures ``test_mse``.
"""

from __future__ import annotations

import contextlib
import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

import torch
from torch import nn

from dlpath.datasets import Dataset, generate
from dlpath.errors import NotYet, UsageError

__all__ = [
    "ContractError",
    "UnknownTask",
    "Task",
    "Trained",
    "ClassificationData",
    "RegressionData",
    "ClassificationTask",
    "RegressionByHandTask",
    "TASKS",
    "get_task",
]


class ContractError(NotYet):
    """The learner's train.py does not follow the contract (a missing function, a wrong signature)."""


class UnknownTask(UsageError):
    """A project names a task kind that dlpath does not have."""


# --- data handed to the learner ------------------------------------------------------


@dataclass
class ClassificationData:
    """Training and validation data for a classification task (what ``train`` receives)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    info: dict = field(default_factory=dict)


@dataclass
class RegressionData:
    """Training and validation data for a regression task: ``y`` has shape (N,)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    info: dict = field(default_factory=dict)


@dataclass
class Trained:
    """What ``run_learner`` returns: the trained result plus facts seen while training.

    ``model`` is a ``torch.nn.Module`` (classification) or a ``(w, b)`` pair
    (regression by hand); ``data`` is a pristine copy of the training data, kept for
    the grader's own train/val measurements (the learner may have changed theirs).
    """

    model: Any
    facts: dict
    data: Any = None


# --- project access (Project is G1's dataclass; a plain mapping works too) --------------


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _dataset_spec(project: Any) -> tuple[str, dict, int, int, int]:
    spec = _get(project, "dataset")
    if spec is None:
        raise UsageError(f"project {_get(project, 'id', '?')!r} has no dataset")
    name = _get(spec, "name")
    params = dict(_get(spec, "params") or {})
    return name, params, int(_get(spec, "train", 1000)), int(_get(spec, "val", 0)), int(_get(spec, "test", 1000))


def _split_seed(seed: int, part: str) -> int:
    """Distinct, reproducible seeds for the parts drawn from one seed."""
    offsets = {"train": 0, "val": 7_919, "test": 104_729}
    return (int(seed) * 1_000_003 + offsets[part]) % (2**62)


# --- checking the learner's functions -------------------------------------------------


def _function(module: Any, name: str, params: tuple[str, ...]) -> Callable[..., Any]:
    """The learner's function ``name``, checked to accept ``params`` positionally."""
    wanted = f"{name}({', '.join(params)})"
    fn = getattr(module, name, None)
    if fn is None:
        raise ContractError(
            f"train.py has no function {wanted}; the grader calls it. "
            "Keep the names and arguments from the starter's contract at the top of the file."
        )
    if not callable(fn):
        raise ContractError(f"train.py: {name} is a {type(fn).__name__}, not a function {wanted}")
    try:
        inspect.signature(fn).bind(*params)
    except TypeError:
        raise ContractError(
            f"train.py: {name}{inspect.signature(fn)} cannot be called as {wanted}; "
            "keep the arguments of the contract (you may add ones with defaults)."
        ) from None
    except ValueError:  # no signature (a builtin); let the call decide
        pass
    return fn


# --- observing training -------------------------------------------------------------


@contextlib.contextmanager
def _watch_optimizers(found: list[dict]) -> Iterator[None]:
    """Record every optimizer created (its class and learning rates) while active."""
    original = torch.optim.Optimizer.__init__

    def recording_init(self: torch.optim.Optimizer, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        try:
            rates = [float(group["lr"]) for group in self.param_groups if "lr" in group]
        except (TypeError, ValueError):
            rates = []
        found.append({"type": type(self).__name__, "lr": rates[0] if rates else None})

    torch.optim.Optimizer.__init__ = recording_init  # type: ignore[method-assign]
    try:
        yield
    finally:
        torch.optim.Optimizer.__init__ = original  # type: ignore[method-assign]


@contextlib.contextmanager
def _count_autograd(counter: dict) -> Iterator[None]:
    """Count calls of ``Tensor.backward``, ``torch.autograd.backward`` and ``torch.autograd.grad``."""
    originals = {
        "tensor_backward": torch.Tensor.backward,
        "backward": torch.autograd.backward,
        "grad": torch.autograd.grad,
    }

    depth = [0]  # Tensor.backward calls torch.autograd.backward: count the outer call only

    def counted(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if depth[0] == 0:
                counter[name] = counter.get(name, 0) + 1
            depth[0] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1

        return wrapper

    torch.Tensor.backward = counted("backward", originals["tensor_backward"])  # type: ignore[method-assign]
    torch.autograd.backward = counted("backward", originals["backward"])
    torch.autograd.grad = counted("grad", originals["grad"])
    try:
        yield
    finally:
        torch.Tensor.backward = originals["tensor_backward"]  # type: ignore[method-assign]
        torch.autograd.backward = originals["backward"]
        torch.autograd.grad = originals["grad"]


class _InputWatcher:
    """Running statistics of the inputs the first weight layer sees during training."""

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.total_sq = 0.0
        self.abs_max = 0.0

    def __call__(self, _module: nn.Module, inputs: tuple) -> None:
        if not inputs or not isinstance(inputs[0], torch.Tensor) or self.count > 10_000_000:
            return
        x = inputs[0].detach()
        if not x.is_floating_point() or x.numel() == 0:
            return
        x = x.float()
        self.count += x.numel()
        self.total += float(x.sum())
        self.total_sq += float((x * x).sum())
        self.abs_max = max(self.abs_max, float(x.abs().max()))

    def facts(self) -> dict:
        if self.count == 0:
            return {}
        mean = self.total / self.count
        std = math.sqrt(max(self.total_sq / self.count - mean * mean, 0.0))
        if not all(math.isfinite(v) for v in (mean, std, self.abs_max)):
            return {"first_layer_input": None}
        normalized = abs(mean) <= 3.0 and std <= 5.0
        return {
            "first_layer_input": {"mean": round(mean, 4), "std": round(std, 4), "abs_max": round(self.abs_max, 4)},
            "inputs_normalized": normalized,
        }


def _first_weight_layer(model: nn.Module) -> nn.Module | None:
    for layer in model.modules():
        if isinstance(layer, (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd, nn.RNNBase, nn.Embedding)):
            return layer
    return None


def _initialized(p: torch.Tensor) -> bool:
    return not isinstance(p, nn.parameter.UninitializedParameter)


def _parameter_snapshot(model: nn.Module) -> list[torch.Tensor | None]:
    """A CPU copy of every parameter (None for a lazy one not yet initialized)."""
    return [p.detach().to("cpu", copy=True) if _initialized(p) else None for p in model.parameters()]


def _parameters_changed(before: list[torch.Tensor | None], model: nn.Module) -> bool:
    after = list(model.parameters())
    if len(after) != len(before) or any(b is None for b in before):
        return True
    return any(
        not _initialized(a) or a.shape != b.shape or not torch.equal(a.detach().cpu(), b)
        for a, b in zip(after, before)
        if b is not None
    )


def _count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if _initialized(p))


def _mode_facts(model: nn.Module) -> dict:
    dropout = [
        round(float(m.p), 4)
        for m in model.modules()
        if isinstance(m, nn.modules.dropout._DropoutNd) or isinstance(m, nn.AlphaDropout)
    ]
    norms = sum(1 for m in model.modules() if isinstance(m, nn.modules.batchnorm._NormBase))
    return {
        "dropout_rates": dropout,
        "mode_dependent_layers": len(dropout) + norms,
        "left_in_training_mode": bool(model.training),
    }


def _module_learning_rate(module: Any) -> float | None:
    for name in ("LEARNING_RATE", "LR", "learning_rate", "lr"):
        value = getattr(module, name, None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _short(exc: BaseException, limit: int = 300) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- the task protocol --------------------------------------------------------------


class Task:
    """One kind of project: the learner's contract, the data, the measurements."""

    kind: str = ""

    def training_data(self, project: Any, seed: int) -> Any:
        """Train/val data for the learner, generated from the public ``seed``."""
        raise NotImplementedError

    def run_learner(self, module: Any, data: Any, device: str, log: Callable[..., None]) -> Trained:
        """Call the learner's contract functions; return what ``evaluate`` measures."""
        raise NotImplementedError

    def evaluate(self, module: Any, trained: Any, project: Any, test_seed: int, device: str) -> dict:
        """Measure on fresh test data from the hidden ``test_seed``: ``{"metrics", "facts"}``."""
        raise NotImplementedError


SHIPPED_PREFIX = "shipped:"


def _draw(project: Any, seed: int, parts: tuple[str, ...]) -> dict[str, Dataset]:
    """The parts ("train", "val", "test") of the project's data set drawn from ``seed``.

    A procedural set is generated afresh for each part. A shipped set (``name:
    shipped:<folder>`` in project.yaml) is fixed: its public rows, shuffled by ``seed``,
    give train then val (``train``/``val`` cap their sizes); the test part is always
    its held-back rows, whatever the seed.
    """
    name, params, n_train, n_val, n_test = _dataset_spec(project)
    if isinstance(name, str) and name.startswith(SHIPPED_PREFIX):
        return _draw_shipped(name[len(SHIPPED_PREFIX):], params, seed, parts, n_train, n_val)
    sizes = {"train": n_train, "val": n_val, "test": n_test}
    return {part: generate(name, sizes[part], _split_seed(seed, part), **params) for part in parts}


def _draw_shipped(name: str, params: dict, seed: int, parts: tuple[str, ...], n_train: int,
                  n_val: int) -> dict[str, Dataset]:
    from dlpath.datasets import load_shipped

    heldback = float(params.get("heldback", 0.3))
    out: dict[str, Dataset] = {}
    if "test" in parts:
        out["test"] = load_shipped(name, "heldback", heldback=heldback)
    if "train" in parts or "val" in parts:
        public = load_shipped(name, "public", heldback=heldback)
        order = torch.randperm(len(public), generator=torch.Generator().manual_seed(int(seed) % (2**62)))
        n_val = min(n_val, len(public) // 2)
        n_train = min(n_train, len(public) - n_val)
        pieces = {"train": order[:n_train], "val": order[n_train : n_train + n_val]}
        for part in ("train", "val"):
            if part in parts:
                out[part] = Dataset(public.x[pieces[part]], public.y[pieces[part]], dict(public.info))
    return out


class ClassificationTask(Task):
    """Classify inputs (2-D points, images, sequences): ``build_model`` + ``train``."""

    kind = "classification"
    chunk = 2048  # samples per forward pass at evaluation

    def training_data(self, project: Any, seed: int) -> ClassificationData:
        parts = _draw(project, seed, ("train", "val"))
        info = dict(parts["train"].info)
        return ClassificationData(parts["train"].x, parts["train"].y, parts["val"].x, parts["val"].y, info)

    def run_learner(self, module: Any, data: Any, device: str, log: Callable[..., None]) -> Trained:
        build_model = _function(module, "build_model", ("info",))
        train = _function(module, "train", ("model", "data", "device", "log"))
        pristine = ClassificationData(
            data.x_train.clone(), data.y_train.clone(), data.x_val.clone(), data.y_val.clone(), dict(data.info)
        )
        model = build_model(dict(data.info))
        if not isinstance(model, nn.Module):
            raise ContractError(
                f"build_model(info) returned a {type(model).__name__}; it must return a torch.nn.Module "
                "(for example an nn.Sequential)."
            )
        before = _parameter_snapshot(model)
        optimizers: list[dict] = []
        watcher = _InputWatcher()
        first = _first_weight_layer(model)
        handle = first.register_forward_pre_hook(watcher) if first is not None else None
        try:
            with _watch_optimizers(optimizers):
                result = train(model, data, device, log)
        finally:
            if handle is not None:
                handle.remove()
        if result is not None and not isinstance(result, nn.Module):
            raise ContractError(
                f"train(model, data, device, log) returned a {type(result).__name__}; "
                "return nothing (the model you were given is used) or the trained torch.nn.Module."
            )
        trained = model if result is None else result
        lr = optimizers[0]["lr"] if optimizers else _module_learning_rate(module)
        facts: dict = {
            "optimizers": optimizers,
            "learning_rate": lr,
            "parameters_changed": _parameters_changed(before, trained) if trained is model else True,
        }
        facts.update(watcher.facts())
        return Trained(trained, facts, pristine)

    def _outputs(self, model: nn.Module, x: torch.Tensor, device: str) -> torch.Tensor:
        try:
            where = next(model.parameters()).device
        except StopIteration:
            where = torch.device(device)
        pieces = []
        with torch.no_grad():
            for start in range(0, x.shape[0], self.chunk):
                out = model(x[start : start + self.chunk].to(where))
                if not isinstance(out, torch.Tensor):
                    raise TypeError(f"the model returned a {type(out).__name__}, not a tensor")
                pieces.append(out.detach().cpu())
        return torch.cat(pieces) if pieces else torch.empty(0)

    def evaluate(self, module: Any, trained: Any, project: Any, test_seed: int, device: str) -> dict:
        model = trained.model if isinstance(trained, Trained) else trained
        facts = dict(trained.facts) if isinstance(trained, Trained) else {}
        test = _draw(project, test_seed, ("test",))["test"]
        classes = int(test.info["num_classes"])
        facts.update(_mode_facts(model))
        parameters = _count_parameters(model)
        metrics = {"test_accuracy": 0.0, "parameters": float(parameters)}
        expected = [len(test), classes]
        facts["expected_output"] = {"shape": expected, "dtype": "float"}
        try:
            out = self._outputs(model, test.x, device)
        except Exception as exc:  # the learner's forward pass failed on the test inputs
            facts["forward_error"] = _short(exc)
            return {"metrics": metrics, "facts": facts}
        facts["got_output"] = {"shape": list(out.shape), "dtype": str(out.dtype).replace("torch.", "")}
        if list(out.shape) != expected or not out.is_floating_point():
            facts["wrong_output"] = True
            return {"metrics": metrics, "facts": facts}
        facts["wrong_output"] = False
        out = out.float()
        finite = bool(torch.isfinite(out).all())
        facts["outputs_finite"] = finite
        facts["outputs_look_like_probabilities"] = bool(
            finite and (out >= 0).all() and torch.allclose(out.sum(dim=1), torch.ones(len(out)), atol=1e-3)
        )
        metrics["test_accuracy"] = float((out.argmax(dim=1) == test.y).float().mean()) if finite else 0.0
        data = trained.data if isinstance(trained, Trained) else None
        if data is not None:
            for part, x, y in (("train", data.x_train, data.y_train), ("val", data.x_val, data.y_val)):
                if len(x) == 0:
                    continue
                try:
                    o = self._outputs(model, x, device).float()
                    facts[f"{part}_accuracy"] = float((o.argmax(dim=1) == y).float().mean())
                except Exception:  # already reported through the test pass when it matters
                    pass
        return {"metrics": metrics, "facts": facts}


class RegressionByHandTask(Task):
    """Linear regression with hand-written gradients and loop: ``gradients`` + ``train``."""

    kind = "regression_by_hand"
    checks = 5  # random draws for the gradient oracle check

    def training_data(self, project: Any, seed: int) -> RegressionData:
        parts = _draw(project, seed, ("train", "val"))
        info = dict(parts["train"].info)
        return RegressionData(parts["train"].x, parts["train"].y, parts["val"].x, parts["val"].y, info)

    def run_learner(self, module: Any, data: Any, device: str, log: Callable[..., None]) -> Trained:
        _function(module, "gradients", ("w", "b", "x", "y"))
        train = _function(module, "train", ("data", "log"))
        pristine = RegressionData(
            data.x_train.clone(), data.y_train.clone(), data.x_val.clone(), data.y_val.clone(), dict(data.info)
        )
        counter: dict = {}
        optimizers: list[dict] = []
        with _watch_optimizers(optimizers), _count_autograd(counter):
            result = train(data, log)
        facts = {
            "autograd_calls": sum(counter.values()),
            "optimizers": optimizers,
            "learning_rate": _module_learning_rate(module),
        }
        return Trained(result, facts, pristine)

    @staticmethod
    def _weights(result: Any, features: int) -> tuple[torch.Tensor, torch.Tensor] | str:
        """The (w, b) pair as float tensors, or a sentence saying what is wrong with it."""
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            return f"train(data, log) returned {type(result).__name__}; it must return a pair (w, b)"
        try:
            w = torch.as_tensor(result[0]).detach().float().cpu().reshape(-1)
            b = torch.as_tensor(result[1]).detach().float().cpu().reshape(-1)
        except (TypeError, ValueError, RuntimeError) as exc:
            return f"train(data, log) returned a pair that is not numbers: {_short(exc)}"
        if w.numel() != features or b.numel() != 1:
            return f"w must have {features} values and b one value; got {w.numel()} and {b.numel()}"
        return w, b[0]

    def _gradient_check(self, module: Any, test_seed: int, features: int, counter: dict) -> tuple[float, str | None]:
        g = torch.Generator().manual_seed(int(test_seed) % (2**62) + 17)
        gradients = getattr(module, "gradients")
        worst = 0.0
        for _ in range(self.checks):
            x = torch.randn(32, features, generator=g)
            y = torch.randn(32, generator=g) * 2
            w = torch.randn(features, generator=g)
            b = torch.randn((), generator=g)
            wt, bt = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
            loss = ((x @ wt + bt - y) ** 2).mean()
            true_w, true_b = torch.autograd.grad(loss, (wt, bt))
            try:
                with _count_autograd(counter):
                    got = gradients(w.clone(), b.clone(), x.clone(), y.clone())
                got_w = torch.as_tensor(got[0]).detach().float().reshape(-1)
                got_b = torch.as_tensor(got[1]).detach().float().reshape(-1)
            except Exception as exc:
                return 1.0, f"gradients(w, b, x, y) failed: {_short(exc)}"
            if got_w.numel() != features or got_b.numel() != 1:
                return 1.0, (
                    f"gradients(w, b, x, y) must return (grad_w with {features} values, grad_b with one); "
                    f"got {got_w.numel()} and {got_b.numel()} values"
                )
            truth = torch.cat([true_w.reshape(-1), true_b.reshape(-1)])
            mine = torch.cat([got_w, got_b])
            error = float((mine - truth).norm() / truth.norm().clamp_min(1e-12))
            worst = max(worst, error if math.isfinite(error) else 1.0)
        return min(worst, 1.0e6), None

    def evaluate(self, module: Any, trained: Any, project: Any, test_seed: int, device: str) -> dict:
        result = trained.model if isinstance(trained, Trained) else trained
        facts = dict(trained.facts) if isinstance(trained, Trained) else {}
        test = _draw(project, test_seed, ("test",))["test"]
        features = int(test.info["input_shape"][0])
        counter: dict = {}
        gradient_error, problem = self._gradient_check(module, test_seed, features, counter)
        if problem:
            facts["gradient_problem"] = problem
        facts["autograd_calls"] = int(facts.get("autograd_calls", 0)) + sum(counter.values())
        autograd_uses = facts["autograd_calls"] + len(facts.get("optimizers", []))
        facts["best_possible_mse"] = float(test.info.get("noise", 0.0)) ** 2
        facts["expected_output"] = {"shape": [features], "dtype": "float"}
        weights = self._weights(result, features)
        if isinstance(weights, str):
            facts["wrong_output"] = True
            facts["output_problem"] = weights
            baseline = float((test.y**2).mean())  # as good as predicting 0 everywhere
            test_mse = baseline
        else:
            facts["wrong_output"] = False
            w, b = weights
            facts["got_output"] = {"shape": list(w.shape), "dtype": str(w.dtype).replace("torch.", "")}
            test_mse = float(((test.x @ w + b - test.y) ** 2).mean())
            if not math.isfinite(test_mse):
                facts["outputs_finite"] = False
                test_mse = 1.0e12
            data = trained.data if isinstance(trained, Trained) else None
            if data is not None:
                facts["train_mse"] = float(((data.x_train @ w + b - data.y_train) ** 2).mean())
                facts["val_mse"] = float(((data.x_val @ w + b - data.y_val) ** 2).mean()) if len(data.x_val) else None
        metrics = {
            "test_mse": min(test_mse, 1.0e12),
            "gradient_error": gradient_error,
            "autograd_uses": float(autograd_uses),
        }
        return {"metrics": metrics, "facts": facts}


TASKS: dict[str, type[Task]] = {
    ClassificationTask.kind: ClassificationTask,
    RegressionByHandTask.kind: RegressionByHandTask,
}


def get_task(kind: str) -> Task:
    """A fresh Task for ``kind`` ("classification" or "regression_by_hand")."""
    try:
        return TASKS[kind]()
    except KeyError:
        known = ", ".join(sorted(TASKS))
        raise UnknownTask(f"unknown task kind {kind!r}; dlpath knows: {known}") from None
