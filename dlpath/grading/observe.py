"""Watching the learner's training the way a mentor would, cheaply, inside the learner process.

`Watch` is handed to a task (``side.watch``); the task calls ``attach(model)``
before training, runs the learner's loop inside ``training()``, and calls
``finish(model)`` after. Meanwhile the watch records, without changing any
result:

- the model before training: the order of its layers and activations on the
  first forward pass (an activation on the logits, two weight layers with no
  non-linearity between them), dropout rates, each weight layer's initial
  spread, all-equal (symmetric or zero) weights, large biases;
- on sampled optimizer steps (the first three, then steps 4, 8, 16, ...): each
  weight layer's gradient norm and its update/weight ratio (global optimizer
  step hooks); on the forward passes of those steps, the share of dead ReLU
  units and of saturated sigmoid/tanh units (forward hooks);
- on the first three training batches only, through a `TorchFunctionMode`:
  which loss function was called and what went into it (probabilities instead
  of logits, float targets holding class indices, a target shaped unlike the
  input), and `zero_grad` / `backward` / `step` counts per step;
- the statistics of what the first layer saw (normalized inputs or not).

All of it is advice for the mentor (`Observation`), never a metric: it comes
from the process that runs the learner's code. Anything a hook cannot follow
(a model that is not a Module, a hand-written loop without an optimizer) is
simply left out, and the diagnoses fall back on the curves and the results.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Iterator

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook
from torch.overrides import TorchFunctionMode

from dlpath.grading.facts import LayerStat, Observation, Recipe

__all__ = ["Watch"]

_WEIGHT_LAYERS = (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd, nn.RNNBase, nn.Embedding)
_ACTIVATIONS = {"relu", "relu_", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "tanh",
                "sigmoid", "softmax", "log_softmax", "softplus", "hardtanh", "hardswish", "hardsigmoid", "prelu",
                "glu", "logsigmoid", "softsign", "tanhshrink", "threshold", "rrelu"}
_LOSSES = {"cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
           "multi_margin_loss", "soft_margin_loss", "hinge_embedding_loss", "cosine_embedding_loss"}
_RECIPE_STEPS = 3  # early training steps watched through the function mode
_MAX_SAMPLES = 16  # sampled optimizer steps
_MODULE_LR_NAMES = ("LEARNING_RATE", "LR", "learning_rate", "lr")


def _sampled(step: int) -> bool:
    """Steps 0, 1, 2, then powers of two: a handful of looks spread over the whole run."""
    return step < 3 or (step & (step - 1)) == 0


class _EarlyCalls(TorchFunctionMode):
    """Records the calls that matter on the first batches: losses and activations."""

    def __init__(self, watch: Watch) -> None:
        super().__init__()
        self.watch = watch

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        result = func(*args, **kwargs)
        try:
            if name in _LOSSES:
                self.watch._saw_loss(name, args, kwargs, result)
            elif name in _ACTIVATIONS and self.watch._first_forward_open:
                self.watch._events.append(("fn", name))
        except Exception:  # noqa: BLE001 - observing must never break training
            pass
        return result


class Watch:
    """The mentor's eyes inside the learner process (see the module's docstring)."""

    def __init__(self, module: Any = None, enabled: bool = True) -> None:
        self.enabled = enabled
        self.module = module
        self.autograd_calls = 0
        self._model: nn.Module | None = None
        self._before: list[torch.Tensor | None] = []
        self._handles: list[Any] = []
        self._call_order_hooks: list[Any] = []
        self._layers: dict[str, dict[str, Any]] = {}
        self._layer_of: dict[int, str] = {}  # id(weight parameter) -> layer name
        self._events: list[tuple[str, str]] = []
        self._first_forward_open = False
        self._first_forward_done = False
        self._steps = 0
        self._zero_grads = 0
        self._backwards = 0
        self._sampling = False
        self._weights_before_step: dict[str, torch.Tensor] = {}
        self._mode: _EarlyCalls | None = None
        self._recipe: dict[str, Any] = {}
        self._grad_series: dict[str, list[float]] = {}
        self._optimizer: dict[str, Any] = {}
        self._input_stats = [0, 0.0, 0.0, 0.0]  # count, sum, sum of squares, abs max
        self._finished: dict[str, Any] = {}

    # ------------------------------------------------------------------ the model

    def attach(self, model: nn.Module) -> None:
        """Look at the model before training and set the hooks."""
        if not self.enabled or not isinstance(model, nn.Module):
            return
        self._model = model
        try:
            self._before = [p.detach().to("cpu", copy=True) if not _lazy(p) else None
                            for p in nn.Module.parameters(model)]
            first = True
            for name, layer in model.named_modules():
                if isinstance(layer, _WEIGHT_LAYERS):
                    self._add_layer(name or type(layer).__name__, layer, first)
                    first = False
                if not list(layer.children()):
                    self._call_order_hooks.append(layer.register_forward_pre_hook(self._module_called))
                if isinstance(layer, (nn.ReLU, nn.Sigmoid, nn.Tanh)):
                    self._handles.append(layer.register_forward_hook(self._activation_seen(name)))
            self._handles.append(model.register_forward_pre_hook(self._root_forward, prepend=True))
            self._handles.append(model.register_forward_hook(self._root_forward_done))
        except Exception:  # noqa: BLE001 - a model the hooks cannot follow
            self._remove_hooks()

    def _add_layer(self, name: str, layer: nn.Module, first: bool) -> None:
        weight = getattr(layer, "weight", None)
        if not isinstance(weight, torch.Tensor) or _lazy(weight):
            weights = [p for p in layer.parameters(recurse=False) if p.dim() >= 2 and not _lazy(p)]
            weight = weights[0] if weights else None
        info: dict[str, Any] = {"kind": type(layer).__name__, "grads": [], "ratios": [], "dead": [], "saturated": []}
        if isinstance(weight, torch.Tensor):
            w = weight.detach().float()
            info["weight_std"] = float(w.std()) if w.numel() > 1 else 0.0
            info["weight_equal"] = bool(w.numel() > 1 and float(w.max() - w.min()) == 0.0)
            info["size"] = int(w.numel())
            self._layer_of[id(weight)] = name
            info["weight"] = weight
        bias = getattr(layer, "bias", None)
        if isinstance(bias, torch.Tensor) and not _lazy(bias) and bias.numel():
            info["bias_abs_max"] = float(bias.detach().abs().max())
        self._layers[name] = info
        if first:
            self._handles.append(layer.register_forward_pre_hook(self._first_layer_input))

    def _root_forward(self, module: nn.Module, inputs: tuple) -> None:
        if not self._first_forward_done and module.training:
            self._first_forward_open = True
        self._sampling = module.training and _sampled(self._steps) and len(self._grad_series) <= _MAX_SAMPLES

    def _root_forward_done(self, module: nn.Module, inputs: tuple, output: Any) -> None:
        if self._first_forward_open:
            self._first_forward_open = False
            self._first_forward_done = True
            for handle in self._call_order_hooks:  # the order of the layers is known: stop paying for it
                handle.remove()
            self._call_order_hooks = []

    def _module_called(self, module: nn.Module, inputs: tuple) -> None:
        if self._first_forward_open:
            if isinstance(module, nn.Embedding):
                return  # a lookup of the input: the layer after it is the first that computes
            kind = "weight" if isinstance(module, _WEIGHT_LAYERS) else type(module).__name__
            self._events.append(("module", kind))
            if isinstance(module, nn.RNNBase):  # weights with non-linearities (tanh, gates) inside
                self._events.append(("module", type(module).__name__))

    def _first_layer_input(self, module: nn.Module, inputs: tuple) -> None:
        stats = self._input_stats
        if not self._sampling or not inputs or not isinstance(inputs[0], torch.Tensor) or stats[0] > 5_000_000:
            return
        x = inputs[0].detach()
        if not x.is_floating_point() or x.numel() == 0:
            return
        x = x.float()
        stats[0] += x.numel()
        stats[1] += float(x.sum())
        stats[2] += float((x * x).sum())
        stats[3] = max(stats[3], float(x.abs().max()))

    def _activation_seen(self, name: str) -> Any:
        def hook(module: nn.Module, inputs: tuple, output: Any) -> None:
            if not self._sampling or not isinstance(output, torch.Tensor) or output.dim() < 2:
                return
            layer = self._layers.setdefault(f"{name} ({type(module).__name__})", {
                "kind": type(module).__name__, "grads": [], "ratios": [], "dead": [], "saturated": []})
            out = output.detach()
            if isinstance(module, nn.ReLU):
                flat = out.reshape(out.shape[0], -1)
                layer["dead"].append(float((flat <= 0).all(dim=0).float().mean()))
            elif isinstance(module, nn.Sigmoid):
                layer["saturated"].append(float(((out < 0.01) | (out > 0.99)).float().mean()))
            elif isinstance(module, nn.Tanh):
                layer["saturated"].append(float((out.abs() > 0.99).float().mean()))
        return hook

    # ------------------------------------------------------------------ the loop

    @contextlib.contextmanager
    def training(self) -> Iterator[None]:
        """Watch the learner's loop: optimizer steps, zero_grad and backward calls, early function calls."""
        if not self.enabled:
            yield
            return
        handles = []
        originals = (torch.optim.Optimizer.zero_grad, nn.Module.zero_grad, torch.Tensor.backward)
        watch = self

        def optimizer_zero_grad(opt: Any, *a: Any, **k: Any) -> Any:
            watch._zero_grads += 1
            return originals[0](opt, *a, **k)

        def module_zero_grad(mod: Any, *a: Any, **k: Any) -> Any:
            watch._zero_grads += 1
            return originals[1](mod, *a, **k)

        inside = [False]  # the function mode calls backward again through Tensor.backward: count once

        def backward(tensor: Any, *a: Any, **k: Any) -> Any:
            if inside[0]:
                return originals[2](tensor, *a, **k)
            watch._backwards += 1
            if watch._backwards <= _RECIPE_STEPS and isinstance(tensor, torch.Tensor) and tensor.grad_fn is None:
                watch._recipe["loss_detached"] = True
            if watch._backwards > 2 * _RECIPE_STEPS:
                watch._leave_mode()  # a loop without an optimizer: stop watching calls all the same
            inside[0] = True
            try:
                return originals[2](tensor, *a, **k)
            finally:
                inside[0] = False

        try:
            handles.append(register_optimizer_step_pre_hook(self._before_step))
            handles.append(register_optimizer_step_post_hook(self._after_step))
            torch.optim.Optimizer.zero_grad = optimizer_zero_grad  # type: ignore[method-assign]
            nn.Module.zero_grad = module_zero_grad  # type: ignore[method-assign]
            torch.Tensor.backward = backward  # type: ignore[method-assign]
            self._mode = _EarlyCalls(self)
            self._mode.__enter__()
        except Exception:  # noqa: BLE001
            self._mode = None
        try:
            yield
        finally:
            self._leave_mode()
            torch.optim.Optimizer.zero_grad, nn.Module.zero_grad, torch.Tensor.backward = originals  # type: ignore
            for handle in handles:
                handle.remove()

    def _leave_mode(self) -> None:
        mode, self._mode = self._mode, None
        if mode is None:
            return
        from torch.overrides import _get_current_function_mode

        try:
            if _get_current_function_mode() is mode:
                mode.__exit__(None, None, None)
        except Exception:  # noqa: BLE001
            pass

    @contextlib.contextmanager
    def counting_autograd(self) -> Iterator[None]:
        """Count `backward()` and `torch.autograd.grad` calls (by-hand tasks forbid them)."""
        originals = (torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad)
        depth = [0]
        watch = self

        def counted(fn: Any) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if depth[0] == 0:
                    watch.autograd_calls += 1
                depth[0] += 1
                try:
                    return fn(*args, **kwargs)
                finally:
                    depth[0] -= 1
            return wrapper

        torch.Tensor.backward = counted(originals[0])  # type: ignore[method-assign]
        torch.autograd.backward = counted(originals[1])
        torch.autograd.grad = counted(originals[2])
        try:
            yield
        finally:
            torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad = originals  # type: ignore

    def _before_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        try:
            if not self._optimizer:
                group = optimizer.param_groups[0] if optimizer.param_groups else {}
                self._optimizer = {
                    "type": type(optimizer).__name__,
                    "lr": _number(group.get("lr")),
                    "weight_decay": _number(group.get("weight_decay")),
                    "momentum": _number(group.get("momentum", (group.get("betas") or (None,))[0])),
                }
            if _sampled(self._steps) and self._steps < 2 ** 20:
                self._weights_before_step = {}
                for layer, info in self._layers.items():
                    weight = info.get("weight")
                    if weight is None or weight.grad is None:
                        continue
                    norm = float(weight.grad.detach().float().norm())
                    info["grads"].append(norm)
                    self._grad_series.setdefault(layer, []).append(norm)
                    self._weights_before_step[layer] = weight.detach().clone()
        except Exception:  # noqa: BLE001
            pass

    def _after_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        try:
            for layer, before in self._weights_before_step.items():
                weight = self._layers[layer]["weight"]
                scale = float(before.float().norm())
                if scale > 0:
                    self._layers[layer]["ratios"].append(float((weight.detach().float() - before.float()).norm()) / scale)
            self._weights_before_step = {}
        except Exception:  # noqa: BLE001
            pass
        self._steps += 1
        if self._steps >= _RECIPE_STEPS:
            self._leave_mode()

    def _saw_loss(self, name: str, args: tuple, kwargs: dict, result: Any) -> None:
        recipe = self._recipe
        recipe.setdefault("loss", name)
        if recipe.get("loss") != name or len(args) < 2:
            return
        x, target = args[0], args[1] if len(args) > 1 else kwargs.get("target")
        if not isinstance(x, torch.Tensor) or not isinstance(target, torch.Tensor):
            return
        x, target = x.detach(), target.detach()
        if name == "cross_entropy" and x.dim() == 2 and x.is_floating_point() and x.shape[0]:
            rows = x.float().sum(dim=1)
            recipe["loss_input_probabilities"] = bool((x >= 0).all() and torch.allclose(rows, torch.ones_like(rows), atol=1e-3))
            recipe["loss_input_log_probabilities"] = bool((x <= 0).all() and torch.allclose(
                x.float().exp().sum(dim=1), torch.ones_like(rows), atol=1e-3))
        if name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss") and target.is_floating_point():
            values = target.float().reshape(-1)
            integral = bool(values.numel() and torch.equal(values, values.round()) and values.min() >= 0)
            recipe["target_float_of_indices"] = integral and values.unique().numel() >= 2 and values.max() >= 1
            recipe["target_shape_differs"] = tuple(x.shape) != tuple(target.shape)
        if isinstance(result, torch.Tensor) and result.grad_fn is None and torch.is_grad_enabled():
            recipe["loss_detached"] = True

    # ------------------------------------------------------------------ the end

    def finish(self, model: Any) -> None:
        """After training: did the weights move, in which mode is the model, what do the layers look like."""
        self._leave_mode()
        self._remove_hooks()
        if not self.enabled or not isinstance(model, nn.Module):
            return
        try:
            after = list(nn.Module.parameters(model))
            changed: bool | None = True
            if not after and not self._before:
                changed = None  # nothing to compare: the weights live elsewhere
            elif model is self._model and len(after) == len(self._before) and all(b is not None for b in self._before):
                changed = any(_lazy(a) or a.shape != b.shape or not torch.equal(a.detach().cpu(), b)
                              for a, b in zip(after, self._before) if b is not None)
            dropout = [round(float(m.p), 4) for m in model.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
            norms = sum(1 for m in model.modules() if isinstance(m, nn.modules.batchnorm._NormBase))
            self._finished = {"parameters_changed": changed, "dropout_rates": dropout,
                              "mode_dependent_layers": len(dropout) + norms,
                              "left_in_training_mode": bool(model.training)}
        except Exception:  # noqa: BLE001
            pass

    def _remove_hooks(self) -> None:
        for handle in self._handles + self._call_order_hooks:
            with contextlib.suppress(Exception):
                handle.remove()
        self._handles = []
        self._call_order_hooks = []

    def observation(self) -> Observation:
        """Everything seen, as the typed, serialisable Observation."""
        lr = self._optimizer.get("lr")
        if lr is None and self.module is not None:
            lr = next((float(v) for n in _MODULE_LR_NAMES
                       if isinstance(v := getattr(self.module, n, None), (int, float)) and not isinstance(v, bool)), None)
        count, total, total_sq, abs_max = self._input_stats
        first_input: dict[str, float] = {}
        normalized = None
        if count:
            mean = total / count
            std = math.sqrt(max(total_sq / count - mean * mean, 0.0))
            if all(math.isfinite(v) for v in (mean, std, abs_max)):
                first_input = {"mean": round(mean, 4), "std": round(std, 4), "abs_max": round(abs_max, 4)}
                normalized = abs(mean) <= 3.0 and std <= 5.0
        layers = []
        for name, info in self._layers.items():
            grads, ratios = info.get("grads", []), info.get("ratios", [])
            layers.append(LayerStat(
                name=name, kind=info.get("kind", ""), size=int(info.get("size", 0)),
                grad_norm=_mean(grads), grad_norm_first=grads[0] if grads else None,
                update_ratio=_mean(ratios), weight_std=info.get("weight_std"), weight_equal=info.get("weight_equal"),
                bias_abs_max=info.get("bias_abs_max"), dead_fraction=_mean(info.get("dead", [])),
                saturated_fraction=_mean(info.get("saturated", [])),
            ))
        recipe = None
        if self._recipe or self._steps or self._backwards:
            growth = None
            series = next((s for s in self._grad_series.values() if len(s) >= 4), None)
            if series is not None and series[0] > 0:
                growth = series[-1] / series[0]
            recipe = Recipe(
                loss=self._recipe.get("loss"),
                loss_input_probabilities=self._recipe.get("loss_input_probabilities"),
                loss_input_log_probabilities=self._recipe.get("loss_input_log_probabilities"),
                target_float_of_indices=self._recipe.get("target_float_of_indices"),
                target_shape_differs=self._recipe.get("target_shape_differs"),
                backward_per_step=self._backwards / self._steps if self._steps else None,
                zero_grad_per_step=self._zero_grads / self._steps if self._steps else None,
                steps=self._steps, backward_calls=self._backwards,
                loss_detached=self._recipe.get("loss_detached"), grad_growth=growth,
            )
        output_activation, stacked, linear = _structure(self._events)
        return Observation(
            optimizer=self._optimizer.get("type"), learning_rate=lr,
            weight_decay=self._optimizer.get("weight_decay"), momentum=self._optimizer.get("momentum"),
            parameters_changed=self._finished.get("parameters_changed"),
            first_layer_input=first_input, inputs_normalized=normalized,
            left_in_training_mode=self._finished.get("left_in_training_mode"),
            mode_dependent_layers=int(self._finished.get("mode_dependent_layers", 0)),
            dropout_rates=list(self._finished.get("dropout_rates", [])),
            output_activation=output_activation, stacked_linear=stacked, linear_model=linear, layers=layers,
            recipe=recipe,
            autograd_calls=self.autograd_calls, optimizers_made=1 if self._optimizer else 0,
        )


_ACTIVATION_MODULES = {"ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "GELU", "SiLU", "ELU", "LeakyReLU",
                       "PReLU", "Softplus", "Mish", "Hardtanh", "SELU", "CELU", "ReLU6", "Hardswish"}
_LABELS = {"softmax": "Softmax", "log_softmax": "LogSoftmax", "sigmoid": "Sigmoid", "relu": "ReLU", "tanh": "Tanh",
           "gelu": "GELU", "silu": "SiLU", "leaky_relu": "LeakyReLU", "elu": "ELU", "softplus": "Softplus"}


def _structure(events: list[tuple[str, str]]) -> tuple[str | None, bool | None, bool | None]:
    """(the activation applied after the last weight layer, whether two weight layers follow each other
    with no non-linearity between them, whether there is no non-linearity at all) from the first forward pass."""
    if not events:
        return None, None, None
    nonlinear_modules = {"ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "GELU", "SiLU", "ELU", "LeakyReLU",
                         "PReLU", "Softplus", "Mish", "Hardtanh", "SELU", "CELU", "ReLU6", "Hardswish", "GLU",
                         "MultiheadAttention", "LSTM", "GRU", "RNN", "MaxPool1d", "MaxPool2d", "MaxPool3d",
                         "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "TransformerEncoderLayer",
                         "LayerNorm", "GroupNorm", "RMSNorm"}  # a normalization divides by a scale the data sets
    stacked = False
    linear = True
    last_weight = None
    between_nonlinear = True
    after_last: str | None = None
    for kind, name in events:
        if kind == "module" and name == "weight":
            if last_weight is not None and not between_nonlinear:
                stacked = True
            last_weight = name
            between_nonlinear = False
            after_last = None
        elif (kind == "fn" and name in _ACTIVATIONS) or (kind == "module" and name in nonlinear_modules):
            between_nonlinear = True
            if last_weight is not None and name not in ("softmax", "log_softmax", "Softmax", "LogSoftmax"):
                linear = False
            if kind == "fn" or name in _ACTIVATION_MODULES:
                after_last = _LABELS.get(name, name)
    return after_last, stacked, linear and last_weight is not None


def _lazy(p: torch.Tensor) -> bool:
    return isinstance(p, nn.parameter.UninitializedParameter)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value)
    return None


def _mean(values: list[float]) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else (values[0] if values else None)
