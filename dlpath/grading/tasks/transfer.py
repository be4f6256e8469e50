"""``transfer``: a classifier built on a pretrained backbone shipped with the project, trained on a few labels.

The project ships the backbone in its folder, ``backbone/`` (a model that loads
without pickle: ``dlpath.pretrained``, with the script that made it and its
provenance). In the learner process the task loads a fresh copy and calls the
learner's ``build_model(backbone, info)``, then ``train(model, data, device,
log)`` as for ``classification``; the judge grades the trained model's outputs on
fresh inputs exactly as ``classification`` does.

For the mentor only, the learner process also reports how far the model's
weights are from the shipped backbone's, before and after training: for each
shipped tensor, the smallest relative distance ``|w - w0| / |w0|`` to a tensor of
the same shape in the model, and the largest of those over the backbone. A model
built from scratch starts far from it (the backbone was not used); a backbone
fine-tuned too hard ends far from it (what it knew was overwritten). These
numbers come from the learner's process, so they only ever explain a failure:
they are never a metric.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import ContractError, Evaluation, JudgeContext, LearnerError, LearnerSide, SplitData
from dlpath.grading.tasks.classification import ClassificationTask

BACKBONE_DIR = "backbone"  # the backbone's folder inside the project's folder (dlpath.pretrained's format)
LESSON = "transfer-learning"
NOT_USED = 0.5  # a model whose weights start further than this from the backbone's did not start from it
FORGOTTEN = 0.2  # a backbone that ends further than this from its shipped weights was overwritten (gentle: ~0.03)


@dataclass(frozen=True)
class BackboneData(SplitData):
    """The learner's data, and where the project keeps its backbone."""

    backbone_dir: str = ""


def feature_size(folder: Path) -> int | None:
    """The number of features the backbone in ``folder`` gives per input: the last layer's output size."""
    try:
        layers = json.loads((folder / "model.json").read_text(encoding="utf-8")).get("layers") or []
    except (OSError, ValueError, AttributeError):
        return None
    sizes = [layer[2] for layer in layers if isinstance(layer, list) and layer[:1] in (["conv2d"], ["linear"])]
    return int(sizes[-1]) if sizes else None


def distance_from(shipped: Mapping[str, Any], model: Any) -> float | None:
    """How far ``model``'s weights are from the ``shipped`` ones: for each shipped tensor, the smallest
    ``|w - w0| / |w0|`` over the model's tensors of the same shape, and the largest of those. None when
    some shipped tensor has no tensor of its shape in the model."""
    import torch

    own = [t.detach().float().cpu() for t in model.state_dict().values() if isinstance(t, torch.Tensor)]
    worst = 0.0
    for w0 in shipped.values():
        scale = float(w0.norm()) or 1.0
        near = [float((w.reshape(w0.shape) - w0).norm()) / scale for w in own if w.shape == w0.shape]
        if not near:
            return None
        worst = max(worst, min(near))
    return worst


def _moved(extra: Mapping[str, Any]) -> tuple[float | None, float | None, bool]:
    backbone = extra.get("backbone") or {}
    return backbone.get("start"), backbone.get("end"), bool(backbone.get("reported"))


def _backbone_not_used(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, _pct, make

    bad = run.failed("test_accuracy")
    start, _, reported = _moved(run.facts.extra)
    if not bad or not reported or (start is not None and start <= NOT_USED):
        return []
    labels = run.facts.extra.get("labels")
    how = ("none of the backbone's weights has a tensor of its shape in your model" if start is None else
           f"before training, your model's weights were {_fmt(start)} (relative distance) from the backbone's, "
           "where a model that starts from the backbone is at 0")
    return [make("backbone-not-used", f"""Your model was trained from scratch on {labels or 'a few'} labelled images:
        the pretrained backbone was not used ({how}). It scores {_pct(bad[0].value or 0.0)} on fresh images, and
        {_pct(bad[0].min or 0.0)} is needed. From so few examples a fresh network cannot learn the features it needs;
        the backbone learned them from many labelled examples of a related task. Build
        your model on the backbone build_model receives: nn.Sequential(backbone, nn.Linear(info["feature_size"],
        info["num_classes"])), then train the new last layer with the backbone frozen (a linear probe), or the
        whole model gently (a small learning rate).""",
                 evidence=[f"distance from the backbone before training: {'none' if start is None else _fmt(start)}",
                           f"test accuracy {_pct(bad[0].value or 0.0)}"],
                 causes=("build_model ignored its backbone argument", "the backbone's weights were re-initialised"),
                 codes=TransferTask.codes)]


def _backbone_forgotten(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, _pct, make

    bad = run.failed("test_accuracy")
    start, end, reported = _moved(run.facts.extra)
    if not bad or not reported or start is None or start > NOT_USED or end is None or end <= FORGOTTEN:
        return []
    return [make("backbone-forgotten", f"""Your model started from the pretrained backbone, but training moved its
        weights {_fmt(end)} (relative distance) away from the shipped ones: what it had learned from many labelled
        examples was overwritten by a few. It scores {_pct(bad[0].value or 0.0)} on fresh images, and
        {_pct(bad[0].min or 0.0)} is needed. Freeze the backbone (requires_grad_(False) on its parameters) and
        train only the new last layer, or fine-tune gently: two parameter groups in one optimizer, a small learning
        rate for the backbone (about 1e-4 with Adam) and a larger one for the new layer (about 1e-2).""",
                 evidence=[f"distance from the backbone after training: {_fmt(end)}",
                           f"test accuracy {_pct(bad[0].value or 0.0)}"],
                 causes=("a learning rate too large for fine-tuning", "too many steps on a few examples"),
                 codes=TransferTask.codes)]


_VAGUER = {"overfitting", "underfitting", "plateau", "labels-not-learnable", "learning-rate-too-high",
           "learning-rate-extreme", "divergence"}


class TransferTask(ClassificationTask):
    kind = "transfer"
    summary = ("Classify from a few labels with a pretrained backbone shipped with the project: "
               "build_model(backbone, info) + train(model, data, device, log).")
    contract = """\
build_model(backbone, info) -> torch.nn.Module
    backbone is the pretrained network shipped with the project (an nn.Sequential in eval mode, on the CPU):
    it maps a batch of inputs to features of shape (N, info["feature_size"]). info["input_shape"] is one
    sample's shape and info["num_classes"] the number of classes. Return a model that maps a batch of
    inputs to raw scores (logits) of shape (N, num_classes).
train(model, data, device, log) -> None (or the trained model)
    data.x_train, data.y_train (a few labelled examples), data.x_val, data.y_val, data.info.
    device is "cpu" or "cuda". log(epoch=..., train_loss=..., val_loss=..., val_accuracy=...)
    records your learning curves. Leave the model in eval mode.
The grader then runs the model on fresh inputs it never saw and measures the accuracy."""
    contract_lines = ("build_model(backbone, info) -> torch.nn.Module", "train(model, data, device, log)")
    rules = (_backbone_not_used, _backbone_forgotten)
    codes = {"backbone-not-used": CodeInfo(LESSON), "backbone-forgotten": CodeInfo(LESSON)}
    exclusive = {"backbone-not-used": _VAGUER, "backbone-forgotten": _VAGUER}

    def __init__(self) -> None:
        self._moved: dict[str, float | None] = {}  #: the learner process's distances, for the "backbone" request

    def public_data(self, project: Any, seed: int) -> BackboneData:
        data = super().public_data(project, seed)
        folder = Path(project.path) / BACKBONE_DIR
        info = dict(data.info, feature_size=feature_size(folder))
        return BackboneData(data.x_train, data.y_train, data.x_val, data.y_val, info, backbone_dir=str(folder))

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        import dataclasses
        import types

        from torch import nn

        from dlpath import pretrained
        from dlpath.grading.tasks._model import function, train_module

        build_model = function(side.module, "build_model", ("backbone", "info"))
        folder = Path(getattr(data, "backbone_dir", ""))
        shipped = {k: v.clone() for k, v in pretrained.load(folder).state_dict().items()}

        def build(info: dict) -> Any:
            model = build_model(pretrained.load(folder), info)
            if not isinstance(model, nn.Module):
                raise ContractError(
                    f"build_model(backbone, info) returned a {type(model).__name__}; it must return a "
                    "torch.nn.Module (for example nn.Sequential(backbone, nn.Linear(...))).")
            self._moved["start"] = distance_from(shipped, model)
            return model

        # the classification contract's learner side, with the backbone handed to build_model
        contract = types.SimpleNamespace(build_model=build, train=getattr(side.module, "train", None))
        trained = train_module(dataclasses.replace(side, module=contract), data)
        self._moved["end"] = distance_from(shipped, trained)
        return trained

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        if name == "backbone":
            return {k: (v if v is None or math.isfinite(v) else None) for k, v in self._moved.items()}, {}
        return super().answer(name, values, tensors, side)

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import dataclasses

        evaluation = super().judge(ctx)
        backbone: dict[str, Any] = {"reported": False}
        try:
            values, _ = ctx.ask("backbone")
            for key in ("start", "end"):
                value = values.get(key)
                backbone[key] = float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None
            backbone["reported"] = True
        except LearnerError:
            pass
        extra = {**evaluation.facts.extra, "backbone": backbone, "labels": len(ctx.public.y_train)}
        return Evaluation(evaluation.metrics, dataclasses.replace(evaluation.facts, extra=extra))
