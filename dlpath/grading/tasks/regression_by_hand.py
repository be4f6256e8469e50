"""``regression_by_hand``: linear regression with gradients derived by hand and a loop written without autograd.

The judge checks ``gradients(w, b, x, y)`` against autograd on small random draws (``gradient_error``), then times
it, from its own side of the channel, on two problems of the same size (rows x features), one with few features
and one with many (``gradient_scaling``): the derived gradient 2 x^T e / N costs about one pass over the data
whatever the number of features, while a gradient worked out weight by weight on the learner's own loss (a
central difference per weight, in float64: exact to 1e-7 for a quadratic loss, so the check alone passes it) costs
one pass per weight.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import math
import time
from pathlib import Path
from typing import Any, Iterator, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, SplitData, Task

_CHECKS = 5  # random draws for the gradient oracle check

# The cost of gradients() against the number of features (``gradient_scaling``). Two problems of SCALING_NUMBERS
# numbers each (rows x features), one with SCALING_FEATURES[0] features and one with SCALING_FEATURES[1]; fresh
# data at every round, every answer checked against the true gradient (float64). The narrow problem has enough
# features that an honest loop over its rows ends in seconds. Measured in grades on a 2-core machine under load 3
# to 5 (2026-12-07): the shipped solution 0.7 to 2.1, numpy 10.8, an honest loop over the features 6.5 to 11.5, an
# honest loop over the rows 12.5 to 16.7; a central difference per weight 360 to 620 (the same differences
# vectorized into one matrix product, x @ (w + h I): 30, under the bar: not what this is built for).
SCALING_NUMBERS = 2 ** 21
SCALING_FEATURES = (64, 2048)
SCALING_ROUNDS = 3  # the best of up to this many timings of each problem (load only ever adds time)
SCALING_STOP = 60.0  # rounds stop at a ratio of at most this (the project's bar, if it has one) or above 10 times it
# The narrow problem's time counts for at most this many times what the judge's own gradient takes on it (in the
# judge thread's CPU time), so that a gradients() slowed down on purpose on the narrow problem (a sleep, a busy
# loop) cannot hide a wide problem that takes hundreds of times longer (the honest loops above are capped too).
SCALING_CAP = 8.0
SCALING_UNMEASURED = 1.0e6  # gradient_scaling when gradients() could not answer the timed problems


def _gradient_mismatch(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, make

    error = run.metrics.get("gradient_error")
    if error is None or not run.failed("gradient_error"):
        return []
    problem = run.facts.extra.get("gradient_problem")
    if problem:
        detail = f"{str(problem).rstrip('.')}."
    elif abs(error - 1.0) < 1e-6:
        detail = ("Your gradient came out as zero (or unrelated to the true one); the starter returns zeros until "
                  "you replace them with the derivative.")
    elif abs(error - 0.5) < 0.02:
        detail = "It is off by exactly a factor of 2: the derivative of e squared is 2e."
    else:
        detail = (f"Your gradient differs from autograd's by {_fmt(100 * error)}% (relative). Check the factor 2 "
                  "from the square, the 1/N from the mean, the sign of the error (prediction minus target) and the "
                  "transposed x in grad_w = x^T e.")
    return [make("gradient-mismatch", f"""The grader compared your gradients(w, b, x, y) with autograd on random
        inputs. {detail} Derive it on paper for one weight first, then check your code on a tiny example by nudging
        a weight and watching the loss.""", evidence=[f"relative gradient error {_fmt(error)}"],
                 codes=RegressionByHandTask.codes)]


def _gradient_not_derived(run: Any) -> list[Any]:
    """gradients() whose cost grows with the number of weights: worked out weight by weight, not derived."""
    from dlpath.grading.diagnose import _fmt, make

    ratio = run.metrics.get("gradient_scaling")
    extra = run.facts.extra
    if ratio is None or not run.failed("gradient_scaling") or extra.get("gradient_problem"):
        return []
    sizes = (f"{SCALING_NUMBERS} numbers, one with {SCALING_FEATURES[0]} features and one with "
             f"{SCALING_FEATURES[1]}")
    if extra.get("scaling_problem"):
        return [make("gradient-not-derived", f"""The grader times your gradients(w, b, x, y) on two problems of
            {sizes} (float32 tensors), and it failed on them: {str(extra["scaling_problem"]).rstrip(".")}.""",
                     evidence=[str(extra["scaling_problem"])[:200]], codes=RegressionByHandTask.codes)]
    narrow, wide, reference = scaling_timings(extra)
    if extra.get("scaling_capped") is True:
        compared = (f"{_duration(wide)}, {_fmt(ratio)} times the {_duration(SCALING_CAP * (reference or 0.0))} that "
                    f"the problem with {SCALING_FEATURES[0]} features counts for (yours took {_duration(narrow)}; it "
                    f"counts for at most {SCALING_CAP:g} times what the grader's own gradient needs, so that a narrow "
                    "problem made slow cannot hide a wide one).")
    else:
        compared = (f"{_duration(wide)}, {_fmt(ratio)} times as long as on the same number of numbers with "
                    f"{SCALING_FEATURES[0]} features ({_duration(narrow)}).")
    return [make("gradient-not-derived", f"""Your gradients(w, b, x, y) on {SCALING_NUMBERS // SCALING_FEATURES[1]}
        rows of {SCALING_FEATURES[1]} features took {compared} The derived gradient, grad_w = 2 x^T e / N with
        e = x @ w + b - y, costs about one pass over the data whatever the number of features. A cost that grows
        with the features means your gradient is worked out one weight at a time, most likely by nudging each weight
        and re-computing the loss (a finite difference). That can be accurate, but it is measuring, not deriving:
        on a model with a million weights it would take a million passes. Derive dL/dw_j on paper, then write it
        for every j at once with one matrix product.""",
                 evidence=[f"{SCALING_FEATURES[1]} features: {_duration(wide)}; {SCALING_FEATURES[0]} features: "
                           f"{_duration(narrow)} (the grader's own gradient: {_duration(reference)}, CPU time)"],
                 codes=RegressionByHandTask.codes)]


def _duration(ms: float | None) -> str:
    """A time in milliseconds, as a person reads it (shared with autograd_by_hand's timing)."""
    from dlpath.grading.diagnose import _fmt

    return "?" if ms is None else f"{_fmt(ms / 1000)} s" if ms >= 1000 else f"{_fmt(ms)} ms"


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """No cyclic garbage collection inside: a full collection in a process that imported torch scans hundreds of
    thousands of objects (about 80 ms measured in the learner's process after training), more than a whole timed
    call; where it falls would decide the ratio. Reference counting still frees what it can."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def timed_ratio(time_one: Any, reference: float, bar: float, rounds: int, cap: float,
                extra: dict[str, Any]) -> tuple[float, float]:
    """The cost ratio of a timing check, shared by regression_by_hand and autograd_by_hand: ``time_one(k)`` asks
    the narrow (k 0) or the wide (k 1) problem once, fresh, and returns (seconds, error) or the text of what went
    wrong. Each size keeps its best time; the ratio is the wide time over the narrow one, the narrow one counted at
    most ``cap`` times the judge's own ``reference`` (CPU seconds). Rounds stop once the ratio is at most ``bar``,
    or from round 2 on above ten times it (once can be load: a second process took the machine for a second).
    Returns (ratio, worst error), with the timings in ``extra`` (``scaling_problem`` where one went wrong)."""
    best, worst, ratio, done = [math.inf, math.inf], 0.0, SCALING_UNMEASURED, 0
    for done in range(1, rounds + 1):
        for k in (0, 1):
            measured = time_one(k)
            if isinstance(measured, str):
                extra["scaling_problem"] = measured
                return SCALING_UNMEASURED, worst
            best[k], worst = min(best[k], measured[0]), max(worst, measured[1])
        ratio = best[1] / max(min(best[0], cap * reference), 1e-9)
        if ratio <= bar or (done >= 2 and ratio > 10 * bar):
            break
    extra.update(scaling_ms=[round(t * 1e3, 3) for t in best], scaling_reference_ms=round(reference * 1e3, 3),
                 scaling_capped=best[0] > cap * reference, scaling_rounds=done)
    return ratio, worst


def scaling_timings(extra: Mapping[str, Any]) -> tuple[float | None, float | None, float | None]:
    """(narrow, wide, the judge's own reference) in milliseconds, from a timing check's facts (``scaling_ms``,
    ``scaling_reference_ms``); None where one is missing. Shared with autograd_by_hand."""
    timed = [float(t) if isinstance(t, (int, float)) else None for t in extra.get("scaling_ms") or ()]
    narrow, wide = (timed + [None, None])[:2]
    reference = extra.get("scaling_reference_ms")
    return narrow, wide, float(reference) if isinstance(reference, (int, float)) else None


def _autograd_used(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import make

    uses = run.metrics.get("autograd_uses")
    if not uses:
        return []
    in_source = run.facts.extra.get("autograd_in_source")
    evidence = [f"{int(uses)} use(s) of autograd or torch.optim"] + (
        [f"{int(in_source)} written in your files"] if in_source else [])
    return [make("autograd-used", f"""Your code used autograd or torch.optim {int(uses)} time(s) (.backward(),
        torch.autograd.grad or an optimizer). This project is about doing that work yourself: compute the gradients
        with your own formula and update w and b with plain arithmetic.{unchecked_sentence(run)}""",
                 evidence=evidence + unchecked_evidence(run), codes=RegressionByHandTask.codes)]


def unchecked_evidence(run: Any) -> list[str]:
    files = run.facts.extra.get("sources_unchecked") or []
    return [f"not checked, so counted: {', '.join(str(f) for f in files[:5])}"] if files else []


def unchecked_sentence(run: Any) -> str:
    """Says which Python files the grader could not read or parse (each counts as one use)."""
    files = run.facts.extra.get("sources_unchecked") or []
    if not files:
        return ""
    return (f" The grader could not check {len(files)} of your Python files (a link, a file too large, or one that "
            "does not parse), so each counts as one use: keep your code in plain Python files in the project folder.")


def _loop(run: Any) -> list[Any]:
    """The by-hand loop: flat (the update is never applied) or stopped short of the valley."""
    from dlpath.grading.diagnose import _fmt, make, unmoved

    points = run.loss()
    if unmoved(run, points):
        return [make("no-learning", f"""Your loss did not move at all during training ({_fmt(points[0][1])} from
            start to end). Either your gradients are zero (the starter returns zeros until you write them) or the
            loop never applies them: each step must set w = w - LEARNING_RATE * grad_w, and the same for b, and keep
            the new values.""", evidence=[f"training loss {_fmt(points[0][1])} from start to end"],
                     lesson="gradient-descent", severity="error" if run.failed() else "warning")]
    train = run.facts.train_score
    bad = run.failed("test_mse")
    if bad and train is not None and bad[0].max is not None and train > bad[0].max:
        return [make("underfitting", f"""Even on its own training data the model's error is {_fmt(train)}, above
            the {_fmt(bad[0].max)} the grade asks of fresh data: it stopped far from the bottom of the valley. Take
            more steps, or a larger learning rate if the loss falls steadily but slowly.""",
                     evidence=[f"training MSE {_fmt(train)}", f"target {bad[0].target}"], lesson="gradient-descent")]
    return []


class RegressionByHandTask(Task):
    kind = "regression_by_hand"
    summary = "Linear regression by hand: gradients(w, b, x, y) and train(data, log), no autograd, no torch.optim."
    contract = f"""\
gradients(w, b, x, y) -> (grad_w, grad_b)
    The gradient of the loss L = mean((x @ w + b - y) ** 2) with respect to w (shape (F,))
    and b (a 0-d tensor), for x of shape (N, F) and y of shape (N,).
    The grader compares it with autograd's answer on random inputs, and times it on
    {SCALING_NUMBERS} numbers with {SCALING_FEATURES[0]} features against as many with {SCALING_FEATURES[1]}:
    the derived gradient costs about the same on both.
train(data, log) -> (w, b)
    data.x_train (N, F) float32, data.y_train (N,), and data.x_val, data.y_val.
    Walk downhill with your gradients and return the final w and b.
    log(epoch=..., train_loss=..., val_loss=...) records your learning curves.
No autograd (.backward(), torch.autograd) and no torch.optim anywhere: the grader counts them."""
    contract_lines = ("gradients(w, b, x, y) -> (grad_w, grad_b)", "train(data, log) -> (w, b)")
    dataset_kinds = ("regression",)
    metrics = (
        Metric("test_mse", "min", "mean squared error",
               "mean squared error of x @ w + b on fresh test points (1e12 when it is not finite)"),
        Metric("gradient_error", "min", "relative error",
               "largest relative difference between gradients(w, b, x, y) and autograd's, over 5 random draws"),
        Metric("autograd_uses", "min", "count",
               "uses of autograd or torch.optim: found in the source of train.py, or counted while it ran"),
        Metric("gradient_scaling", "min", "ratio",
               f"time the grader waited for gradients(w, b, x, y) on {SCALING_NUMBERS} numbers with "
               f"{SCALING_FEATURES[1]} features, over the same with {SCALING_FEATURES[0]} features (best of up to 3 "
               "timings each): about 1 for the derived gradient, hundreds for one worked out weight by weight"),
    )
    primary = "test_mse"
    reads_sources = True  # "no autograd" is read in the sources as they were before the code ran
    hand_written_updates = True  # no optimizer: the diagnoses judge the loop, not optimizer calls
    codes = {"gradient-mismatch": CodeInfo("gradient-descent"), "autograd-used": CodeInfo("gradient-descent"),
             "gradient-not-derived": CodeInfo("gradient-descent")}
    rules = (_gradient_mismatch, _gradient_not_derived, _autograd_used, _loop)
    exclusive = {"gradient-mismatch": {"underfitting", "plateau", "non-finite-loss", "divergence",
                                        "learning-rate-too-high", "learning-rate-extreme", "gradient-not-derived"},
                 "gradient-not-derived": {"plateau", "below-threshold"}}  # the loop may be fine; the cost is not

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        from dlpath.grading.tasks._model import function

        function(side.module, "gradients", ("w", "b", "x", "y"))
        train = function(side.module, "train", ("data", "log"))
        with side.watch.training(), side.watch.counting_autograd():
            return train(data, side.log)

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        import torch

        from dlpath.grading.tasks._model import short

        state = side.state
        if name == "weights":
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                raise LearnerError(f"train(data, log) returned {type(state).__name__}; it must return a pair (w, b)")
            try:
                w = torch.as_tensor(state[0]).detach().float().cpu().reshape(-1)
                b = torch.as_tensor(state[1]).detach().float().cpu().reshape(-1)
            except (TypeError, ValueError, RuntimeError) as exc:
                raise LearnerError(f"train(data, log) returned a pair that is not numbers: {short(exc)}") from None
            return {}, {"w": w, "b": b}
        if name == "scaling problem":  # x and y of a timed problem, kept for the "timed gradients" that follows
            side.scaling_problem = (tensors.get("x"), tensors.get("y"))  # (sent apart: sending them is not timed)
            return {}, {}
        if name in ("gradients", "timed gradients"):
            gradients = side.module.gradients
            if name == "timed gradients":
                x, y = getattr(side, "scaling_problem", (None, None))
                side.scaling_problem = (None, None)
            else:
                x, y = tensors["x"], tensors["y"]
            # the timed problems are not counted: counting runs every torch operation through Python, a cost that
            # is the grader's, not the learner's (the checks' draws are counted); nor collected (a full collection
            # in a process that imported torch would be timed too)
            counting = side.watch.counting_autograd() if name == "gradients" else no_collection()
            try:
                with counting:
                    got = gradients(tensors["w"], tensors["b"], x, y)
                grad_w = torch.as_tensor(got[0]).detach().float().cpu().reshape(-1)
                grad_b = torch.as_tensor(got[1]).detach().float().cpu().reshape(-1)
            except Exception as exc:  # noqa: BLE001 - the learner's function
                raise LearnerError(f"gradients(w, b, x, y) failed: {short(exc)}") from None
            return {}, {"grad_w": grad_w, "grad_b": grad_b}
        if name == "usage":
            return {"autograd_calls": int(side.watch.autograd_calls)}, {}
        raise LearnerError(f"unknown request {name!r}")

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts

        test, public = ctx.test, ctx.public
        features = int(test.info["input_shape"][0])
        extra: dict[str, Any] = {}
        facts: dict[str, Any] = {"primary": self.primary, "expected_output": f"w ({features},) and b ()",
                                 "chance_score": float(((test.y - public.y_train.mean()) ** 2).mean())}
        gradient_error, problem = self._gradient_check(ctx, features)
        scaling = SCALING_UNMEASURED
        if problem:
            extra["gradient_problem"] = problem
        else:  # a gradients() that cannot answer the checks' draws is not timed
            scaling, error = self._scaling_check(ctx, extra)
            gradient_error = max(gradient_error, error)
        trees, unchecked = learner_trees(ctx)
        static = count_autograd_in_source(trees) + len(unchecked)
        if unchecked:
            extra["sources_unchecked"] = unchecked[:20]
        try:
            values, _ = ctx.ask("usage")
            reported = values.get("autograd_calls")
            runtime = int(reported) if isinstance(reported, int) and reported >= 0 else 0
        except LearnerError:
            runtime = 0
        extra["autograd_in_source"] = static
        extra["best_possible_mse"] = float(test.info.get("noise", 0.0)) ** 2
        metrics = {"test_mse": 1.0e12, "gradient_error": gradient_error, "autograd_uses": float(max(static, runtime)),
                   "gradient_scaling": scaling}
        try:
            _, weights = ctx.ask("weights")
        except LearnerError as exc:
            facts["output_problem"] = f"{exc}. The contract asks train(data, log) to return the pair (w, b)"
            metrics["test_mse"] = float((test.y ** 2).mean())  # as good as predicting 0 everywhere
            facts["extra"] = extra
            return Evaluation(metrics, Facts(**facts))
        w, b = weights.get("w"), weights.get("b")
        if not isinstance(w, torch.Tensor) or not isinstance(b, torch.Tensor) or w.numel() != features or b.numel() != 1:
            n_w = w.numel() if isinstance(w, torch.Tensor) else 0
            n_b = b.numel() if isinstance(b, torch.Tensor) else 0
            facts["output_problem"] = (f"w must have {features} values and b one value; got {n_w} and {n_b}. "
                                       "The contract asks train(data, log) to return the pair (w, b)")
            facts["got_output"] = f"w ({n_w},) and b ({n_b},)"
            metrics["test_mse"] = float((test.y ** 2).mean())
            facts["extra"] = extra
            return Evaluation(metrics, Facts(**facts))
        facts["got_output"] = f"w ({features},) and b ()"
        w, b = w.float(), b.float()[0]
        test_mse = float(((test.x @ w + b - test.y) ** 2).mean())
        finite = math.isfinite(test_mse)
        facts["outputs_finite"] = finite
        metrics["test_mse"] = min(test_mse, 1.0e12) if finite else 1.0e12
        facts["train_score"] = float(((public.x_train @ w + b - public.y_train) ** 2).mean())
        if len(public.x_val):
            facts["val_score"] = float(((public.x_val @ w + b - public.y_val) ** 2).mean())
        facts["extra"] = extra
        return Evaluation(metrics, Facts(**facts))

    @staticmethod
    def _gradient_check(ctx: JudgeContext, features: int) -> tuple[float, str | None]:
        import torch

        g = torch.Generator().manual_seed(int(ctx.test_seed) % (2**62) + 17)
        worst = 0.0
        for _ in range(_CHECKS):
            x = torch.randn(32, features, generator=g)
            y = torch.randn(32, generator=g) * 2
            w = torch.randn(features, generator=g)
            b = torch.randn((), generator=g)
            wt, bt = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
            loss = ((x @ wt + bt - y) ** 2).mean()
            true_w, true_b = torch.autograd.grad(loss, (wt, bt))
            try:
                _, got = ctx.ask("gradients", tensors={"w": w, "b": b, "x": x, "y": y})
            except LearnerError as exc:
                return 1.0, str(exc)
            error, problem = _compare(got, torch.cat([true_w.reshape(-1), true_b.reshape(-1)]), features)
            if problem:
                return 1.0, problem
            worst = max(worst, error)
        return min(worst, 1.0e6), None


    @staticmethod
    def _scaling_check(ctx: JudgeContext, extra: dict[str, Any]) -> tuple[float, float]:
        """``gradient_scaling`` and the worst gradient error on the timed problems (their answers are checked
        too: a fast wrong answer proves nothing).

        Each round asks for the narrow problem, then the wide one (fresh data each round), and times each request
        from the judge's side of the channel (the learner's process cannot make a round trip shorter than it is):
        x and y travel first, untimed (sending a million numbers takes longer than the gradient), then the timed
        request carries w and b, which the learner's process has not seen before (no answer can be worked out
        ahead). Each size keeps its best time. The ratio is the wide problem's time over the narrow one's, the
        narrow one counted at most SCALING_CAP times the judge's own gradient on it (CPU time), by ``timed_ratio``.
        """
        import torch

        bar = next((float(t.max) for t in getattr(ctx.project, "thresholds", None) or ()
                    if t.metric == "gradient_scaling" and t.max is not None), SCALING_STOP)
        g = torch.Generator().manual_seed(int(ctx.test_seed) % (2**62) + 29)
        reference = reference_seconds(*scaling_problem(g, SCALING_FEATURES[0]))

        def time_one(k: int) -> tuple[float, float] | str:
            w, b, x, y = scaling_problem(g, SCALING_FEATURES[k])
            try:
                ctx.ask("scaling problem", tensors={"x": x, "y": y})
                start = time.perf_counter()
                _, got = ctx.ask("timed gradients", tensors={"w": w, "b": b})
            except LearnerError as exc:
                return str(exc)
            seconds = time.perf_counter() - start
            error, problem = _compare(got, true_gradient(w, b, x, y), SCALING_FEATURES[k])
            return problem or (seconds, error)

        ratio, worst = timed_ratio(time_one, reference, bar, SCALING_ROUNDS, SCALING_CAP, extra)
        return ratio, worst


def scaling_problem(g: Any, features: int) -> tuple[Any, Any, Any, Any]:
    """(w, b, x, y) with SCALING_NUMBERS numbers in x, float32, drawn from ``g``."""
    import torch

    rows = SCALING_NUMBERS // features
    x = torch.randn(rows, features, generator=g)
    w = torch.randn(features, generator=g) / math.sqrt(features)
    return w, torch.randn((), generator=g), x, torch.randn(rows, generator=g) * 2


def true_gradient(w: Any, b: Any, x: Any, y: Any) -> Any:
    """The gradient of mean((x @ w + b - y) ** 2) with respect to (w, b), one vector, in float64."""
    import torch

    x64 = x.double()
    error = x64 @ w.double() + float(b) - y.double()
    return torch.cat([2 * (error @ x64) / len(y), (2 * error.mean()).reshape(1)])


def reference_seconds(w: Any, b: Any, x: Any, y: Any, repeats: int = 3) -> float:
    """The judge's own gradient (the shipped solution's, float32) on one problem: the best of ``repeats`` timings,
    in this thread's CPU time (what other processes do to the machine, the learner's included, does not count)."""
    best = math.inf
    for _ in range(repeats):
        start = time.thread_time()
        error = x @ w + b - y
        _ = (2 * (x.T @ error) / len(y), 2 * error.mean())
        best = min(best, time.thread_time() - start)
    return best


def _compare(got: Mapping[str, Any], truth: Any, features: int) -> tuple[float, str | None]:
    """An answer against the true gradient (w's then b's): the relative error (at most 1e6), and what is wrong with
    its form (None if nothing)."""
    import torch

    got_w, got_b = got.get("grad_w"), got.get("grad_b")
    if not isinstance(got_w, torch.Tensor) or not isinstance(got_b, torch.Tensor) or (
            got_w.numel() != features or got_b.numel() != 1):
        n_w = got_w.numel() if isinstance(got_w, torch.Tensor) else 0
        n_b = got_b.numel() if isinstance(got_b, torch.Tensor) else 0
        return 1.0, (f"gradients(w, b, x, y) must return (grad_w with {features} values, grad_b with one); "
                     f"got {n_w} and {n_b} values")
    truth = truth.double()
    mine = torch.cat([got_w.double().reshape(-1), got_b.double().reshape(-1)])
    error = float((mine - truth).norm() / truth.norm().clamp_min(1e-12))
    return (min(error, 1.0e6) if math.isfinite(error) else 1.0), None


_FORBIDDEN_MODULES = ("torch.autograd", "torch.optim", "torch.func", "functorch", "torch._functorch")


def dotted_name(node: ast.AST) -> str:
    """``torch.autograd.grad`` for the expression ``torch.autograd.grad`` ("()" for a call in the chain)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append("()")
    return ".".join(reversed(parts))


def learner_trees(ctx: JudgeContext) -> tuple[list[ast.AST], list[str]]:
    """The learner's Python files parsed (as bytes, so that an encoding declaration is honoured as Python honours
    it), read by the parent before the learner's code ran (``ctx.sources``; read now when it carried none);
    and the files the judge cannot vouch for: not read (a link, too large) or not parsed."""
    from dlpath.grading.sources import read_sources

    sources = ctx.sources if ctx.sources is not None else read_sources(Path(ctx.folder))
    trees, unchecked = [], [f"{name} ({why})" for name, why in sorted(sources.unread.items())]
    for name, data in sorted(sources.files.items()):
        try:
            trees.append(ast.parse(data, filename=name))
        except (SyntaxError, ValueError, LookupError, UnicodeError, RecursionError, MemoryError) as exc:
            unchecked.append(f"{name} (it does not parse: {type(exc).__name__})")
    return trees, unchecked


def count_autograd_in_source(trees: list[ast.AST]) -> int:
    """Uses of autograd and optimizers written in the learner's Python files (read, never run).

    Counts calls such as ``loss.backward()``, ``torch.autograd.grad(...)``,
    ``torch.optim.SGD(...)``, ``torch.func.grad(...)``, the same names only read (``slope =
    torch.autograd.grad``, to be called under another name), imports of those modules, and any use of
    torch's dispatch-mode stack (``torch.utils._python_dispatch``: it can take the learner process's own
    count off the stack). Obfuscated uses escape this count; the learner process's own count covers what ran.
    """
    total = 0
    for tree in trees:
        total += sum(_forbidden(name) for name in used_names(tree))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                total += sum(1 for name in imported_modules(node)
                             if name.startswith(_FORBIDDEN_MODULES) or _DISPATCH in name)
    return total


_DISPATCH = "_python_dispatch"  # torch.utils._python_dispatch: the mode stack that the process's own count is on


def used_names(tree: ast.AST) -> list[str]:
    """The dotted name of every function called, and of every attribute chain read but not called
    (``slope = torch.autograd.grad``), each once: ``torch.autograd.grad(...)`` gives only ``torch.autograd.grad``."""
    inside: set[int] = set()  # attributes that are part of a longer one, or the function of a call
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            inside.add(id(node.value))
        elif isinstance(node, ast.Call):
            inside.add(id(node.func))
    return [dotted_name(node.func if isinstance(node, ast.Call) else node) for node in ast.walk(tree)
            if isinstance(node, ast.Call) or (isinstance(node, ast.Attribute) and id(node) not in inside)]


def uses_dispatch_modes(name: str) -> bool:
    """Whether a dotted name reaches torch's dispatch-mode stack, where the learner process's own counts sit."""
    return _DISPATCH in name or name.endswith("_disable_current_modes")


def _forbidden(name: str) -> bool:
    return (name.endswith(".backward") or name.startswith(_FORBIDDEN_MODULES)
            or name.startswith(("autograd.", "optim.", "functorch.")) or uses_dispatch_modes(name))


def imported_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import brings in (``from torch import optim`` brings ``torch.optim``)."""
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        return [f"{module}.{a.name}" for a in node.names] if module == "torch" else [module]
    return [a.name for a in node.names]
