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
- the statistics of what the first layer saw (normalized inputs or not, finite or not), and how the inputs
  the model trained on differ from the raw training data it was handed (preprocessing done outside the model
  never reaches the grader's inputs);
- the run in time (`Timeline`): on the sampled steps, the learning rate, the loss backward() was called on
  and the size of the update, so that a schedule that collapses the rate or a blow-up is located in time;
- recurrent layers (batch_first, the shape of their first input) and attention rows masked entirely.

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
from torch.utils._python_dispatch import TorchDispatchMode

from dlpath.grading.facts import LayerStat, Observation, Recipe, RecurrentLayer, Timeline
from dlpath.text import ordinal

__all__ = ["Watch"]

_WEIGHT_LAYERS = (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd, nn.RNNBase, nn.Embedding)
_ACTIVATIONS = {"relu", "relu_", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "tanh",
                "sigmoid", "softmax", "log_softmax", "softplus", "hardtanh", "hardswish", "hardsigmoid", "prelu",
                "glu", "logsigmoid", "softsign", "tanhshrink", "threshold", "rrelu"}
_LOSSES = {"cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
           "multi_margin_loss", "soft_margin_loss", "hinge_embedding_loss", "cosine_embedding_loss"}
_MIXING = {"scaled_dot_product_attention", "multi_head_attention_forward"}  # attention: non-linear mixing
_ELEMENTWISE_LOSSES = {"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                       "binary_cross_entropy_with_logits", "soft_margin_loss", "poisson_nll_loss"}
_RECIPE_STEPS = 3  # early training steps watched through the function mode
_MAX_SAMPLES = 24  # sampled optimizer steps
_MAX_FEATURES = 16_384  # per-feature input statistics are kept for inputs up to this many numbers per sample
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
            elif name in _ACTIVATIONS or name in _MIXING:
                if name in ("softmax", "log_softmax") or name in _MIXING:
                    self.watch._check_masked_rows(name, args, kwargs)
                if self.watch._first_forward_open:
                    self.watch._events.append(("fn", name))
        except Exception:  # noqa: BLE001 - observing must never break training
            pass
        return result


class StartingPoint:
    """Where a model's weights started, and which of them training moved by gradients: the learned-weights
    ablation (``tasks._model.learned_skill``) puts those back where they started and measures what is lost.

    Taken when ``build_model`` returns (before the learner's ``train`` runs), by parameter name, so that a copy
    of the model returned by ``train`` (``copy.deepcopy``, a best checkpoint) is matched too. A parameter counts
    as trained when a gradient was computed for it (``Tensor.register_hook``: ``backward()`` and
    ``torch.autograd.grad`` alike) and its values moved; a weight written by hand, a buffer, a constant in
    ``forward()`` never is. It lives in the learner process: a rule for learning, not a security boundary."""

    def __init__(self) -> None:
        self.values: dict[str, torch.Tensor] = {}
        self.graded: set[str] = set()  # names a gradient was computed for
        self._handles: list[Any] = []

    def take(self, model: nn.Module) -> None:
        self.values.clear()
        self.graded.clear()
        try:
            for name, p in model.named_parameters():
                if _lazy(p) or not p.is_floating_point():
                    continue
                self.values[name] = p.detach().to("cpu", copy=True)
                if p.requires_grad:
                    self._handles.append(p.register_hook(self._seen(name)))
        except Exception:  # noqa: BLE001 - a model whose parameters cannot be read: nothing counts as trained
            self.values.clear()

    def _seen(self, name: str) -> Any:
        def hook(grad: Any) -> None:
            self.graded.add(name)
        return hook

    def stop(self) -> None:
        for handle in self._handles:
            with contextlib.suppress(Exception):
                handle.remove()
        self._handles = []

    def trained(self, model: nn.Module) -> dict[int, tuple[torch.Tensor, torch.Tensor]]:
        """{data pointer: (the parameter now, its value when build_model returned it)} for every parameter of
        ``model`` that a gradient was computed for and whose values moved."""
        out: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        with contextlib.suppress(Exception):
            for name, p in model.named_parameters():
                start = self.values.get(name)
                if name not in self.graded or start is None or start.shape != p.shape or _lazy(p):
                    continue
                if not torch.equal(p.detach().to("cpu"), start):
                    out[p.data_ptr()] = (p, start)
        return out


#: the starting point of the model being trained in this process (one model per learner process)
STARTING_POINT = StartingPoint()


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
        self._samples = 0  # sampled training forward passes
        self._nonfinite_input = False
        self._raw: _FeatureStats | None = None  # the training data as handed over
        self._raw_sample: torch.Tensor | None = None  # a few raw rows, replayed through the returned model
        self._fed: _FeatureStats | None = None  # what the model received on sampled training steps
        self._graded: _FeatureStats | None = None  # what it receives when the returned model gets raw rows
        self._first_input_shape: list[int] = []
        self._recurrent: dict[str, dict[str, Any]] = {}
        self._fully_masked: bool | None = None
        self._timeline: dict[int, dict[str, float]] = {}
        self._last_optimizer: Any = None
        self._labels: dict[str, str] = {}  # module name -> "the second ReLU (model[4])"
        self.extra: dict[str, Any] = {}  # what a task saw itself, for its own rules (advice, as all of this)

    # ------------------------------------------------------------------ the model

    def attach(self, model: nn.Module) -> None:
        """Look at the model before training and set the hooks; note where its weights start (always, for the
        judge's learned-weights ablation: ``StartingPoint``)."""
        if isinstance(model, nn.Module):
            STARTING_POINT.take(model)
        if not self.enabled or not isinstance(model, nn.Module):
            return
        self._model = model
        try:
            self._before = [p.detach().to("cpu", copy=True) if not _lazy(p) else None
                            for p in nn.Module.parameters(model)]
            first = True
            seen: dict[str, int] = {}
            for name, layer in model.named_modules():
                kind = type(layer).__name__
                seen[kind] = seen.get(kind, 0) + 1
                self._labels[name or kind] = f"the {ordinal(seen[kind])} {kind} ({_access_path(name)})"
                if isinstance(layer, _WEIGHT_LAYERS):
                    self._add_layer(name or type(layer).__name__, layer, first)
                    first = False
                if not list(layer.children()):
                    self._call_order_hooks.append(layer.register_forward_pre_hook(self._module_called))
                if isinstance(layer, (nn.ReLU, nn.Sigmoid, nn.Tanh)):
                    self._handles.append(layer.register_forward_hook(self._activation_seen(name)))
                if isinstance(layer, nn.RNNBase):
                    self._recurrent[name or type(layer).__name__] = {
                        "kind": type(layer).__name__, "batch_first": bool(layer.batch_first),
                        "forget_bias": _forget_bias(layer)}
                    self._handles.append(layer.register_forward_pre_hook(self._recurrent_called(name or type(layer).__name__)))
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
        self._sampling = module.training and _sampled(self._steps) and self._samples < _MAX_SAMPLES
        x = inputs[0] if inputs else None
        if not isinstance(x, torch.Tensor) or not module.training:
            return
        if not self._first_input_shape:
            self._first_input_shape = [int(n) for n in x.shape]
        if self._sampling:
            self._samples += 1
            if self._raw is not None and x.is_floating_point() and tuple(x.shape[1:]) == self._raw.shape:
                if self._fed is None:
                    self._fed = _FeatureStats(self._raw.shape)
                self._fed.add(x.detach())

    def raw_inputs(self, x: Any) -> None:
        """The training inputs as the harness hands them over, before the learner's code touches them: what
        the model is trained on is compared with them (the grader's inputs come raw too)."""
        if not self.enabled or not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() < 2:
            return
        if x[0].numel() > _MAX_FEATURES:
            return
        try:
            self._raw = _FeatureStats(tuple(x.shape[1:]))
            self._raw.add(x.detach())
            self._raw_sample = x[:512].detach().clone()
        except Exception:  # noqa: BLE001 - advice only
            self._raw = None

    def _recurrent_called(self, name: str) -> Any:
        def hook(module: nn.Module, inputs: tuple) -> None:
            info = self._recurrent.get(name)
            if info is not None and "input_shape" not in info and module.training and inputs and isinstance(
                    inputs[0], torch.Tensor):
                info["input_shape"] = [int(n) for n in inputs[0].shape]
        return hook

    def _check_masked_rows(self, name: str, args: tuple, kwargs: dict) -> None:
        """A softmax over a row that is -inf everywhere (an attention mask that hides every position) is NaN."""
        if self._fully_masked:
            return
        if name in ("softmax", "log_softmax"):
            x = args[0] if args else kwargs.get("input")
            dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
            if isinstance(x, torch.Tensor) and x.is_floating_point() and isinstance(dim, int) and x.numel():
                self._fully_masked = bool(torch.isneginf(x.detach()).all(dim=dim).any())
            return
        if name == "scaled_dot_product_attention":
            mask = kwargs.get("attn_mask", args[3] if len(args) > 3 else None)
            if isinstance(mask, torch.Tensor) and mask.numel():
                hidden = ~mask if mask.dtype == torch.bool else torch.isneginf(mask)
                self._fully_masked = bool(hidden.all(dim=-1).any())
            return
        for key in ("key_padding_mask", "attn_mask"):  # multi_head_attention_forward: True hides a position
            mask = kwargs.get(key)
            if isinstance(mask, torch.Tensor) and mask.numel():
                hidden = mask if mask.dtype == torch.bool else torch.isneginf(mask)
                if bool(hidden.all(dim=-1).any()):
                    self._fully_masked = True

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
        finite = torch.isfinite(x)
        if not bool(finite.all()):
            self._nonfinite_input = True
            x = x[finite]
            if x.numel() == 0:
                return
        stats[0] += x.numel()
        stats[1] += float(x.sum())
        stats[2] += float((x * x).sum())
        stats[3] = max(stats[3], float(x.abs().max()))

    def _activation_seen(self, name: str) -> Any:
        def hook(module: nn.Module, inputs: tuple, output: Any) -> None:
            if not self._sampling or not isinstance(output, torch.Tensor) or output.dim() < 2:
                return
            layer = self._layers.setdefault(f"{name} ({type(module).__name__})", {
                "kind": type(module).__name__, "grads": [], "ratios": [], "dead": [], "saturated": [],
                "label": self._labels.get(name or type(module).__name__, "")})
            out = output.detach()
            if isinstance(module, nn.ReLU):
                flat = out.reshape(out.shape[0], -1)
                layer["dead"].append(float((flat <= 0).all(dim=0).float().mean()))
                layer.setdefault("dead_steps", []).append(self._steps)
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
            watch._saw_backward(tensor)
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
        """Count uses of torch's autograd and optimizers while the learner's code runs (by-hand tasks forbid
        them), whatever function started them: each run of the autograd engine (``.backward()``,
        ``torch.autograd.grad``, the engine's own entry points, ``torch.func``), each region of forward-mode
        differentiation (dual numbers), each optimizer step. Counted in the learner's own process: code that
        sets out to hide from it can (a rule for learning, not a security boundary)."""
        counter = _AutogradUse(self)
        handle = register_optimizer_step_post_hook(lambda optimizer, args, kwargs: counter.use())
        counter.__enter__()
        try:
            yield
        finally:
            handle.remove()
            try:
                counter.__exit__(None, None, None)
            except Exception:  # noqa: BLE001 - the learner's code left the mode stack in another state
                self.autograd_calls += 1

    def _saw_backward(self, tensor: Any) -> None:
        try:
            if isinstance(tensor, torch.Tensor) and tensor.numel() == 1 and self._timed(self._steps):
                self._timeline.setdefault(self._steps, {}).setdefault("loss", float(tensor.detach()))
        except Exception:  # noqa: BLE001
            pass

    def _timed(self, step: int) -> bool:
        return _sampled(step) and (step in self._timeline or len(self._timeline) < _MAX_SAMPLES)

    def _before_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self._last_optimizer = optimizer
        try:
            if self._timed(self._steps) and optimizer.param_groups:
                self._timeline.setdefault(self._steps, {})["lr"] = _number(optimizer.param_groups[0].get("lr"))
        except Exception:  # noqa: BLE001
            pass
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
            ratios = []
            for layer, before in self._weights_before_step.items():
                weight = self._layers[layer]["weight"]
                scale = float(before.float().norm())
                if scale > 0:
                    ratio = float((weight.detach().float() - before.float()).norm()) / scale
                    self._layers[layer]["ratios"].append(ratio)
                    if self._layers[layer].get("size", 0) >= 16:
                        ratios.append(ratio)
            if ratios and self._steps in self._timeline:
                self._timeline[self._steps]["ratio"] = sorted(ratios)[len(ratios) // 2]
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
        if name in _ELEMENTWISE_LOSSES and tuple(x.shape) != tuple(target.shape):
            try:
                wide = torch.broadcast_shapes(x.shape, target.shape)
                if math.prod(wide) > max(x.numel(), target.numel()):
                    recipe["loss_shapes"] = f"{tuple(x.shape)} and {tuple(target.shape)}"
            except RuntimeError:
                pass
        if name in ("binary_cross_entropy_with_logits", "cross_entropy") and x.is_floating_point() and x.numel() >= 8:
            recipe.setdefault("loss_input_in_unit_interval", bool((x >= 0).all() and (x <= 1).all()))
        if name in ("cross_entropy", "nll_loss") and x.dim() == 2 and x.is_floating_point() and x.shape[0]:
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
        STARTING_POINT.stop()
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
            self._replay_raw(model)
            dropout = [round(float(m.p), 4) for m in model.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
            norms = sum(1 for m in model.modules() if isinstance(m, nn.modules.batchnorm._NormBase))
            self._finished = {"parameters_changed": changed, "dropout_rates": dropout,
                              "mode_dependent_layers": len(dropout) + norms,
                              "left_in_training_mode": bool(model.training)}
        except Exception:  # noqa: BLE001
            pass

    def _replay_raw(self, returned: nn.Module) -> None:
        """Give the returned model a few raw training rows, as the grader will, and record what the watched model
        receives then: a model returned inside a wrapper that prepares the inputs the way training did is
        consistent, whatever the training loop did outside it."""
        watched, sample = self._model, self._raw_sample
        if watched is None or sample is None or self._fed is None or self._raw is None:
            return
        graded = _FeatureStats(self._raw.shape)

        def seen(module: nn.Module, inputs: tuple) -> None:
            if inputs and isinstance(inputs[0], torch.Tensor) and tuple(inputs[0].shape[1:]) == graded.shape:
                graded.add(inputs[0].detach())

        handle = watched.register_forward_pre_hook(seen)
        was = returned.training
        try:
            where = next(returned.parameters()).device
        except StopIteration:
            where = torch.device("cpu")
        try:
            returned.eval()
            with torch.no_grad():
                returned(sample.to(where))
            self._graded = graded if graded.rows else None
        except Exception:  # noqa: BLE001 - the learner's forward pass: advice only
            self._graded = None
        finally:
            handle.remove()
            returned.train(was)

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
        scale = None
        if count:
            mean = total / count
            std = math.sqrt(max(total_sq / count - mean * mean, 0.0))
            if all(math.isfinite(v) for v in (mean, std, abs_max)):
                first_input = {"mean": round(mean, 6), "std": round(std, 6), "abs_max": round(abs_max, 6)}
                if abs(mean) > 3.0 or std > 5.0:
                    scale = "large"
                elif std < 0.02 and abs_max < 0.1:
                    scale = "small"  # a few thousandths: the first layer's outputs are tiny
                normalized = scale is None
        layers = []
        for name, info in self._layers.items():
            grads, ratios = info.get("grads", []), info.get("ratios", [])
            dead, dead_steps = info.get("dead", []), info.get("dead_steps", [])
            died = next((step for step, share in zip(dead_steps, dead) if share >= 0.5), None)
            layers.append(LayerStat(
                name=name, kind=info.get("kind", ""), label=info.get("label") or self._labels.get(name, ""),
                size=int(info.get("size", 0)),
                grad_norm=_mean(grads), grad_norm_first=grads[0] if grads else None,
                update_ratio=_mean(ratios), weight_std=info.get("weight_std"), weight_equal=info.get("weight_equal"),
                bias_abs_max=info.get("bias_abs_max"), dead_fraction=_mean(dead),
                saturated_fraction=_mean(info.get("saturated", [])),
                dead_fraction_last=dead[-1] if dead else None, dead_from_step=died,
            ))
        recipe = None
        if self._recipe or self._steps or self._backwards:
            growth = None
            series = next((s for s in self._grad_series.values() if len(s) >= 4), None)
            if series is not None and series[0] > 0:
                growth = series[-1] / series[0]
            recipe = Recipe(
                loss=self._recipe.get("loss"),
                loss_shapes=self._recipe.get("loss_shapes"),
                loss_input_in_unit_interval=self._recipe.get("loss_input_in_unit_interval"),
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
            timeline=self._timeline_seen(), input_scale=scale,
            inputs_finite=False if self._nonfinite_input else (True if count else None),
            input_transform=self._input_transform(), first_input_shape=list(self._first_input_shape),
            recurrent=[RecurrentLayer(name=name, **info) for name, info in self._recurrent.items()],
            fully_masked_rows=self._fully_masked,
            extra=dict(self.extra),
        )

    def _timeline_seen(self) -> Timeline | None:
        if not self._timeline:
            return None
        steps = sorted(self._timeline)
        final = None
        try:
            if self._last_optimizer is not None and self._last_optimizer.param_groups:
                final = _number(self._last_optimizer.param_groups[0].get("lr"))
        except Exception:  # noqa: BLE001
            final = None
        return Timeline(steps=steps, learning_rate=[self._timeline[s].get("lr") for s in steps],
                        loss=[self._timeline[s].get("loss") for s in steps],
                        update_ratio=[self._timeline[s].get("ratio") for s in steps],
                        total_steps=self._steps, final_learning_rate=final)

    def _input_transform(self) -> dict[str, float]:
        """How what the model trained on differs from the raw training data (see `raw_inputs`)."""
        raw, fed = self._raw, self._fed
        if raw is None or fed is None or fed.rows == 0:
            return {}
        try:
            found = _difference(raw, fed)
            if found and self._graded is not None:  # what the returned model does with raw rows, against training
                again = _difference(self._graded, fed)
                if again:
                    found.update(graded_scale=again["scale"], graded_shift=again["shift"])
            return found
        except Exception:  # noqa: BLE001 - advice only
            return {}


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
        elif kind == "fn" and name in _MIXING:
            between_nonlinear = True
            if last_weight is not None:
                linear = False
        elif (kind == "fn" and name in _ACTIVATIONS) or (kind == "module" and name in nonlinear_modules):
            between_nonlinear = True
            if last_weight is not None and name not in ("softmax", "log_softmax", "Softmax", "LogSoftmax"):
                linear = False
            if kind == "fn" or name in _ACTIVATION_MODULES:
                after_last = _LABELS.get(name, name)
    return after_last, stacked, linear and last_weight is not None


class _FeatureStats:
    """Running per-feature count, sum and sum of squares (NaN and infinities left out)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = tuple(shape)
        size = math.prod(self.shape)
        self.count = torch.zeros(size, dtype=torch.float64)
        self.total = torch.zeros(size, dtype=torch.float64)
        self.squares = torch.zeros(size, dtype=torch.float64)
        self.rows = 0

    def add(self, x: torch.Tensor) -> None:
        flat = x.reshape(x.shape[0], -1).to("cpu", torch.float64)
        finite = torch.isfinite(flat)
        values = torch.where(finite, flat, torch.zeros((), dtype=torch.float64))
        self.count += finite.sum(dim=0)
        self.total += values.sum(dim=0)
        self.squares += (values * values).sum(dim=0)
        self.rows += int(flat.shape[0])

    def moments(self) -> tuple[torch.Tensor, torch.Tensor]:
        n = self.count.clamp_min(1)
        mean = self.total / n
        return mean, (self.squares / n - mean * mean).clamp_min(0).sqrt()


def _access_path(name: str) -> str:
    """How to reach a submodule from the model in Python: "4" -> model[4], "features.3.relu" ->
    model.features[3].relu."""
    path = "model"
    for part in name.split(".") if name else ():
        path += f"[{part}]" if part.isdigit() else f".{part}"
    return path


def _difference(reference: _FeatureStats, other: _FeatureStats) -> dict[str, Any]:
    """How `other` differs from `reference`, feature by feature: the median |log| ratio of the spreads
    ("scale") and the median shift of the means in reference standard deviations ("shift")."""
    r_mean, r_std = reference.moments()
    o_mean, o_std = other.moments()
    usable = (r_std > 1e-8) & torch.isfinite(r_std) & torch.isfinite(o_std) & (other.count > 1) & (reference.count > 1)
    if int(usable.sum()) == 0:
        return {}
    scale = torch.log((o_std[usable] + 1e-12) / (r_std[usable] + 1e-12)).abs().median()
    shift = ((o_mean[usable] - r_mean[usable]).abs() / r_std[usable]).median()
    return {"scale": round(float(scale), 4), "shift": round(float(shift), 4), "features": int(usable.sum())}


def _forget_bias(layer: nn.Module) -> float | None:
    """The mean initial bias of an LSTM's first forget gate (input and hidden biases added), else None."""
    if not isinstance(layer, nn.LSTM) or not getattr(layer, "bias", False):
        return None
    h = layer.hidden_size
    total = layer.bias_ih_l0.detach()[h:2 * h] + layer.bias_hh_l0.detach()[h:2 * h]
    return round(float(total.float().mean()), 4)
class _AutogradUse(TorchDispatchMode):
    """Sees every operator that runs: one inside a graph task of the autograd engine (a backward pass, however
    it was started) counts that task once; one while a forward-mode level is open counts that region once."""

    def __init__(self, watch: Watch) -> None:
        super().__init__()
        self.watch = watch
        self.tasks: set[int] = set()
        self.dual = False

    def use(self) -> None:
        self.watch.autograd_calls += 1

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        task = torch._C._current_graph_task_id()
        if task != -1 and task not in self.tasks:
            self.tasks.add(task)
            self.use()
        dual = _dual_level_open()
        if dual and not self.dual:
            self.use()
        self.dual = dual
        return func(*args, **(kwargs or {}))


def _dual_level_open() -> bool:
    """Whether a forward-mode differentiation level is open (torch allows one at a time: opening another fails)."""
    try:
        level = torch._C._enter_dual_level()
    except RuntimeError:
        return True
    torch._C._exit_dual_level(level=level)
    return False


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
