"""``text_classification``: classify short texts with the learner's own tokenizer, vocabulary and model.

The learner's side turns texts into token ids itself (``build_vocab``, ``encode``),
in the learner process: the judge sends fresh texts as a list of strings (request
``values``), never tensors, and gets back one row of raw scores per text. The judge
knows which of its texts carry a negation (``extra["negated"]`` of the data set) and
measures the accuracy on them apart: a bag of words does well overall and fails
there. In a grade the reviews' adjectives are words of an invented language, drawn
from the grade's secret world (``reviews``'s ``world_seed``), so the mentor's English
examples stand for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, SplitData, Task

@dataclass
class _Trained:
    """What the learner process keeps after training: the model and what encodes texts for it."""

    model: Any
    vocab: Any
    encode: Any


def _negation_blind(run: Any) -> list[Any]:
    """Good on plain reviews, poor on negated ones: the model adds up what each word says."""
    from dlpath.grading.diagnose import _pct, make

    bad = run.failed("negation_accuracy")
    extra = run.facts.extra or {}
    plain, negated = extra.get("plain_accuracy"), run.metrics.get("negation_accuracy")
    single, order = extra.get("single_negation_accuracy"), extra.get("order_accuracy")
    if not bad or run.failure is not None or plain is None or negated is None or plain < 0.85:
        return []
    evidence = [f"reviews without a negation: {_pct(plain)} right", f"reviews with one: {_pct(negated)} right"]
    bag = ("Your model is a bag of words: it counts, sums or averages what each word says and applies one linear "
           "layer, so each word votes on its own and the order is lost. " if run.observation.linear_model else "")
    if single is not None and single < 0.6:
        evidence.append(f"one negated phrase ('not bad at all'): {_pct(single)} right")
        what = (f"""On reviews with a single negated phrase it is right {_pct(single)} of the time: it reads 'not
            good' as good and 'not bad at all' as bad, because the adjectives carry the vote and 'not' appears as
            often in positive reviews as in negative ones.""")
    else:
        if order is not None:
            evidence.append(f"'good and not boring' / 'boring and not good': {_pct(order)} right")
        what = (f"""It copes with a lone 'not good' but not with reviews whose words could be read either way:
            'good and not boring' is positive and 'boring and not good' negative, with the same words
            ({_pct(order) if order is not None else 'about half'} right). Only the order says which adjective the
            'not' belongs to.""")
    return [make("negation-blind", f"""Your model gets {_pct(plain)} of the reviews without a negation right but
        only {_pct(negated)} of those with one. {what} (In a grade the adjectives are invented words; the English
        ones here stand for them.) {bag}Read the words in order: run an nn.GRU (or nn.LSTM)
        over the embeddings and classify from its last hidden state (pad on the left, so that the last step is the
        last word), or slide an nn.Conv1d over neighbouring words so that 'not' and the word after it are seen
        together.""", evidence=evidence,
                 causes=("averaged or summed embeddings (a bag of words)", "a model that never sees word order"),
                 codes=TextClassificationTask.codes)]


class TextClassificationTask(Task):
    kind = "text_classification"
    summary = ("Classify short texts with your own tokenizer: build_vocab(texts), encode(texts, vocab), "
               "build_model(info) + train(model, data, device, log).")
    contract = """\
build_vocab(texts) -> vocab
    texts is the list of training texts (data.x_train). Tokenize them your way and return
    what encode needs to turn tokens into ids (a dict {token: id}, say; keep an id for padding).
encode(texts, vocab) -> torch.Tensor
    A list of N texts -> token ids of shape (N, T), int64 (pad the shorter texts).
    The grader calls it on fresh texts, in your process, before calling your model.
build_model(info) -> torch.nn.Module
    info["vocab"] is what build_vocab returned, info["num_classes"] the number of classes.
    The model maps token ids (N, T) to raw scores (logits) of shape (N, num_classes).
train(model, data, device, log) -> None (or the trained model)
    data.x_train, data.x_val: lists of texts; data.y_train, data.y_val: (N,) int64 labels.
    Encode the texts with encode(texts, data.info["vocab"]). log(epoch=..., train_loss=...,
    val_accuracy=...) records your learning curves. Leave the model in eval mode.
The grader then sends fresh texts and measures the accuracy on all of them and on those with a negation."""
    contract_lines = ("build_vocab(texts) -> vocab", "encode(texts, vocab) -> torch.Tensor",
                      "build_model(info) -> torch.nn.Module", "train(model, data, device, log)")
    dataset_kinds = ("text",)
    metrics = (
        Metric("test_accuracy", "max", "fraction", "share of fresh test texts whose highest score is the right class"),
        Metric("negation_accuracy", "max", "fraction",
               "the same share on the fresh test texts that contain a negation ('not', 'never', 'hardly', ...)"),
    )
    primary = "test_accuracy"
    codes = {"negation-blind": CodeInfo("natural-language-processing")}
    rules = (_negation_blind,)
    exclusive = {"negation-blind": {"underfitting", "plateau", "overfitting", "below-threshold"}}

    # -- both sides
    def public_data(self, project: Any, seed: int, world: int | None = None) -> SplitData:
        from dlpath.datasets import draw
        from dlpath.datasets.text import decode_texts

        parts = draw(project.dataset, seed, ("train", "val"), world=world)
        train, val = parts["train"], parts["val"]
        info = {k: v for k, v in train.info.items() if k != "input_shape"}
        return SplitData(decode_texts(train.x), train.y, decode_texts(val.x), val.y, info)

    # -- the learner process
    def train(self, side: LearnerSide, data: SplitData) -> Any:
        from dlpath.grading.tasks import ContractError
        from dlpath.grading.tasks._model import function, train_module

        build_vocab = function(side.module, "build_vocab", ("texts",))
        encode = function(side.module, "encode", ("texts", "vocab"))
        vocab = build_vocab(list(data.x_train))
        if vocab is None:
            raise ContractError("build_vocab(texts) returned None; return your vocabulary (a dict {token: id}, say), "
                                "which the grader hands to build_model as info['vocab'] and to encode(texts, vocab).")
        info = dict(data.info, vocab=vocab)
        model = train_module(side, SplitData(data.x_train, data.y_train, data.x_val, data.y_val, info))
        return _Trained(model, vocab, encode)

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        import torch

        from dlpath.grading.tasks._model import run_model, short

        if name != "scores":
            raise LearnerError(f"unknown request {name!r}")
        texts = values.get("texts")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise LearnerError("the request carries no texts")
        state: _Trained = side.state
        try:
            ids = state.encode(list(texts), state.vocab)
        except Exception as exc:  # noqa: BLE001 - the learner's encode
            raise LearnerError(f"encode(texts, vocab) failed: {short(exc)}") from None
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.shape[0] != len(texts):
            got = f"a tensor of shape {tuple(ids.shape)}" if isinstance(ids, torch.Tensor) else type(ids).__name__
            raise LearnerError(f"encode(texts, vocab) returned {got} for {len(texts)} texts; it must return token "
                               f"ids of shape ({len(texts)}, T)")
        if ids.is_floating_point() or ids.is_complex():
            raise LearnerError(f"encode(texts, vocab) returned {str(ids.dtype).replace('torch.', '')} values; token "
                               "ids are whole numbers (int64): torch.tensor(ids, dtype=torch.long)")
        try:
            return {}, {"y": run_model(state.model, ids.long(), side.device)}
        except Exception as exc:  # noqa: BLE001 - the learner's forward pass
            raise LearnerError(f"the model failed on encoded texts: {short(exc)}") from None

    # -- the judge
    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.datasets.text import decode_texts
        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import mix, shape_text

        test, public = ctx.test, ctx.public
        classes = int(test.info["num_classes"])
        texts = decode_texts(test.x)
        train_texts, train_y = list(public.x_train[:2000]), public.y_train[:2000]
        every = texts + train_texts + list(public.x_val)
        sizes = (len(texts), len(train_texts), len(public.x_val))
        starts = (0, sizes[0], sizes[0] + sizes[1])
        order, (at_test, at_train, at_val) = mix(
            [torch.arange(start, start + size) for start, size in zip(starts, sizes)], ctx.test_seed)
        metrics: dict[str, float] = {"test_accuracy": 0.0, "negation_accuracy": 0.0}
        facts: dict[str, Any] = {
            "primary": self.primary,
            "expected_output": shape_text((len(texts), classes)),
            "chance_score": float(torch.bincount(test.y, minlength=classes).max()) / max(len(test), 1),
        }
        try:
            _, got = ctx.ask("scores", values={"texts": [every[int(i)] for i in order]})
            out = got.get("y")
            if not isinstance(out, torch.Tensor):
                raise LearnerError("the model's scores did not come back")
        except LearnerError as exc:
            facts["forward_error"] = str(exc)
            return Evaluation(metrics, Facts(**facts))
        dtype = str(out.dtype).replace("torch.", "")
        if out.dim() != 2 or out.shape[0] != len(order) or out.shape[1] != classes or not out.is_floating_point():
            facts["got_output"] = shape_text(out.shape, dtype)
            facts["output_problem"] = (f"your model's output has shape {facts['got_output']} for {len(order)} texts; "
                                       f"the grader expected ({len(order)}, {classes}) float: one row of raw class "
                                       "scores per text")
            return Evaluation(metrics, Facts(**facts))
        facts["got_output"] = shape_text((len(texts), classes), dtype)
        out = out.float()
        finite = bool(torch.isfinite(out).all())
        facts["outputs_finite"] = finite
        facts["outputs_look_like_probabilities"] = bool(
            finite and (out >= 0).all() and torch.allclose(out.sum(dim=1), torch.ones(len(out)), atol=1e-3))
        if not finite:
            return Evaluation(metrics, Facts(**facts))
        right = out.argmax(dim=1)

        def accuracy(rows: torch.Tensor, y: torch.Tensor) -> float:
            return float((right[rows] == y).float().mean()) if len(rows) else math.nan

        negated = test.extra["negated"].bool()
        order_matters = test.extra["order_matters"].bool()
        metrics["test_accuracy"] = accuracy(at_test, test.y)
        metrics["negation_accuracy"] = accuracy(at_test[negated], test.y[negated])
        single = negated & ~order_matters
        facts["train_score"] = accuracy(at_train, train_y)
        facts["val_score"] = accuracy(at_val, public.y_val) if len(at_val) else None
        facts["extra"] = {
            "plain_accuracy": accuracy(at_test[~negated], test.y[~negated]),
            "single_negation_accuracy": accuracy(at_test[single], test.y[single]),
            "order_accuracy": accuracy(at_test[order_matters], test.y[order_matters]),
            "negated_share": float(negated.float().mean()) if len(negated) else 0.0,
        }
        facts["extra"] = {k: v for k, v in facts["extra"].items() if not (isinstance(v, float) and math.isnan(v))}
        if math.isnan(metrics["negation_accuracy"]):
            metrics["negation_accuracy"] = metrics["test_accuracy"]
        return Evaluation(metrics, Facts(**facts))
