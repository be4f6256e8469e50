"""``sequence_to_sequence``: a model that writes an answer after a prompt, graded on exact answers.

The data (``digit_strings``) is laid out for a next-token model: ``x`` is the text
``prompt answer`` without its last token, ``y`` the next token at each position
(-100 on the prompt). The learner's train.py declares how its model reads with a
module constant, ``CAUSAL``:

- ``CAUSAL = True``, a decoder: position t sees only tokens 0..t. The judge writes
  each answer itself, one token at a time (greedy: the highest score at the last
  written position, appended), so a model never sees an answer token it did not
  write. It also checks the promise: it changes one later token of a sequence and
  compares the earlier outputs, which must not move (``causal_leaks``).
- ``CAUSAL = False``, an encoder: the judge shows the prompt with every answer
  position blank (``info["blank"]``) and reads the whole answer in one pass.

Either way the answers are the judge's own reading of the model's scores on prompts
it drew from the hidden seed; the declaration only chooses how the judge asks, and
neither way shows the model an answer it did not write.
"""

from __future__ import annotations

from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import ContractError, Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, SplitData, Task
from dlpath.grading.tasks._learned import SKILL_CODES, learned_metric, skill_not_learned

CAUSAL_PROBES = 256  # sequences whose tokens the judge changes one at a time to test a decoder's promise
_TRAIN_ROWS = 1000  # training prompts graded beside the test (the train score for the diagnoses)


def _leak(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    leaks = run.metrics.get("causal_leaks")
    if not leaks or not run.failed("causal_leaks"):
        return []
    extra = run.facts.extra or {}
    forced = extra.get("teacher_forced_accuracy")
    exact = run.metrics.get("exact_match")
    contrast = ""
    tokens = extra.get("token_accuracy")
    if forced is not None and tokens is not None and forced - tokens > 0.3:
        contrast = (f" It shows: shown the true text (teacher forcing), your model gets {_pct(forced)} of the answer "
                    f"tokens right; writing the answer itself, {_pct(tokens)}.")
    return [make("causal-leak", f"""Your train.py says CAUSAL = True, but when the grader changed one token of a
        sequence, your model's outputs at earlier positions changed too ({_pct(leaks)} of the probes): each position
        sees the tokens after it. Trained that way, a decoder can read the very token it must predict (the next one
        in the input) instead of working it out, and its training loss can fall to almost nothing; when it has to
        write the answer, that token is not there yet.{contrast} Mask the attention scores above the diagonal before the softmax:
        scores.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool, device=scores.device), diagonal=1),
        float('-inf')) (or is_causal=True in F.scaled_dot_product_attention), in every attention layer.""",
                 evidence=[f"earlier outputs changed in {_pct(leaks)} of the probes"] + (
                     [f"teacher-forced token accuracy {_pct(forced)}"] if forced is not None else []) + (
                     [f"answers entirely right when writing {_pct(exact)}"] if exact is not None else []),
                 causes=("no causal mask", "a mask above the wrong diagonal or inverted", "a layer that mixes "
                         "positions outside attention (a pooling, a convolution over time)"),
                 codes=SequenceToSequenceTask.codes)]


def _peeks(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    extra = run.facts.extra or {}
    forced, exact = extra.get("teacher_forced_accuracy"), run.metrics.get("exact_match")
    if extra.get("causal") is not False or forced is None or exact is None or not run.failed("exact_match"):
        return []
    if forced < 0.9 or forced - (extra.get("token_accuracy") or 0.0) < 0.3:
        return []
    return [make("causal-leak", f"""Your train.py says CAUSAL = False (an encoder), and shown the true text your
        model gets {_pct(forced)} of the answer tokens right, but shown the prompt with the answer blanked it gets
        only {_pct(extra.get('token_accuracy') or 0.0)}: it learned to copy the next token of the answer it was given,
        not to work the answer out. Train it the way the grader asks: replace the answer part of data.x_train by
        info["blank"] (x[:, info["prompt_length"]:] = info["blank"]) before the forward pass, or build a decoder
        with a causal mask and say CAUSAL = True.""",
                 evidence=[f"teacher-forced token accuracy {_pct(forced)}",
                           f"token accuracy with blanks {_pct(extra.get('token_accuracy') or 0.0)}"],
                 codes=SequenceToSequenceTask.codes)]


def _order_blind(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    extra = run.facts.extra or {}
    bag, tokens = extra.get("content_accuracy"), extra.get("token_accuracy")
    order = extra.get("order_sensitivity")
    if bag is None or tokens is None or not run.failed("exact_match") or run.metrics.get("causal_leaks"):
        return []
    blind = isinstance(order, (int, float)) and order <= 0.05
    if not blind and (bag < 0.75 or bag - tokens < 0.2):
        return []
    if blind:
        seen = (f"When the grader swapped two different digits of the prompt, your model's scores for the first "
                f"answer digit changed in only {_pct(order)} of the probes: it reads the prompt as a set of digits, "
                "not as a sequence, so it cannot know which digit came last.")
        evidence = [f"scores changed when two prompt digits were swapped: {_pct(order)} of the probes",
                    f"digits in the right place {_pct(tokens)}"]
    else:
        seen = (f"Your model writes the right digits in the wrong places: {_pct(bag)} of the digits it writes "
                f"belong in the answer, but only {_pct(tokens)} are where they belong.")
        evidence = [f"digits that belong in the answer {_pct(bag)}", f"digits in the right place {_pct(tokens)}"]
    return [make("order-blind", f"""{seen} It knows what the prompt holds but not where each token sits:
        attention by itself treats a sequence as a set (a causal mask gives it only a blurry sense of order). Give
        every position its own learned vector and add it to the token embeddings (nn.Embedding(info["input_shape"][0],
        D) indexed by torch.arange(T)), or use sinusoidal positional encodings.""", evidence=evidence,
                 causes=("no positional information", "too little training to use the positions"),
                 codes=SequenceToSequenceTask.codes)]



class SequenceToSequenceTask(Task):
    kind = "sequence_to_sequence"
    summary = ("Write an answer after a prompt, token by token (build_model(info) + train(model, data, device, log) "
               "+ CAUSAL); graded on exact answers to fresh prompts.")
    contract = """\
build_model(info) -> torch.nn.Module
    The model maps token ids (N, T) int64 to raw scores (N, T, info["vocab_size"]): at each
    position, the scores of the token that comes next. info["input_shape"] is [T].
train(model, data, device, log) -> None (or the trained model)
    data.x_train (N, T) int64: the text "prompt answer" without its last token.
    data.y_train (N, T) int64: the next token at each position, -100 on the prompt (not graded;
    F.cross_entropy(..., ignore_index=-100) skips it). data.x_val, data.y_val likewise.
    log(epoch=..., train_loss=..., val_loss=...) records your learning curves. Leave the model in eval mode.
CAUSAL = True (a decoder) or False (an encoder), a module constant:
    True: position t sees only tokens 0..t. The grader writes each answer one token at a time
    (the highest score, appended) and checks that changing a later token never changes an
    earlier output. False: the grader blanks the answer (info["blank"]) and reads it in one pass.
The grader then asks for the answers to fresh prompts: an answer counts only if every token is right."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, device, log)", "CAUSAL = True")
    dataset_kinds = ("sequence_to_sequence",)
    metrics = (
        Metric("exact_match", "max", "fraction",
               "share of fresh prompts whose answer, as the grader reads it from the model, is right in every token"),
        Metric("token_accuracy", "max", "fraction", "share of answer tokens that are right"),
        learned_metric("the share of answer tokens right in one pass (shown the true text for a decoder, the answer "
                       "blanked for an encoder)", "an algorithm written in forward() or set by hand into the weights"),
        Metric("causal_leaks", "min", "fraction",
               "share of probes in which changing one token changed the model's outputs at an earlier position "
               "(a decoder's promise; 0 for an encoder, which is never shown an answer token)"),
    )
    primary = "exact_match"
    codes = {"causal-leak": CodeInfo("attention-transformers"), "order-blind": CodeInfo("attention-transformers"),
             **SKILL_CODES}
    rules = (_leak, _peeks, _order_blind, skill_not_learned)
    exclusive = {
        "causal-leak": {"underfitting", "overfitting", "plateau", "order-blind", "suspicious-validation"},
        "order-blind": {"underfitting", "plateau"},
    }

    # -- the learner process
    def train(self, side: LearnerSide, data: SplitData) -> Any:
        from dlpath.grading.tasks._model import train_module

        causal = getattr(side.module, "CAUSAL", None)
        if not isinstance(causal, bool):
            raise ContractError("train.py must say how its model reads, as a module constant: CAUSAL = True "
                                "(a decoder: position t sees only tokens 0..t) or CAUSAL = False (an encoder).")
        return train_module(side, data)

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        from dlpath.grading.tasks._model import answer_model

        if name == "declaration":
            return {"causal": bool(getattr(side.module, "CAUSAL", True))}, {}
        if name not in ("outputs", "artifact"):
            raise LearnerError(f"unknown request {name!r}")
        return answer_model(name, tensors, side.state, side.device)

    # -- the judge
    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._learned import asks_learned_skill
        from dlpath.grading.tasks._model import add_learned_skill, mix, shape_text

        test, public = ctx.test, ctx.public
        info = test.info
        prompt, answer_len = int(info["prompt_length"]), int(info["answer_length"])
        vocab, blank = int(info["vocab_size"]), int(info["blank"])
        length = prompt + answer_len - 1
        metrics: dict[str, float] = {"exact_match": 0.0, "token_accuracy": 0.0, "causal_leaks": 1.0}
        extra: dict[str, Any] = {}
        facts: dict[str, Any] = {"primary": self.primary, "expected_output": shape_text((len(test), length, vocab)),
                                 "chance_score": 0.1 ** answer_len, "extra": extra}
        try:
            values, _ = ctx.ask("declaration")
            causal = values.get("causal")
        except LearnerError as exc:
            facts["forward_error"] = str(exc)
            return Evaluation(metrics, Facts(**facts))
        causal = causal if isinstance(causal, bool) else True
        extra["causal"] = causal
        train_x, train_y = public.x_train[:_TRAIN_ROWS], public.y_train[:_TRAIN_ROWS]
        texts, (at_test, at_train, at_val) = mix([test.x, train_x, public.x_val], ctx.test_seed)
        truth = torch.empty_like(texts)
        truth[at_test], truth[at_train], truth[at_val] = test.y, train_y, public.y_val
        truth = truth[:, prompt - 1:]  # (N, A): the answers, in the mixed order
        try:
            written, problem = self._write(ctx, texts, prompt, answer_len, vocab, blank, causal)
        except LearnerError as exc:
            facts["forward_error"] = str(exc)
            return Evaluation(metrics, Facts(**facts))
        if problem:
            facts["output_problem"], facts["got_output"] = problem
            return Evaluation(metrics, Facts(**facts))
        facts["outputs_finite"] = True
        right = written == truth  # (N, A)

        def exact(rows: torch.Tensor) -> float:
            return float(right[rows].all(dim=1).float().mean()) if len(rows) else float("nan")

        metrics["exact_match"] = exact(at_test)
        metrics["token_accuracy"] = float(right[at_test].float().mean())
        facts["train_score"] = exact(at_train)
        facts["val_score"] = exact(at_val) if len(at_val) else None
        extra["token_accuracy"] = metrics["token_accuracy"]
        extra["content_accuracy"] = _content(written[at_test], truth[at_test], vocab)
        forced = self._teacher_forced(ctx, test.x[:CAUSAL_PROBES * 4], test.y[:CAUSAL_PROBES * 4], prompt)
        if forced is not None:
            extra["teacher_forced_accuracy"] = forced
        metrics["causal_leaks"] = self._leaks(ctx, test.x[:CAUSAL_PROBES], vocab) if causal else 0.0
        order = self._order(ctx, test.x[:CAUSAL_PROBES], prompt, vocab, blank)
        if order is not None:
            extra["order_sensitivity"] = order
        if asks_learned_skill(ctx.project):
            shown = test.x.clone()
            if not causal:
                shown[:, prompt:] = blank

            def read(out: torch.Tensor) -> float:  # answer tokens right, in one pass
                truth = test.y[:len(out), prompt - 1:]
                return float((out[:, prompt - 1:].argmax(dim=2) == truth).float().mean())

            add_learned_skill(ctx, shown, read, metrics, extra)
        return Evaluation(metrics, Facts(**facts))

    @staticmethod
    def _scores(ctx: JudgeContext, x: Any, vocab: int) -> Any:
        """The model's scores on ``x`` (N, T), checked to be (N, T, vocab) and finite; else a (problem, got) pair."""
        import torch

        from dlpath.grading.tasks._model import shape_text

        _, got = ctx.ask("outputs", tensors={"x": x})
        out = got.get("y")
        if not isinstance(out, torch.Tensor):
            raise LearnerError("the model's outputs did not come back")
        expected = (x.shape[0], x.shape[1], vocab)
        if tuple(out.shape) != expected or not out.is_floating_point():
            got_text = shape_text(out.shape, str(out.dtype).replace("torch.", ""))
            return (f"your model's output has shape {got_text}; the grader expected "
                    f"{shape_text(expected)}: at each position, one raw score per token of the vocabulary", got_text)
        out = out.float()
        return torch.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)

    def _write(self, ctx: JudgeContext, texts: Any, prompt: int, answer_len: int, vocab: int, blank: int,
               causal: bool) -> tuple[Any, Any]:
        """The answers the model writes to the prompts of ``texts`` (N, A), the way ``causal`` says it reads."""
        import torch

        x = texts.clone()
        x[:, prompt:] = blank  # nothing of the answer is shown
        if not causal:
            scores = self._scores(ctx, x, vocab)
            if isinstance(scores, tuple):
                return None, scores
            return scores[:, prompt - 1:].argmax(dim=2), None
        written = torch.empty(x.shape[0], answer_len, dtype=torch.long)
        for k in range(answer_len):
            scores = self._scores(ctx, x, vocab)
            if isinstance(scores, tuple):
                return None, scores
            written[:, k] = scores[:, prompt - 1 + k].argmax(dim=1)
            if prompt + k < x.shape[1]:
                x[:, prompt + k] = written[:, k]
        return written, None

    def _teacher_forced(self, ctx: JudgeContext, x: Any, y: Any, prompt: int) -> float | None:
        """Share of answer tokens right when the model is shown the true text (advice: a model that peeks shines here)."""
        try:
            scores = self._scores(ctx, x, int(ctx.test.info["vocab_size"]))
        except LearnerError:
            return None
        if isinstance(scores, tuple) or not len(x):
            return None
        return float((scores[:, prompt - 1:].argmax(dim=2) == y[:, prompt - 1:]).float().mean())

    def _leaks(self, ctx: JudgeContext, x: Any, vocab: int) -> float:
        """Share of (sequence, position) probes where changing the token at the position moved an earlier output."""
        import torch

        n, length = int(x.shape[0]), int(x.shape[1])
        if n == 0 or length < 2:
            return 0.0
        g = torch.Generator().manual_seed(int(ctx.test_seed) % (2**62) + 43)
        positions = torch.arange(1, length)
        probes = x.repeat_interleave(len(positions), dim=0)  # (n * (T-1), T)
        where = positions.repeat(n)
        shift = torch.randint(1, 10, (len(probes),), generator=g)
        rows = torch.arange(len(probes))
        probes[rows, where] = (probes[rows, where] + shift) % 10  # another digit
        try:
            base = self._scores(ctx, x, vocab)
            moved = self._scores(ctx, probes, vocab)
        except LearnerError:
            return 1.0
        if isinstance(base, tuple) or isinstance(moved, tuple):
            return 1.0
        base = base.repeat_interleave(len(positions), dim=0)
        scale = 1e-4 * (1.0 + float(base.abs().max()))
        earlier = torch.arange(length).unsqueeze(0) < where.unsqueeze(1)  # (P, T)
        difference = (moved - base).abs().amax(dim=2)  # (P, T)
        leaked = ((difference > scale) & earlier).any(dim=1)
        return float(leaked.float().mean())


    def _order(self, ctx: JudgeContext, x: Any, prompt: int, vocab: int, blank: int) -> float | None:
        """Share of probes in which swapping two different tokens of the prompt changed the model's scores for
        the first answer token. A model with no sense of position (attention without positional information)
        gives exactly the same scores: it reads the prompt as a set."""
        import torch

        if len(x) == 0 or prompt < 3:
            return None
        g = torch.Generator().manual_seed(int(ctx.test_seed) % (2**62) + 47)
        x = x.clone()
        x[:, prompt:] = blank
        i = torch.randint(0, prompt - 2, (len(x),), generator=g)
        j = i + 1 + (torch.rand(len(x), generator=g) * (prompt - 2 - i)).long()  # i < j < prompt - 1
        rows = torch.arange(len(x))
        keep = x[rows, i] != x[rows, j]
        if not bool(keep.any()):
            return None
        x, i, j, rows = x[keep], i[keep], j[keep], torch.arange(int(keep.sum()))
        swapped = x.clone()
        swapped[rows, i], swapped[rows, j] = x[rows, j], x[rows, i]
        try:
            base, moved = self._scores(ctx, x, vocab), self._scores(ctx, swapped, vocab)
        except LearnerError:
            return None
        if isinstance(base, tuple) or isinstance(moved, tuple):
            return None
        if float(base[:, prompt - 1].std()) == 0.0:
            return None  # the same scores for every prompt (NaN outputs read as 0, say): nothing to compare
        scale = 1e-4 * (1.0 + float(base.abs().max()))
        changed = (moved[:, prompt - 1] - base[:, prompt - 1]).abs().amax(dim=1) > scale
        return float(changed.float().mean())


def _content(written: Any, truth: Any, vocab: int) -> float:
    """Share of written tokens that belong in the answer, order aside (the multiset overlap, per answer)."""
    import torch

    if not len(written):
        return 0.0
    mine = torch.nn.functional.one_hot(written.clamp(0, vocab - 1), vocab).sum(dim=1)
    right = torch.nn.functional.one_hot(truth.clamp(0, vocab - 1), vocab).sum(dim=1)
    return float(torch.minimum(mine, right).sum() / written.numel())
