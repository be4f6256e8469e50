"""``shortcut``: a classifier trained on data with a spurious tag, and a saliency method that shows where it looks.

The training and validation images carry a tag that predicts the label (as a
hospital's tag on X-rays does); the hidden test images carry none. The judge
measures:

- the accuracy on tag-free test images (a model that learned the tag falls to
  chance there), and how many of its answers change when the judge itself
  pastes the tag onto those images (``tag_reliance``, graded where a project
  names it: a model that answers from the tag whenever there is one and from
  the shape otherwise keeps its tag-free accuracy, and fails here);
- the learner's ``saliency(model, x)``: the judge sends fresh probe images
  drawn like the training ones (tags included), inputs only, and measures on
  the maps that come back the share of their mass on the object (its mask,
  grown by one pixel) and on the tag's corner. The maps are computed in the
  learner process by the learner's code, as the outputs are: the judge only
  measures them against masks that never leave it. So a map can be drawn
  without the model (the image's bright pixels): what the model really does
  with the tag is the judge's own ``tag_reliance``, and maps that put no mass
  on a tag the model follows are told they are unfaithful.
"""

from __future__ import annotations

from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, SplitData
from dlpath.grading.tasks.classification import LEARNED, ClassificationTask

_PROBES = 64  # probe images the saliency maps are measured on
_RELIANCE = 0.2  # a share of answers that the tag flips above this reads as "it learned the tag"
_FLAT = 0.05  # maps whose mean relative spread (std / mean) is below this are flat


def _saliency_broken(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import make

    problem = run.facts.extra.get("saliency_problem")
    if not problem:
        return []
    return [make("saliency-broken", f"""The grader could not use your saliency maps: {str(problem).rstrip('.')}.
        saliency(model, x) gets images x of shape (N, 1, H, W) and must return one map per image, a tensor of shape
        (N, H, W) (or (N, 1, H, W)) with a large value where a pixel matters to the model's answer.""",
                 evidence=[str(problem)[:200]], codes=ShortcutTask.codes)]


def _shortcut(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    flips, val = run.facts.extra.get("tag_reliance"), run.facts.val_score
    test = run.metrics.get("test_accuracy")
    if not run.failed("test_accuracy"):
        if not run.failed("tag_reliance") or flips is None or test is None:
            return []
        return [make("shortcut-learned", f"""Your model recognises the shapes on fresh images without the tag
            ({_pct(test)}), but when the grader pasted the tag onto those images, {_pct(flips)} of its answers
            changed: it still answers from the tag whenever there is one, as it would on the next ward's scans.
            Take the tag away from the model itself: blank its corner inside forward (multiply the input by a fixed
            mask), or paste the tag at random onto images of both classes while training.""",
                     evidence=[f"answers changed by the tag {_pct(flips)}", f"accuracy without the tag {_pct(test)}"],
                     causes=("a spurious feature that predicts the training labels",), codes=ShortcutTask.codes)]
    if flips is None or test is None or (flips < _RELIANCE and (val is None or val - test < 0.15)):
        return []
    seen = f"{_pct(val)} on the validation images but only " if val is not None else ""
    changed = (f", and when the grader pasted the tag onto those fresh images, {_pct(flips)} of its answers changed"
               if flips >= _RELIANCE else "")  # few change where the tagged copies, asked first, set the answers
    return [make("shortcut-learned", f"""Your model scores {seen}{_pct(test)} on fresh images without the
        tag{changed}: it learned the tag, not the shape. In your data the tag predicts the label almost perfectly
        and is far easier to see than a noisy shape, so that is what training found. Your saliency maps on
        training images show it: look at where their mass sits. Then take the tag away from the model, for
        training and grading alike: blank its corner inside forward (multiply the input by a fixed mask), or paste
        the tag at random onto images of both classes while training so that it no longer tells anything.""",
                 evidence=[f"answers changed by the tag {_pct(flips)}", f"accuracy without the tag {_pct(test)}"]
                 + ([f"validation accuracy (tagged) {_pct(val)}"] if val is not None else []),
                 causes=("a spurious feature that predicts the training labels",), codes=ShortcutTask.codes)]


def _saliency(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, _pct, make

    extra, codes = run.facts.extra, ShortcutTask.codes
    if extra.get("saliency_problem") or extra.get("saliency_spread") is None:
        return []
    on_object, on_tag = run.metrics.get("saliency_on_object"), run.metrics.get("saliency_on_tag")
    evidence = [f"mass on the object {_pct(on_object or 0)}", f"mass on the tag's corner {_pct(on_tag or 0)}"]
    if run.failed("saliency_on_object") and extra["saliency_spread"] < _FLAT:
        return [make("saliency-flat", f"""Your saliency maps are flat: every pixel gets about the same value (mean
            relative spread {_fmt(extra['saliency_spread'])}), so they point nowhere. A gradient saliency map asks
            "if this pixel changed a little, how much would the score of the predicted class change?": make x
            require gradients (x = x.clone().requires_grad_(True)), take the score of the predicted class, call
            torch.autograd.grad(score.sum(), x), and return the gradient's absolute value, one (H, W) map per
            image.""", evidence=evidence, codes=codes)]
    out = []
    if run.failed("saliency_on_tag"):
        out.append(make("saliency-on-tag", f"""Your saliency maps put {_pct(on_tag or 0)} of their mass on the tag in
            the top-left corner: your model looks there to decide. That is the map doing its job, and the model's
            problem: a model that does not use the tag has no reason to look at that corner. Stop the model from
            seeing the tag (see the shortcut advice) and the maps move onto the shapes.""",
                        evidence=evidence, codes=codes))
    flips = extra.get("tag_reliance")
    if run.failed("tag_reliance") and not run.failed("saliency_on_tag") and flips is not None:
        out.append(make("saliency-unfaithful", f"""Your saliency maps put only {_pct(on_tag or 0)} of their mass on
            the tag's corner, yet the tag changes {_pct(flips)} of your model's answers when the grader pastes it: the
            maps do not show what your model uses. A map drawn from the image alone (its bright pixels, the shape's
            outline) describes the image, not the model. Compute it from the model: the gradient of the predicted
            class's score with respect to the input, in absolute value.""",
                        evidence=evidence + [f"answers changed by the tag {_pct(flips)}"], codes=codes))
    if run.failed("saliency_on_object") and not out:
        out.append(make("saliency-off-object", f"""Only {_pct(on_object or 0)} of your saliency maps' mass falls on
            the shapes; the rest is spread over the background noise. Use the gradient of the predicted class's
            score with respect to the input, in absolute value; if it stays noisy, average it over a few noisy
            copies of the image (SmoothGrad) or multiply it by the input (gradient times input), and check a few
            maps by printing them next to their images.""", evidence=evidence, codes=codes))
    return out


class ShortcutTask(ClassificationTask):
    kind = "shortcut"
    summary = ("Classify images whose training set holds a spurious tag; graded on tag-free accuracy and on the "
               "learner's saliency maps.")
    contract = """\
build_model(info) -> torch.nn.Module
    info["input_shape"] is one image's shape [1, H, W] and info["num_classes"] the number of
    classes. The model maps images (N, 1, H, W) to raw scores (logits) of shape (N, num_classes).
train(model, data, device, log) -> None (or the trained model)
    data.x_train, data.y_train (int64 labels), data.x_val, data.y_val, data.info.
    device is "cpu" or "cuda". log(epoch=..., train_loss=..., val_loss=..., val_accuracy=...)
    records your learning curves. Leave the model in eval mode.
saliency(model, x) -> maps
    x (N, 1, H, W) float32 images; return a tensor (N, H, W) (or (N, 1, H, W)): how much each
    pixel matters to the model's answer (the grader uses the absolute values).
The grader measures the accuracy on fresh images, then sends other fresh images to saliency
and measures how much of each map's mass falls on the object and how much on the tag's corner."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, device, log)",
                      "saliency(model, x) -> maps")
    dataset_kinds = ("tagged-classification",)
    metrics = (
        Metric("test_accuracy", "max", "fraction",
               "share of fresh test images, none of them tagged, whose highest score is the right class"),
        Metric("saliency_on_object", "max", "fraction",
               "share of each saliency map's mass (absolute values) inside the object's mask grown by one pixel, "
               "averaged over fresh probe images drawn like the training ones"),
        Metric("tag_reliance", "min", "fraction",
               "share of the fresh tag-free test images whose answer changes when the judge pastes the tag onto "
               "them (measured by the judge on the model's outputs, whatever the saliency maps say)"),
        Metric("saliency_on_tag", "min", "fraction",
               "share of each saliency map's mass on the tag's corner (the tag grown by one pixel), averaged over "
               "the same probe images"),
        Metric("parameters", "min", "numbers",
               "numbers in every tensor the model computes with, counted by the judge on a trace of the model"),
        LEARNED,
    )
    primary = "test_accuracy"
    codes = {"shortcut-learned": CodeInfo("interpretability"), "saliency-flat": CodeInfo("interpretability"),
             "saliency-on-tag": CodeInfo("interpretability"), "saliency-off-object": CodeInfo("interpretability"),
             "saliency-broken": CodeInfo("interpretability"), "saliency-unfaithful": CodeInfo("interpretability"),
             **ClassificationTask.codes}
    rules = (_saliency_broken, _shortcut, _saliency, *ClassificationTask.rules)
    exclusive = {"shortcut-learned": {"suspicious-validation", "overfitting", "underfitting", "plateau",
                                      "below-threshold"}}

    def test_data(self, project: Any, seed: int, world: int | None = None) -> Any:
        """The hidden test images: drawn from the same world, without any tag."""
        from dlpath.datasets import draw

        spec = _spec(project, tags=False)
        return draw(spec, seed, ("test",), world=world)["test"]

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        from dlpath.grading.tasks._model import function

        function(side.module, "saliency", ("model", "x"))
        return super().train(side, data)

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        import torch

        from dlpath.grading.tasks._model import short

        if name != "saliency":
            return super().answer(name, values, tensors, side)
        x = tensors.get("x")
        if not isinstance(x, torch.Tensor):
            raise LearnerError("the request carries no images")
        try:
            where = next(side.state.parameters()).device
        except (StopIteration, AttributeError):
            where = torch.device(side.device)
        try:
            with torch.enable_grad():
                maps = side.module.saliency(side.state, x.to(where))
            maps = torch.as_tensor(maps).detach().float().cpu()
        except Exception as exc:  # noqa: BLE001 - the learner's function
            raise LearnerError(f"saliency(model, x) failed: {short(exc)}") from None
        return {}, {"maps": maps}

    def judge(self, ctx: JudgeContext) -> Evaluation:
        """The tagged copies of the test images first, then the classification's judgement on the tag-free test
        images (the tag test compares its answers with theirs), then the saliency maps."""
        import dataclasses

        tag_size = _tag_size(ctx.project)
        self._clean = None
        tagged = _tagged_answers(ctx, tag_size)
        evaluation = super().judge(ctx)
        metrics, extra = dict(evaluation.metrics), dict(evaluation.facts.extra)
        if evaluation.facts.outputs_finite and tagged is not None and self._clean is not None:
            extra.update(_tag_test(ctx.test, tagged, *self._clean))
        metrics["tag_reliance"] = float(extra.get("tag_reliance", 1.0))  # not measured: not shown to be free of it
        metrics.update(self._saliency(ctx, tag_size, extra))
        return Evaluation(metrics, dataclasses.replace(evaluation.facts, extra=extra))

    _clean: Any = None  # (rows, outputs) of the classification's request, for the tag test

    def outputs(self, ctx: JudgeContext, x: Any) -> Any:
        """The classification's request (the tag-free test images shuffled among public rows), kept for the tag
        test: the clean answers it compares are the very answers graded for accuracy."""
        got = super().outputs(ctx, x)
        self._clean = (x, got.outputs)
        return got

    @staticmethod
    def _saliency(ctx: JudgeContext, tag_size: int, extra: dict[str, Any]) -> dict[str, float]:
        """Ask for maps of fresh probe images (tagged like the training data) and measure where their mass falls."""
        import torch

        from dlpath.datasets import draw, split_seed
        from dlpath.datasets.tagged import tag_box

        probe_spec = dict(_spec(ctx.project), test=_PROBES)
        probes = draw(probe_spec, split_seed(ctx.test_seed, "val") + 1, ("test",), world=ctx.world_seed)["test"]
        failed = {"saliency_on_object": 0.0, "saliency_on_tag": 1.0}
        try:
            _, got = ctx.ask("saliency", tensors={"x": probes.x})
        except LearnerError as exc:
            extra["saliency_problem"] = str(exc)
            return failed
        maps = got.get("maps")
        size = tuple(probes.x.shape[2:])
        if isinstance(maps, torch.Tensor) and maps.dim() == 4 and maps.shape[1] == 1:
            maps = maps[:, 0]
        if not isinstance(maps, torch.Tensor) or tuple(maps.shape) != (_PROBES, *size):
            shape = tuple(maps.shape) if isinstance(maps, torch.Tensor) else type(maps).__name__
            extra["saliency_problem"] = f"it returned {shape} for {_PROBES} images of {size[0]}x{size[1]} pixels"
            return failed
        maps = maps.float().abs()
        if not bool(torch.isfinite(maps).all()):
            extra["saliency_problem"] = "its maps hold NaN or infinite values"
            return failed
        total = maps.flatten(1).sum(1).view(-1, 1, 1)
        maps = torch.where(total > 0, maps / total.clamp_min(1e-30), torch.full_like(maps, 1.0 / maps[0].numel()))
        grown = torch.nn.functional.max_pool2d(probes.extra["object_mask"].float().unsqueeze(1), 3, 1, 1)[:, 0]
        start, stop = tag_box(tag_size)
        corner = torch.zeros(size)
        corner[max(start - 1, 0):stop + 1, max(start - 1, 0):stop + 1] = 1.0
        flat = maps.flatten(1)
        extra["saliency_spread"] = float((flat.std(dim=1) / flat.mean(dim=1).clamp_min(1e-30)).mean())
        extra["object_area"] = float(grown.mean())
        return {"saliency_on_object": float((maps * grown).flatten(1).sum(1).mean()),
                "saliency_on_tag": float((maps * corner).flatten(1).sum(1).mean())}


def _tagged_answers(ctx: JudgeContext, tag_size: int) -> Any:
    """The model's outputs on the test images with the tag pasted (in test order), asked before it ever saw them.

    A model may keep state between the judge's questions: asked after the clean images, a memory of its answers
    keyed on the image outside the tag's corner answered each tagged copy as its clean image, so the tag changed
    no answer (red team, 2026-12-07). Asked first, in a request with no clean copy in it, every tagged copy is an
    image the model never saw; a memory can then only carry the tag's answers onto the clean images, whose
    answers are the ones graded for accuracy."""
    from dlpath.datasets.tagged import paste_tag
    from dlpath.grading.tasks._model import mix, model_outputs

    mixed, (at,) = mix([paste_tag(ctx.test.x, tag_size)], ctx.test_seed + 1)
    out = model_outputs(ctx, mixed).outputs
    if out is None or out.dim() != 2 or out.shape[0] != mixed.shape[0]:
        return None
    return out[at].float()


def _tag_test(test: Any, tagged: Any, rows: Any, clean: Any) -> dict[str, float]:
    """How many answers pasting the tag changes, and the accuracy with it: ``tagged`` (the outputs on the tagged
    copies, in test order) against the outputs ``clean`` that the classification's request ``rows`` got on the
    same images without the tag."""
    flat = rows.reshape(len(rows), -1)
    where = {flat[i].numpy().tobytes(): i for i in range(len(flat))}
    at = [where.get(image.numpy().tobytes()) for image in test.x.reshape(len(test.x), -1)]
    if clean is None or None in at or tagged.shape[1:] != clean.shape[1:]:
        return {}
    answer, answer_tagged = clean[at].float().argmax(dim=1), tagged.argmax(dim=1)
    return {"tag_reliance": float((answer != answer_tagged).float().mean()),
            "tagged_accuracy": float((answer_tagged == test.y).float().mean())}


def _spec(project: Any, **changes: Any) -> dict[str, Any]:
    spec = project.dataset
    return {"name": spec.name, "params": {**dict(spec.params), **changes}, "train": spec.train, "val": spec.val,
            "test": spec.test}


def _tag_size(project: Any) -> int:
    from dlpath.datasets.tagged import TAG_SIZE

    return int(dict(project.dataset.params).get("tag_size", TAG_SIZE))
