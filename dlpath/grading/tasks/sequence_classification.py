"""``sequence_classification``: classify sequences, and find out how far back the model remembers.

The same contract and metrics as ``classification``. When the data set says which
steps its label depends on (``info["signal_steps"]``, as ``delayed_recall`` does), the judge
also probes the trained model: it swaps those steps between test sequences of
different classes and counts how often the model's answer follows the swap. A model
that remembers the start of a sequence changes its answer; one that has forgotten it
(a plain RNN, an MLP on the last step) does not. That figure is advice for the
mentor (``short-memory``), never a metric.

Which steps carry the label is the judge's to know: ``train`` gets the data without
``signal_steps``. And where a project grades ``learned_skill``, the judge checks that
the skill lives in learned weights (``_model.learned_skill``): a model that reads the
class off the step that carries it, written by hand, keeps its accuracy when the judge
randomizes its weights, and scores 0 there.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, SplitData
from dlpath.grading.tasks.classification import ClassificationTask

PROBE = 1000  # test sequences whose signal steps the judge swaps
_FORGOT = 0.5  # the answer followed the swapped start less often than this: the model does not remember it
_RECURRENT = ("LSTM", "GRU")


def _short_memory(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, _pct, make
    from dlpath.grading.layout import swapped_layers

    extra = run.facts.extra or {}
    follows = extra.get("follows_signal")
    if follows is None or follows >= _FORGOT or not run.failed(run.primary):
        return []
    if run.observation.parameters_changed is False:
        return []  # nothing was learned at all: no-learning says why
    if swapped_layers(run):
        return []  # the layer never reads a sequence in order: sequence-axes-swapped says why
    first, last = extra.get("signal_steps", [0, 1])
    length = extra.get("length")
    of = f" of {length}" if length else ""
    steps = f"step {first}" if last - first == 1 else f"steps {first} to {last - 1}"
    if last - first == 1:  # the same step in every sequence
        where, signal, swapped, end = f"at {steps}{of} and nowhere else", steps, "that step", "the last step was"
    else:  # within [first, last), at a step that may change from sequence to sequence
        span = f"the first {last} steps" if first == 0 else steps
        where, signal, swapped = f"somewhere in {span}{of} and nowhere after", "the step that says the class", steps
        end = f"the last {last - first} steps were"
    later = extra.get("follows_end")
    kinds = {layer.kind for layer in run.observation.layers}
    biases = [layer.forget_bias for layer in run.observation.recurrent or [] if layer.forget_bias is not None]
    if kinds & set(_RECURRENT) and biases and min(biases) >= 1.0:
        advice = (f"Your LSTM's forget gate already starts open (bias {_fmt(min(biases))}), so the cell can keep "
                  f"{signal}; it has not learned to yet. Train longer (on this task the validation accuracy can "
                  "sit at chance for many epochs before it climbs, the longer the higher the learning rate), clip "
                  "the gradient norm, and try the learning rate 3x lower if the loss jumps around.")
        causes = ("too few training steps", "a learning rate too high", "no gradient clipping")
    elif kinds & set(_RECURRENT):
        advice = ("Your model has a gated recurrent layer, but it has not learned to keep the start yet. PyTorch "
                  "starts an LSTM's forget gate near 0.5, so at first the cell halves what it holds at every step "
                  f"and nothing from {signal} reaches the end: set the forget gate's bias to 1-3 (in nn.LSTM the "
                  "biases are laid out as input, forget, cell, output gates), clip the gradient norm, and train "
                  "until the validation accuracy climbs (it can sit at chance for many epochs first, the longer the "
                  "higher the learning rate).")
        causes = ("the forget gate starts half closed", "too few training steps", "a learning rate too high")
    elif "RNN" in kinds:
        advice = ("A plain RNN rewrites its whole state at every step, and the gradient that should teach it to "
                  f"keep {signal} is multiplied by a factor below 1 at each of the steps in between, so it vanishes. "
                  "Use a gated recurrent layer, nn.LSTM or nn.GRU: its cell is updated by addition and kept while "
                  "the forget gate stays open, so both the information and the gradient travel the whole way.")
        causes = ("a plain RNN: its gradient vanishes over many steps", "no gated memory")
    else:
        advice = ("Your model has no recurrent layer: it never reads the sequence step by step while carrying a "
                  "state, so what it answers cannot depend on a step it does not look at (an MLP on the last step "
                  "sees none of the start). Read the whole sequence with nn.LSTM(..., batch_first=True) and "
                  "classify from its output at the last step.")
        causes = ("the model looks only at the end of the sequence", "no recurrent layer")
    evidence = [f"answer followed the swapped {steps}: {_pct(follows)} of sequences"]
    if later is not None:
        evidence.append(f"answer changed when {end} swapped: {_pct(later)}")
    return [make("short-memory", f"""The label of these sequences is given {where}. The grader swapped
        {swapped} between test sequences of different classes: your model's
        answer followed the swap for only {_pct(follows)} of them, so by the last step it no longer knows how the
        sequence began. {advice}""", evidence=evidence, causes=causes, codes=SequenceClassificationTask.codes)]



class SequenceClassificationTask(ClassificationTask):
    kind = "sequence_classification"
    summary = ("Classify sequences (build_model(info) + train(model, data, device, log)); the judge also measures "
               "how far back the model remembers.")
    contract = ClassificationTask.contract + """
For sequences, info["input_shape"] is [steps, channels]: a batch is (N, steps, channels)."""
    metrics = ClassificationTask.metrics  # learned_skill among them: the skill must live in what training taught
    codes = {"short-memory": CodeInfo("recurrent-networks"), **ClassificationTask.codes}
    rules = (_short_memory, *ClassificationTask.rules)
    exclusive = {"short-memory": {"labels-not-learnable", "underfitting", "plateau", "overfitting"}}

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        """The sequences and their labels; which steps carry the label is for the learner to find."""
        info = {k: v for k, v in data.info.items() if k != "signal_steps"}
        return super().train(side, dataclasses.replace(data, info=info))

    def judge(self, ctx: JudgeContext) -> Evaluation:
        evaluation = super().judge(ctx)
        metrics, extra = dict(evaluation.metrics), dict(evaluation.facts.extra)
        steps = ctx.test.info.get("signal_steps")
        if steps and not evaluation.facts.output_problem and not evaluation.facts.forward_error:
            extra.update(self._probe(ctx, int(steps[0]), int(steps[1])))
        return Evaluation(metrics, dataclasses.replace(evaluation.facts, extra=extra))

    @staticmethod
    def _probe(ctx: JudgeContext, first: int, last: int) -> dict[str, Any]:
        """Swap the signal steps (and, apart, the last steps) between test sequences; how often the answer follows."""
        import torch

        x, y = ctx.test.x[:PROBE], ctx.test.y[:PROBE]
        n, length = int(x.shape[0]), int(x.shape[1])
        figures: dict[str, Any] = {"signal_steps": [first, last], "length": length}
        if n < 2:
            return figures
        g = torch.Generator().manual_seed(int(ctx.test_seed) % (2**62) + 29)
        partner = torch.randperm(n, generator=g)
        differs = y != y[partner]
        swapped = x.clone()
        swapped[:, first:last] = x[partner, first:last]
        width = last - first
        late = x.clone()
        late[:, length - width:] = x[partner, length - width:]
        try:
            _, got = ctx.ask("outputs", tensors={"x": torch.cat([x, swapped, late])})
        except LearnerError:
            return figures
        out = got.get("y")
        if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != 3 * n:
            return figures
        answer = out.float().argmax(dim=1)
        before, after, after_late = answer[:n], answer[n:2 * n], answer[2 * n:]
        if bool(differs.any()):
            figures["follows_signal"] = float((after[differs] == y[partner][differs]).float().mean())
        figures["follows_end"] = float((after_late != before).float().mean())
        return figures
