"""``step_budget``: choose the optimizer; dlpath runs a fixed number of steps on a fixed loss and grades the result.

The learner supplies ``make_optimizer(params)`` (and, optionally,
``make_scheduler(optimizer)``). In the learner process, this task builds the
model itself (a linear model ``x @ w + b`` started at zero), and runs the loop
itself: exactly ``STEPS`` steps of ``zero_grad``, full-batch mean squared error
on the public training rows, ``backward``, ``step`` (and ``scheduler.step()``).
The judge asks for the final ``w`` and ``b`` and computes every metric on hidden
data; it also measures, on the public data, how far the weights got along the
steep and the flat directions of the loss (the eigenvectors of its Hessian).

What is enforced and what is not: the number of steps, the loss, the data, the
model and its starting point are dlpath's, in dlpath's loop. An optimizer that
needs a closure (LBFGS) is refused: each step gets exactly one gradient. What an
optimizer's ``step()`` does with that gradient is the learner's code and is not
checked: a custom optimizer could compute anything it likes in it (even solve the
problem from the public data). Like the "no autograd" rule of
``regression_by_hand``, this is a rule for learning, not a security boundary.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import ContractError, Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, SplitData, Task

STEPS = 100  # optimizer steps dlpath runs, whatever the learner's code
LOG_EVERY = 5  # steps between two points of the learning curves


def _valley(run: Any) -> list[Any]:
    """Progress along the steep and the flat directions of the loss, measured by the judge."""
    from dlpath.grading.diagnose import _fmt, _pct, make

    from dlpath.grading.timeline import blow_up, learning_rate_collapse

    extra = run.facts.extra
    steep, flat = extra.get("left_steep"), extra.get("left_flat")
    if not run.failed() or not isinstance(steep, (int, float)) or not isinstance(flat, (int, float)):
        return []
    if learning_rate_collapse(run) is not None or blow_up(run) is not None:
        return []  # the schedule or the step size explains it: the generic rules say which, located in time
    if not (math.isfinite(steep) and math.isfinite(flat)) or steep > 1.0:
        return []  # further from the bottom than at the start: diverging (the generic rules read the curves)
    stable = extra.get("sgd_stable_lr")
    ratio = extra.get("condition")
    lr = run.observation.learning_rate
    evidence = [f"excess loss left along the steep directions {_pct(steep)}, along the flat ones {_pct(flat)}"]
    if isinstance(ratio, (int, float)):
        evidence.append(f"curvature ratio of the valley (steepest / flattest) {_fmt(ratio)}")
    if lr is not None:
        evidence.append(f"{run.observation.optimizer or 'optimizer'} learning rate {_fmt(lr)}")
    if steep > 0.2:
        cap = f" For plain SGD the largest stable rate here is about {_fmt(stable)} (2 / the steepest curvature)." if (
            isinstance(stable, (int, float))) else ""
        return [make("learning-rate-too-low", f"""After {STEPS} steps your weights are far from the bottom even
            along the steepest directions of the loss, where progress is fastest: {_pct(steep)} of the excess loss
            there is still left. The steps are too small for this budget: raise the learning rate by factors of 3
            until the loss curve either reaches the bottom or starts to jump.{cap}""", evidence=evidence,
                     causes=("learning rate too small",))]
    if flat > 0.1:
        cap = f" (about {_fmt(stable)} here: 2 / the steepest curvature)" if isinstance(stable, (int, float)) else ""
        below = ""
        if isinstance(stable, (int, float)) and lr and run.observation.optimizer == "SGD" and lr < stable / 3:
            below = (f" Your rate, {_fmt(lr)}, is {_fmt(stable / lr)} times below that limit: raise it first and "
                     "watch the curve; you will see SGD reach its own limit.")
        return [make("ill-conditioning", f"""Your optimizer went down the steep walls of the valley (only
            {_pct(steep)} of the excess loss left there) but crawled along its flat floor ({_pct(flat)} left): the
            loss is {_fmt(ratio) if isinstance(ratio, (int, float)) else 'many'} times more curved in some
            directions than in others, because the features come in very different units. One learning rate
            cannot suit both: plain SGD must keep it below the limit of the steepest direction{cap}, and at that
            rate the flat directions move far too slowly for {STEPS} steps. Momentum (SGD with momentum=0.9)
            builds up speed along directions where the gradient keeps pointing the same way; Adam gives every
            weight its own step size. A fixed rate above that limit only makes SGD diverge.{below}""", evidence=evidence,
                     causes=("plain SGD on a badly conditioned loss", "momentum too small or a learning rate "
                             "far below the stable limit"), codes=StepBudgetTask.codes)]
    return []


class StepBudgetTask(Task):
    kind = "step_budget"
    summary = (f"Choose the optimizer: make_optimizer(params) (+ make_scheduler(optimizer)); dlpath runs exactly "
               f"{STEPS} full-batch steps of a fixed loss and grades the final weights.")
    contract = f"""\
make_optimizer(params) -> torch.optim.Optimizer
    params is the list of the model's parameters: the weight (1, F) and the bias (1,) of a
    linear model x @ w + b. Build your optimizer over exactly these and return it.
make_scheduler(optimizer) -> a learning-rate scheduler, or None    (optional)
    If train.py defines it, dlpath calls scheduler.step() after every optimizer step.
dlpath runs the loop, not your code: the model starts at zero, and each of exactly {STEPS}
steps is optimizer.zero_grad(), the mean squared error on every training row, backward(),
optimizer.step(). Optimizers that need a closure (LBFGS) are refused: one gradient per step.
The grader then measures the final weights on fresh data."""
    contract_lines = ("make_optimizer(params) -> torch.optim.Optimizer", "make_scheduler(optimizer)")
    dataset_kinds = ("regression",)
    metrics = (
        Metric("test_mse", "min", "mean squared error",
               f"mean squared error of x @ w + b, with the weights after the {STEPS} steps, on fresh test rows "
               "(1e12 when it is not finite)"),
        Metric("test_r2", "max", "fraction", "1 - test MSE / variance of the test targets"),
    )
    primary = "test_mse"
    codes = {"ill-conditioning": CodeInfo("optimizers-schedules")}
    rules = (_valley,)
    _SAID = {"plateau", "underfitting", "below-threshold", "no-learning", "learning-rate-extreme"}
    exclusive = {"ill-conditioning": _SAID, "learning-rate-too-low": _SAID}

    # -- the learner process
    def train(self, side: LearnerSide, data: SplitData) -> Any:
        import torch
        from torch import nn

        from dlpath.grading.tasks._model import function

        make_optimizer = function(side.module, "make_optimizer", ("params",))
        make_scheduler = (function(side.module, "make_scheduler", ("optimizer",))
                          if hasattr(side.module, "make_scheduler") else None)
        x, y = data.x_train.to(side.device), data.y_train.to(side.device)  # (N, F), (N,)
        x_val, y_val = data.x_val.to(side.device), data.y_val.to(side.device)
        model = nn.Linear(x.shape[1], 1).to(side.device)
        with torch.no_grad():
            model.weight.zero_()
            model.bias.zero_()
        # The watch sees the optimizer's steps, not the model: the model, its start at zero and its
        # raw inputs are dlpath's choices here, so advice about them would not be the learner's to act on.
        params = list(model.parameters())
        optimizer = make_optimizer(params)
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ContractError(f"make_optimizer(params) returned a {type(optimizer).__name__}; it must return a "
                                "torch.optim.Optimizer built over params (for example torch.optim.SGD(params, lr=...))")
        if isinstance(optimizer, torch.optim.LBFGS):
            raise ContractError(f"make_optimizer(params) returned LBFGS, which needs a closure and evaluates the loss "
                                f"many times per step; this project counts {STEPS} steps of one gradient each")
        held = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if held != {id(p) for p in params}:
            raise ContractError("make_optimizer(params) must build the optimizer over exactly the params it was "
                                "given (the model's weight and bias)")
        scheduler = make_scheduler(optimizer) if make_scheduler is not None else None
        if scheduler is not None and not callable(getattr(scheduler, "step", None)):
            raise ContractError(f"make_scheduler(optimizer) returned a {type(scheduler).__name__}; it must return a "
                                "learning-rate scheduler (with a step() method) or None")
        loss_fn = nn.MSELoss()
        with side.watch.training():
            for step in range(STEPS):
                loss = loss_fn(model(x).squeeze(1), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                if step % LOG_EVERY == 0 or step == STEPS - 1:
                    with torch.no_grad():
                        val_loss = loss_fn(model(x_val).squeeze(1), y_val).item() if len(x_val) else None
                    side.log(epoch=step, train_loss=loss.item(), **({"val_loss": val_loss} if val_loss is not None
                                                                    else {}))
        return model

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        if name != "weights":
            raise LearnerError(f"unknown request {name!r}")
        model = side.state
        return {}, {"w": model.weight.detach().float().cpu().reshape(-1),
                    "b": model.bias.detach().float().cpu().reshape(-1)}

    # -- the judge
    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts

        test, public = ctx.test, ctx.public
        features = int(test.info["input_shape"][0])
        variance = float(test.y.var(unbiased=False)) or 1.0
        metrics = {"test_mse": 1.0e12, "test_r2": -1.0e12}
        extra: dict[str, Any] = {"best_possible_mse": float(test.info.get("noise", 0.0)) ** 2}
        facts: dict[str, Any] = {"primary": self.primary, "expected_output": f"w ({features},) and b ()",
                                 "chance_score": variance, "extra": extra}
        try:
            _, weights = ctx.ask("weights")
            w, b = weights["w"].double(), weights["b"].double()
            if w.numel() != features or b.numel() != 1:
                raise ValueError(f"w has {w.numel()} values and b {b.numel()}")
        except (LearnerError, KeyError, ValueError, AttributeError) as exc:
            facts["output_problem"] = f"the final weights did not come back ({exc})"
            return Evaluation(metrics, Facts(**facts))
        facts["got_output"] = facts["expected_output"]

        def mse(x: torch.Tensor, y: torch.Tensor) -> float:
            value = float(((x.double() @ w + b - y.double()) ** 2).mean())
            return min(value, 1.0e12) if math.isfinite(value) else 1.0e12

        metrics["test_mse"] = mse(test.x, test.y)
        metrics["test_r2"] = max(1.0 - metrics["test_mse"] / variance, -1.0e12)
        facts["outputs_finite"] = metrics["test_mse"] < 1.0e12
        facts["train_score"] = mse(public.x_train, public.y_train)
        if len(public.x_val):
            facts["val_score"] = mse(public.x_val, public.y_val)
        extra.update(_progress(public.x_train, public.y_train, torch.cat([w, b])))
        return Evaluation(metrics, Facts(**facts))


def _progress(x: Any, y: Any, theta: Any) -> dict[str, float]:
    """Along the eigenvectors of the loss's Hessian (public data): the share of the excess loss left,
    over the steep half and the flat half of the directions (split at the geometric middle curvature),
    with the model started at zero; and the curvature figures."""
    import torch

    design = torch.cat([x.double(), torch.ones(len(x), 1, dtype=torch.float64)], dim=1)  # (N, F + 1)
    hessian = 2.0 * design.T @ design / max(len(x), 1)
    curvature, directions = torch.linalg.eigh(hessian)  # ascending
    best = torch.linalg.lstsq(design, y.double().unsqueeze(1)).solution.squeeze(1)
    start = directions.T @ (torch.zeros_like(best) - best)  # (F + 1,) where the loop started
    now = directions.T @ (theta - best)
    middle = math.sqrt(float(curvature[-1]) * max(float(curvature[0]), 1e-300))
    out = {"condition": float(curvature[-1] / curvature[0].clamp_min(1e-300)),
           "sgd_stable_lr": float(2.0 / curvature[-1])}
    for name, part in (("left_steep", curvature >= middle), ("left_flat", curvature < middle)):
        initial = float((curvature[part] * start[part] ** 2).sum())
        if initial > 0:
            left = float((curvature[part] * now[part] ** 2).sum()) / initial
            out[name] = left if math.isfinite(left) else 1.0e12
    return out
