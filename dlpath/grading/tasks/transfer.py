"""``transfer``: a classifier built on a pretrained backbone shipped with the project, trained on a few labels.

The project ships the backbone in its folder, ``backbone/`` (a model that loads
without pickle: ``dlpath.envs.pretrained``, with the script that made it and its
provenance). In the learner process the task loads a fresh copy and calls the
learner's ``build_model(backbone, info)``, then ``train(model, data, device,
log)`` as for ``classification``; the judge grades the trained model's outputs on
fresh inputs as ``classification`` does, always on its own replay of the traced model.

For the mentor only, the learner process also reports how far the model's
weights are from the shipped backbone's, before and after training: for each
shipped tensor, the smallest relative distance ``|w - w0| / |w0|`` to a tensor of
the same shape in the model, and the largest of those over the backbone. A model
built from scratch starts far from it (the backbone was not used); a backbone
fine-tuned too hard ends far from it (what it knew was overwritten). These
numbers come from the learner's process, so they only ever explain a failure:
they are never a metric.

What the grade believes is the judge's own measure of how much the predictions rest on the backbone
(``backbone_reliance``): the judge replays the traced model (as for a parameter budget), finds in it the tensors
that hold the shipped backbone's (within ``MATCH`` relative distance of a shipped tensor or a multiple of it, so a
gentle fine-tune and any copy are found), replays it again with those tensors replaced by fresh random ones of the
same shape and spread, and measures how much test accuracy that costs; and once more with the backbone's output
features shuffled across the rows of each batch (``shuffled_features``), as a backbone used only beside the
predictions (a gate computed from its features on a fixed probe) survives that; ``backbone_reliance`` is the
smaller loss. A model that does not contain the backbone loses nothing, nor does one that carries it as dead
weight; a model whose predictions come through the backbone falls to about chance. So a network trained from
scratch on labels drawn from a copy of the public shape generator (an oracle no sandbox can hide: the code is
public) scores well, but fails the grade.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import ContractError, Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, SplitData
from dlpath.grading.tasks.classification import ClassificationTask

BACKBONE_DIR = "backbone"  # the backbone's folder inside the project's folder (dlpath.envs.pretrained's format)
LESSON = "transfer-learning"
NOT_USED = 0.5  # a model whose weights start further than this from the backbone's did not start from it
FORGOTTEN = 0.2  # a backbone that ends further than this from its shipped weights was overwritten (gentle: ~0.03)
MATCH = 0.5  # a model tensor within this relative distance of a shipped tensor (or a multiple) holds it
ABLATION_SEED = 0  # the fresh weights the judge puts in the backbone's place


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


def backbone_tensors(shipped: Mapping[str, Any], weights: Mapping[str, Any]) -> dict[str, tuple[str, float]]:
    """Which of a traced model's ``weights`` hold a shipped backbone tensor: every weight with as many numbers
    as a shipped tensor ``w0`` that is, once flattened, within ``MATCH`` relative distance of ``a * w0`` for
    some factor ``a`` (1 for the backbone itself or a fine-tune of it; any other for a scaled or negated
    copy, which could otherwise cancel the backbone's output only while both copies are intact).
    Returns weight name -> (shipped name, a)."""
    flat = {name: w0.detach().float().cpu().reshape(-1) for name, w0 in shipped.items()}
    found: dict[str, tuple[str, float]] = {}
    for key, w in weights.items():
        if not w.is_floating_point():
            continue
        v = w.detach().float().cpu().reshape(-1)
        best: tuple[float, str, float] | None = None
        for name, w0 in flat.items():
            if v.numel() != w0.numel() or not float(w0.norm()):
                continue
            a = float(v @ w0) / float(w0 @ w0)
            if not a or not math.isfinite(a):
                continue
            distance = float((v - a * w0).norm()) / (abs(a) * float(w0.norm()))
            if best is None or distance < best[0]:
                best = (distance, name, a)
        if best is not None and best[0] <= MATCH:
            found[key] = (best[1], best[2])
    return found


def ablated(weights: Mapping[str, Any], found: Mapping[str, tuple[str, float]], shipped: Mapping[str, Any],
            seed: int = ABLATION_SEED) -> dict[str, Any]:
    """``weights`` with the backbone's tensors (``found``) replaced by fresh ones: one fresh uniform random
    tensor per shipped tensor, with its shape and standard deviation (what the model would hold had it never
    had the backbone), put in every weight that holds that shipped tensor, times the same factor."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    fresh = {}
    for name in sorted(shipped):
        w0 = shipped[name].detach().float().cpu()
        spread = float(w0.std()) if w0.numel() > 1 else float(w0.abs().sum())
        fresh[name] = (torch.rand(w0.shape, generator=generator) * 2 - 1) * spread * math.sqrt(3.0)
    out = dict(weights)
    for key, (name, a) in found.items():
        out[key] = (a * fresh[name]).reshape(weights[key].shape).to(weights[key].dtype)
    return out


def shuffled_features(graph: Mapping[str, Any], found: Mapping[str, tuple[str, float]], shipped: Mapping[str, Any],
                      seed: int = ABLATION_SEED) -> Any:
    """An ``artifact.replay`` edit that shuffles the backbone's output features across the rows of each batch:
    the result of every operator that reads a tensor holding the backbone's last layer (``found``), its rows in
    a fixed random order. Each input then gets another input's features. A model whose predictions come through
    the backbone falls to chance; one that only uses the backbone beside its predictions (a gate computed from
    the backbone's features on a fixed probe, which a redraw of its weights switches off) keeps its accuracy."""
    import torch

    names = list(shipped)
    last = names[-1].rsplit(".", 1)[0] if names else ""
    layer = {name for name in names if name.rsplit(".", 1)[0] == last}
    held = {key for key, (name, _) in found.items() if name in layer}
    refs = {ref for node in graph.get("nodes", []) if node.get("op") == "prim::Constant"
            and isinstance(node.get("value"), Mapping) and node["value"].get("tensor") in held
            for ref in node.get("out", [])}
    at = {index for index, node in enumerate(graph.get("nodes", [])) if refs & set(node.get("in", []))}
    generator = torch.Generator().manual_seed(seed + 17)
    orders: dict[int, Any] = {}

    def edit(index: int, args: list, result: Any) -> Any:
        if index not in at or not isinstance(result, torch.Tensor) or result.dim() < 1 or result.shape[0] < 2:
            return result
        rows = int(result.shape[0])
        if rows not in orders:
            orders[rows] = torch.randperm(rows, generator=generator)
        return result[orders[rows].to(result.device)]

    return edit


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


def _backbone_bypassed(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    bad = run.failed("backbone_reliance")
    ablation = run.facts.extra.get("ablation") or {}
    if not bad or _backbone_not_used(run) or _backbone_forgotten(run):  # they say it for a failed score
        return []
    if not ablation.get("measured"):
        return [make("backbone-bypassed", f"""The grader could not check that your model uses the pretrained
            backbone: {ablation.get('why') or 'it could not replay your model'}. The grade asks that the backbone
            carry the predictions, and the grader checks it on its own replay of your model, traced on a batch of
            inputs. Keep the forward pass to tensor operations on the input (no Python branches on the data, no
            conversions to numbers or NumPy), as in nn.Sequential(backbone, nn.Linear(info["feature_size"],
            info["num_classes"])).""",
                     evidence=[f"backbone reliance: not measured ({ablation.get('why')})"],
                     causes=("a forward pass the grader cannot trace",), codes=TransferTask.codes)]
    accuracy = run.metrics.get("test_accuracy")
    lost = ablation.get("ablated_accuracy")
    found, shipped = ablation.get("found", 0), ablation.get("shipped", 0)
    where = (f"none of the backbone's {shipped} tensors is in the model the grader replayed" if not found else
             f"the grader found {found} of the backbone's {shipped} tensors in your model, replaced them with fresh "
             "random ones, and apart from that shuffled the backbone's features between the images, and your model "
             f"still scored {_pct(lost or 0.0)} in the gentler of the two (against {_pct(accuracy or 0.0)} as it "
             "is)")
    return [make("backbone-bypassed", f"""Your model does not use the pretrained backbone: {where}. Its predictions
        do not come through what the backbone learned, so this is not transfer learning, whatever the score. The
        lesson's grade asks that the backbone carry the predictions: with its weights replaced, the model must
        lose at least {_pct(bad[0].min or 0.0)} of test accuracy, and yours lost {_pct(bad[0].value or 0.0)}.
        Build your model on the backbone build_model receives: nn.Sequential(backbone,
        nn.Linear(info["feature_size"], info["num_classes"])), and train the new last layer on the 40 labels
        (the backbone frozen, or fine-tuned gently).""",
                 evidence=[f"test accuracy lost without the backbone's weights: {_pct(bad[0].value or 0.0)}",
                           f"backbone tensors found in the replayed model: {found} of {shipped}"],
                 causes=("a network trained from scratch beside an unused backbone",
                         "labels from somewhere other than the 40 given"),
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
    metrics = (*ClassificationTask.metrics,
               Metric("backbone_reliance", "max", "fraction",
                      "test accuracy lost when the judge replays the model with the shipped backbone's tensors "
                      "(found by shape and closeness) replaced by fresh random ones, or with the backbone's output "
                      "features shuffled across the inputs of each batch, whichever loses less: how much the "
                      "predictions rest on the backbone"))
    rules = (_backbone_bypassed, _backbone_not_used, _backbone_forgotten)
    codes = {"backbone-bypassed": CodeInfo(LESSON), "backbone-not-used": CodeInfo(LESSON),
             "backbone-forgotten": CodeInfo(LESSON)}
    exclusive = {"backbone-bypassed": _VAGUER, "backbone-not-used": _VAGUER, "backbone-forgotten": _VAGUER}
    public_type = BackboneData

    def __init__(self) -> None:
        self._moved: dict[str, float | None] = {}  #: the learner process's distances, for the "backbone" request
        self._traced: dict[str, Any] = {}  #: the judge's: the replayed graph and its tensors, for the ablation

    def public_data(self, project: Any, seed: int, world: int | None = None) -> BackboneData:
        data = super().public_data(project, seed, world)
        folder = Path(project.path) / BACKBONE_DIR
        info = dict(data.info, feature_size=feature_size(folder))
        return BackboneData(data.x_train, data.y_train, data.x_val, data.y_val, info, backbone_dir=str(folder))

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        import dataclasses
        import types

        from torch import nn

        from dlpath.envs import pretrained
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

    def outputs(self, ctx: JudgeContext, x: Any) -> Any:
        """Always the judge's replay of the traced model, whose graph and tensors it keeps for the ablation."""
        import dataclasses

        from dlpath.grading.tasks._model import model_outputs

        self._traced = {}

        def ask(name: str, values: Mapping[str, Any] | None = None, tensors: Mapping[str, Any] | None = None,
                target: str = "learner") -> tuple[dict[str, Any], dict[str, Any]]:
            answer = ctx.ask(name, values, tensors, target)
            if name == "artifact":
                self._traced = {"graph": answer[0].get("graph"),
                                "weights": {k[2:]: v for k, v in answer[1].items() if k.startswith("w:")}}
            return answer

        got = model_outputs(dataclasses.replace(ctx, ask=ask), x, artifact=True)
        if got.parameters is None:  # the replay failed: the outputs are the learner process's own
            self._traced = {}
        return got

    def reliance(self, ctx: JudgeContext, accuracy: float) -> dict[str, Any]:
        """How much of ``accuracy`` (the intact replay's, on the test inputs) the backbone carries: the
        accuracy lost when the judge replays the model with the backbone's tensors replaced by fresh ones."""
        import torch

        from dlpath.envs import pretrained
        from dlpath.grading.artifact import ReplayError
        from dlpath.grading.tasks._model import _replay_all

        graph, weights = self._traced.get("graph"), self._traced.get("weights") or {}
        if not isinstance(graph, Mapping):
            return {"measured": False, "why": "the judge could not replay your model (see `replay`)"}
        shipped = pretrained.load(Path(ctx.project.path) / BACKBONE_DIR).state_dict()
        found = backbone_tensors(shipped, weights)
        result: dict[str, Any] = {"measured": True, "found": len({name for name, _ in found.values()}),
                                  "shipped": len(shipped)}
        if not found:
            return {**result, "ablated_accuracy": accuracy, "reliance": 0.0}
        scores = {}
        for how, weights_of, edit in (("redrawn", ablated(weights, found, shipped), None),
                                      ("shuffled", weights, shuffled_features(graph, found, shipped))):
            try:
                out = _replay_all(graph, weights_of, ctx.test.x, edit=edit).float()
            except (ReplayError, RuntimeError, TypeError, ValueError) as exc:
                return {"measured": False, "why": f"the judge's replay without the backbone ({how}) failed: {exc}"}
            if out.dim() != 2 or len(out) != len(ctx.test.y) or not bool(torch.isfinite(out).all()):
                # an answer that breaks without the backbone is no evidence that the backbone carried it
                return {"measured": False, "why": f"without the backbone ({how}), your model's replay gave no "
                                                  f"finite scores of the expected shape (it gave {tuple(out.shape)})"}
            scores[how] = float((out.argmax(dim=1) == ctx.test.y).float().mean())
        lost = max(scores.values())  # the ablation that costs least: the backbone must carry the answer in both
        return {**result, "ablated_accuracy": lost, "redrawn_accuracy": scores["redrawn"],
                "shuffled_accuracy": scores["shuffled"], "reliance": accuracy - lost}

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import dataclasses

        evaluation = super().judge(ctx)
        accuracy = evaluation.metrics.get("test_accuracy", 0.0)
        ablation = self.reliance(ctx, accuracy)
        metrics = {**evaluation.metrics, "backbone_reliance": float(ablation.get("reliance", 0.0))}
        backbone: dict[str, Any] = {"reported": False}
        try:
            values, _ = ctx.ask("backbone")
            for key in ("start", "end"):
                value = values.get(key)
                backbone[key] = float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None
            backbone["reported"] = True
        except LearnerError:
            pass
        extra = {**evaluation.facts.extra, "backbone": backbone, "labels": len(ctx.public.y_train),
                 "ablation": ablation}
        return Evaluation(metrics, dataclasses.replace(evaluation.facts, extra=extra))
