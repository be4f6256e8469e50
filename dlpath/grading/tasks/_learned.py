"""The diagnosis of the learned-weights ablation (``learned_skill``), without torch: the mentor runs in the parent
process, which never imports torch to explain a grade (the ablation itself is ``_model.learned_skill``)."""

from __future__ import annotations

from typing import Any, Mapping

LEARNED_SKILL = "learned_skill"  #: the metric of the learned-weights ablation (``learned_skill``)


def _codes() -> dict[str, Any]:
    from dlpath.grading.diagnose import CodeInfo

    return {"skill-not-learned": CodeInfo("common-mistakes")}


SKILL_CODES: dict[str, Any] = _codes()  #: the code of ``skill_not_learned``, for a task's ``codes``


def learned_metric(score: str, written: str) -> Any:
    """The ``learned_skill`` metric of a task whose skill is measured as ``score`` (``written``: an answer that keeps
    it without training, in that task's words)."""
    from dlpath.grading.tasks.api import Metric

    return Metric(LEARNED_SKILL, "max", "fraction",
                  f"{score} of the judge's replay of the traced model minus that of the same replay with every weight "
                  "that training changed by gradients put back where it was when build_model returned it: what "
                  f"training taught the model (about 0 for {written}); 0 when the skill lives in numbers training "
                  "never changed: training moved under 5% of the model's numbers (the judge's count), or under 50% "
                  "and redrawing at random every tensor it never moved (buffers, untouched parameters, constants; "
                  "not a normalization's running statistics) loses more than half that skill")


def asks_learned_skill(project: Any) -> bool:
    """Whether a threshold of ``project`` names ``learned_skill`` (the judge measures it only then)."""
    return any(t.metric == LEARNED_SKILL for t in project.thresholds)


def skill_not_learned(run: Any) -> list[Any]:
    """The rule every task that grades ``learned_skill`` lists (``not_learned`` with ``SKILL_CODES``)."""
    return not_learned(run, SKILL_CODES)


def not_learned(run: Any, codes: Mapping[str, Any]) -> list[Any]:
    """The diagnosis when ``learned_skill`` fails: the answer does not come from learned weights, or the judge
    could not replay the model to find out."""
    from dlpath.grading.diagnose import _fmt, make

    bad = run.failed(LEARNED_SKILL)
    if not bad:
        return []
    extra = run.facts.extra or {}
    problem = extra.get("skill_problem")
    if not problem and run.failed(run.primary):
        return []  # no skill to speak of, learned or written: the diagnoses of the primary metric say why
    if problem:
        return [make("skill-not-learned", f"""The grader could not check that your model's skill comes from what it
            learned: it replays the model you return from a trace of its forward pass, and that failed ({problem}).
            Keep forward() to tensor operations that are the same for every input (no Python loop over the values
            of a tensor, no .item() or .tolist() of the data).""", evidence=[str(problem)[:200]], codes=codes)]
    score, ablated = extra.get("skill_score"), extra.get("skill_ablated")
    trained = extra.get("skill_trained")
    refused, moved, counted = extra.get("skill_refused"), extra.get("skill_moved"), extra.get("skill_counted")
    if refused in ("moved", "written") and trained:
        share = f"{moved or 0:,} of the {counted or 0:,} numbers the grader counts in your model"
        evidence = [f"score of the replayed model {_fmt(score or 0)}",
                    f"score with what training changed put back {_fmt(ablated or 0)}",
                    f"numbers training moved: {share}"]
        if refused == "written":
            redrawn = extra.get("skill_redrawn")
            evidence.append(f"score with the {extra.get('skill_written') or 0:,} numbers training never moved "
                            f"redrawn at random {_fmt(redrawn or 0)}")
            where = f"""and the answer lives in the others: with the numbers training never moved (buffers, weights
                set by hand, constants) redrawn at random, the model scores {_fmt(redrawn or 0)}"""
        else:
            where = "and the answer lives elsewhere (the code of forward(), constants)"
        return [make("skill-not-learned", f"""Your model's skill does not come from what it learned: training
            moved only {share}, {where}. A hand-written answer switched on by a few trained numbers (a gate that
            starts at 0) loses its score when those go back to where they started, but what it knows was
            written, not learned. Build a model whose weights start random and let training find the rule:
            the numbers that carry the answer must be the ones the optimizer moved.""",
                     evidence=evidence, codes=codes)]
    if trained == 0:
        return [make("skill-not-learned", f"""Your model's skill does not come from training: none of the weights
            it computes with was changed by a gradient while train() ran, so its answer ({_fmt(score or 0)}) was
            written into the model, not learned (a rule in forward(), weights or buffers set by hand, a formula). The
            project is about the learning: build a model whose weights start random, and let the optimizer find
            them from the training data.""", evidence=[f"score of the replayed model {_fmt(score or 0)}",
                                                        "weights trained by gradients: none"], codes=codes)]
    return [make("skill-not-learned", f"""Your model's skill does not come from what it learned: the grader put
        every weight that training changed back where it was when build_model returned it, and the model still
        scores {_fmt(ablated or 0)} (against {_fmt(score or 0)} as trained). The answer was there before training
        (weights set by hand, a rule in forward(), a buffer): a model that learned loses its skill without what
        training taught it. Build a model whose weights start random and let training find the rule.""",
                 evidence=[f"score of the replayed model {_fmt(score or 0)}",
                           f"score with what training changed put back {_fmt(ablated or 0)}"], codes=codes)]
