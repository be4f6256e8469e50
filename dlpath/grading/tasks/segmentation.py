"""``segmentation``: a model that gives every pixel a score (does it belong to an object?), graded by IoU.

The judge sends fresh images (shuffled among public ones), receives one logit
per pixel, thresholds it at 0 and compares the masks with the hidden ones:
the intersection over union of each image's foreground, averaged over images
(and the Dice coefficient beside it). It also probes how far the model looks:
it changes one pixel of a few public images and sees whether the outputs at
the neighbouring pixels move. A model that never looks past the pixel it
labels (a threshold, 1x1 convolutions) cannot average the noise away, and the
mentor says so.
"""

from __future__ import annotations

import re
from typing import Any

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, Metric, ModelTask
from dlpath.grading.tasks._learned import SKILL_CODES, learned_metric, skill_not_learned

_PROBES = 8  # public images on which the judge changes one pixel to see how far the model looks
_NUDGE = 2.0  # how much the judge changes that pixel (pixel values are roughly 0 .. 1)


def _pixelwise(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, make

    reach, own = run.facts.extra.get("context_change"), run.facts.extra.get("own_change")
    if reach is None or reach > 1e-6 or not own or not run.failed():
        return []
    return [make("pixelwise-model", """Your model labels each pixel from that pixel alone: when the grader changed
        one pixel of an image, the outputs at its neighbours did not move at all. With noise as strong as these
        images have, one pixel's brightness cannot tell a shape from the background (the noise is as large as the
        difference), and an uneven light makes any fixed threshold wrong somewhere. Let every output see a
        neighbourhood: stack 3x3 convolutions with padding=1 (each adds one pixel of context on every side, and
        padding keeps the image size), pool to see further, and end with a 1x1 convolution to one logit per
        pixel.""", evidence=[f"largest change of a neighbour's output: {_fmt(reach)}",
                             f"change at the pixel itself: {_fmt(own)}"],
                 causes=("a per-pixel threshold", "1x1 convolutions only", "no spatial context"),
                 codes=SegmentationTask.codes)]


_SIZES = re.compile(r"Target size \(torch\.Size\(\[([\d, ]+)\]\)\) must be the same as input size "
                    r"\(torch\.Size\(\[([\d, ]+)\]\)\)")


def _shrunk(run: Any) -> list[Any]:
    """The loss refused masks and outputs of different sizes: the usual cause is convolutions without padding."""
    from dlpath.grading.diagnose import make

    match = _SIZES.search(run.failure.message) if run.failure is not None else None
    if not match:
        return []
    target = [int(d) for d in match.group(1).split(",")]
    output = [int(d) for d in match.group(2).split(",")]
    if len(target) < 2 or len(output) < 2 or target[-2:] == output[-2:]:
        return []
    (th, tw), (oh, ow) = target[-2:], output[-2:]
    lost = (th - oh) // 2
    why = (f"each 3x3 convolution without padding loses one pixel on every side, so {lost} of them turn {th}x{tw} "
           f"into {oh}x{ow}" if th > oh and th - oh == tw - ow and (th - oh) % 2 == 0 else
           "a pooling without an upsampling back, or convolutions without padding, changed the image size")
    return [make("output-size-changed", f"""Your model's output is {oh}x{ow} pixels but the masks are {th}x{tw}:
        {why}. A segmentation model must answer for every pixel: give every 3x3 convolution padding=1, and bring
        pooled feature maps back to full size with nn.Upsample(scale_factor=2) before the last layer.""",
                 evidence=[f"masks {th}x{tw}", f"outputs {oh}x{ow}"], codes=SegmentationTask.codes)]


_shrunk.explains_crash = True  # type: ignore[attr-defined]  # it reads the crash's message


def _background(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    predicted, true = run.facts.extra.get("predicted_share"), run.facts.extra.get("true_share")
    if predicted is None or not true or predicted > 0.2 * true or not run.failed():
        return []
    return [make("background-everywhere", f"""Your model calls almost every pixel background: it marks
        {_pct(predicted)} of the pixels as shape where {_pct(true)} are. Most pixels are background, so answering
        "background" everywhere is right for most pixels and still finds no shape at all (IoU near 0). Train
        longer or with a larger learning rate, check that the loss compares the logits with the masks
        (nn.BCEWithLogitsLoss on raw scores, no sigmoid before it), and if the shapes stay too faint, weigh the
        shape pixels up (pos_weight) or add a Dice loss.""",
                 evidence=[f"pixels marked as shape {_pct(predicted)}", f"pixels that are shape {_pct(true)}"],
                 codes=SegmentationTask.codes)]



class SegmentationTask(ModelTask):
    kind = "segmentation"
    summary = "Label every pixel (object or background): build_model(info) + train(model, data, device, log); IoU."
    contract = """\
build_model(info) -> torch.nn.Module
    info["input_shape"] is one image's shape [1, H, W]. The model maps images (N, 1, H, W)
    to one raw score (logit) per pixel, shape (N, 1, H, W) or (N, H, W): above 0 means
    "this pixel belongs to an object".
train(model, data, device, log) -> None (or the trained model)
    data.x_train (N, 1, H, W) float32 images, data.y_train (N, H, W) float32 masks
    (1.0 on an object, 0.0 elsewhere), data.x_val, data.y_val likewise.
    device is "cpu" or "cuda". log(epoch=..., train_loss=..., val_loss=..., val_iou=...)
    records your learning curves. Leave the model in eval mode.
The grader then runs the model on fresh images and measures the intersection over union
of the pixels it marks (logit > 0) with the true masks."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, device, log)")
    dataset_kinds = ("segmentation",)
    metrics = (
        Metric("test_iou", "max", "fraction",
               "for each fresh test image, the pixels both marked (logit > 0) and true over the pixels marked or "
               "true (intersection over union); averaged over the images"),
        Metric("test_dice", "max", "fraction",
               "for each fresh test image, twice the pixels both marked and true over the pixels marked plus the "
               "pixels true (Dice coefficient); averaged over the images"),
        Metric("parameters", "min", "numbers",
               "numbers in every tensor the model computes with, counted by the judge on a trace of the model"),
        learned_metric("IoU", "a filter written by hand"),
    )
    primary = "test_iou"
    codes = {"pixelwise-model": CodeInfo("convolutional-networks"),
             "background-everywhere": CodeInfo("computer-vision"),
             "output-size-changed": CodeInfo("convolutional-networks"), **SKILL_CODES}
    rules = (_shrunk, _pixelwise, _background, skill_not_learned)
    exclusive = {"pixelwise-model": {"underfitting", "plateau", "below-threshold"},
                 "output-size-changed": {"crashed", "shape-mismatch"},
                 "background-everywhere": {"underfitting", "plateau", "below-threshold"}}

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import add_learned_skill, ask_model, shape_text

        test, public = ctx.test, ctx.public
        height, width = (int(d) for d in test.info["mask_shape"])
        probes, at = _probes(public.x_val if len(public.x_val) else public.x_train, ctx.test_seed)
        train_x, train_y = public.x_train[:1000], public.y_train[:1000]
        asked = ask_model(ctx, [test.x, train_x, public.x_val, probes], {"test_iou": 0.0, "test_dice": 0.0})
        mixed, (at_test, at_train, at_val, at_probe), got, metrics = asked.mixed, asked.at, asked.got, asked.metrics
        extra: dict[str, Any] = {"true_share": float(test.y.mean())}
        facts = asked.facts(self, shape_text((len(test), 1, height, width)),
                            chance_score=_scores(torch.ones_like(test.y), test.y)[0], extra=extra)
        out = got.outputs
        if out is None:
            return Evaluation(metrics, Facts(**facts))
        dtype = str(out.dtype).replace("torch.", "")
        if out.dim() == 4 and out.shape[1] == 1:
            out = out[:, 0]
        if out.dim() != 3 or tuple(out.shape) != (mixed.shape[0], height, width) or not out.is_floating_point():
            facts["got_output"] = shape_text(got.outputs.shape, dtype)
            facts["output_problem"] = (
                f"your model's output has shape {facts['got_output']}; the grader expected {facts['expected_output']} "
                f"(or without the channel dimension): one raw score per pixel, the image's own height and width")
            return Evaluation(metrics, Facts(**facts))
        out = out.float()
        finite = bool(torch.isfinite(out).all())
        facts["outputs_finite"] = finite
        if not finite:
            return Evaluation(metrics, Facts(**facts))
        marked = out > 0
        metrics["test_iou"], metrics["test_dice"] = _scores(marked[at_test], test.y)
        facts["train_score"] = _scores(marked[at_train], train_y)[0]
        if len(at_val):
            facts["val_score"] = _scores(marked[at_val], public.y_val)[0]
        extra["predicted_share"] = float(marked[at_test].float().mean())
        own, neighbours = _context(out[at_probe], at)
        extra["own_change"], extra["context_change"] = own, neighbours

        def replayed_iou(scores: Any) -> float:
            scores = scores[:, 0] if scores.dim() == 4 else scores
            return _scores(scores.float() > 0, test.y[:len(scores)])[0]

        add_learned_skill(ctx, test.x, replayed_iou, metrics, extra)
        return Evaluation(metrics, Facts(**facts))


def _scores(marked: Any, truth: Any) -> tuple[float, float]:
    """Mean IoU and mean Dice over images of a boolean mask (N, H, W) against the true one."""
    import torch

    if len(truth) == 0:
        return 0.0, 0.0
    pred, true = marked.bool(), truth > 0.5
    inter = (pred & true).flatten(1).sum(1).float()
    union = (pred | true).flatten(1).sum(1).float()
    total = pred.flatten(1).sum(1).float() + true.flatten(1).sum(1).float()
    iou = torch.where(union > 0, inter / union.clamp_min(1), torch.ones_like(union))
    dice = torch.where(total > 0, 2 * inter / total.clamp_min(1), torch.ones_like(total))
    return float(iou.mean()), float(dice.mean())


def _probes(images: Any, seed: int) -> tuple[Any, tuple[int, int]]:
    """Pairs of public images, the second of each pair with one pixel changed (in the middle), and that pixel."""
    import torch

    picked = images[:_PROBES].clone()
    _, _, height, width = picked.shape
    at = (height // 2, width // 2)
    nudged = picked.clone()
    nudged[:, :, at[0], at[1]] += _NUDGE
    return torch.cat([picked, nudged]), at


def _context(out: Any, at: tuple[int, int]) -> tuple[float, float]:
    """(largest change of the output at the changed pixel, largest change at its neighbours within 2 pixels)."""
    half = out.shape[0] // 2
    change = (out[half:] - out[:half]).abs()
    row, col = at
    own = float(change[:, row, col].max()) if half else 0.0
    window = change[:, max(row - 2, 0):row + 3, max(col - 2, 0):col + 3].clone()
    window[:, min(row, 2), min(col, 2)] = 0.0
    return own, float(window.max()) if half else 0.0
