"""``generation``: a generator (a GAN's, for instance) graded on the samples it makes from the judge's noise.

The learner's model is the generator: noise in, samples out. The judge draws its own
noise from the hidden seed, sends it (inputs only), gets the samples back, and
measures them against the data set's modes (``info["centers"]``, ``info["std"]``):
the share of samples near a mode, how many modes get a fair part of them, and how
much of the data the samples cover (fresh real points with a sample close by: a
generator that puts every sample on a mode's centre covers little). The learner's
own losses (a GAN's are notoriously uninformative) are curves for the mentor, never
a metric.

The learner's process receives the real points only: not where the modes are
(``centers``, ``std``), nor which mode each point came from (``y``), which would let a
generator be written by hand instead of learned. They are left out of the public data
the judge sends, not only out of what ``train`` is handed: whatever reaches that process,
the learner's code can reach (a caller's frame holds it).

Two checks that the samples come from a generator that learned (measured when a threshold
names them): ``learned_skill``, the coverage lost when the judge puts the generator's trained
weights back where they started (a table of the training points kept in a buffer, or weights set
by hand, lose nothing), and ``copying``, which needs no trace: the judge knows the public training
points and compares how close the generated samples sit to them with how close fresh real points
of the same world, which the learner never saw, sit to them. Samples that are training points
(given back exactly or a hair away) sit closer than fresh data do. A replay jittered as wide as
the data's own spacing (a fifth of a mode's standard deviation) reads as new data to ``copying``
(0.52 against about 0.5): ``learned_skill`` is what refuses a table kept in a buffer, ``copying``
one whose table was fitted by gradients.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerSide, Metric, ModelTask, SplitData
from dlpath.grading.tasks._learned import SKILL_CODES, learned_metric, skill_not_learned

NEAR = 3.0  # a sample is near a mode within this many of the mode's standard deviations
FAIR = 0.5  # a mode is covered when it holds at least this share of its fair part (1 / modes) of all samples
_OFF = 0.3  # fewer samples than this near any mode: the generator has not found the data
COVER = 1.0  # a real point is covered when a sample lies within this many of the modes' standard deviations
HIDDEN_INFO = ("centers", "std")  # what locates the modes: the judge's, never the learner's
ON = 0.02  # a point sits on a training point within this many of the modes' standard deviations (the evidence)


def _collapse(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    extra = run.facts.extra or {}
    covered, modes = run.metrics.get("modes_covered"), extra.get("modes")
    quality = run.metrics.get("quality")
    if covered is None or modes is None or quality is None or quality < _OFF or not run.failed("modes_covered"):
        return []
    shares = extra.get("mode_shares") or []
    listed = ", ".join(_pct(s) for s in shares)
    return [make("mode-collapse", f"""Your generator's samples land on only {int(covered)} of the {modes} modes
        (share of the samples near each mode: {listed}; a fair share is {_pct(1 / modes)}). This is mode collapse:
        the generator found a few places the discriminator accepts and stays there, and a discriminator that judges
        one sample at a time cannot see that every sample looks alike. Give the discriminator a view of the whole
        batch (a minibatch standard deviation feature, or several samples packed into one input, as PacGAN does),
        or keep it smooth so its gradient points the generator towards every mode: an R1 penalty on its gradient at
        real samples, or spectral normalization. Judge by the samples, not the losses: plot a few thousand.""",
                 evidence=[f"modes covered {int(covered)} of {modes}", f"near-mode shares {listed}"],
                 causes=("a discriminator that sees one sample at a time", "no regularization of the discriminator",
                         "learning rates or Adam betas that make the pair oscillate"),
                 codes=GenerationTask.codes)]


def _narrow(run: Any) -> list[Any]:
    """Every mode found, but the samples piled on a few points of each: they cover little of the data."""
    from dlpath.grading.diagnose import _fmt, _pct, make

    coverage = run.metrics.get("coverage")
    if coverage is None or not run.failed("coverage") or run.failed("modes_covered") or run.failed("quality"):
        return []
    extra = run.facts.extra or {}
    spread = extra.get("sample_spread")
    return [make("mode-collapse", f"""Your generator finds every mode, but within each it puts its samples on a
        few points: only {_pct(coverage)} of fresh real points have a sample close by (within one standard deviation
        of the data's spread around a mode). A generator must reproduce the data, spread included, not its centres:
        this is mode collapse inside each mode. The cures are those of mode collapse: a discriminator that sees the
        batch's spread (a minibatch standard deviation feature), a smooth discriminator (an R1 penalty), and a
        generator that uses every dimension of its noise.""",
                 evidence=[f"real points covered {_pct(coverage)}"] + (
                     [f"sample spread {_fmt(spread)} against {_fmt(extra.get('data_spread'))} for the data"]
                     if spread is not None else []), codes=GenerationTask.codes)]


def _off_data(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _fmt, _pct, make

    extra = run.facts.extra or {}
    quality = run.metrics.get("quality")
    if quality is None or quality >= _OFF or not run.failed() or run.observation.parameters_changed is False:
        return []
    spread = extra.get("sample_spread")
    still = ""
    if spread is not None and spread < 0.1 * (extra.get("data_spread") or 1.0):
        still = (f" Its samples hardly vary (spread {_fmt(spread)} against {_fmt(extra.get('data_spread'))} for the "
                 "data): it ignores its noise.")
    return [make("samples-off-data", f"""Only {_pct(quality)} of your generator's samples land near any mode of the
        data.{still} The pair has not settled: check the loop first (the discriminator's step must use
        fake.detach(), the generator's step must not; the generator's loss is the non-saturating one,
        BCE(D(G(z)), 1)), then the balance (one discriminator step per generator step, Adam with betas (0.5, 0.999),
        learning rates around 1e-3 to 2e-4), then train longer.""", evidence=[f"samples near a mode {_pct(quality)}"],
                 causes=("a mistake in the alternating loop", "a discriminator that wins too easily", "too few steps"),
                 codes=GenerationTask.codes)]


def _copies(run: Any) -> list[Any]:
    """The samples sit on the training points more often than fresh real points do: the data replayed."""
    from dlpath.grading.diagnose import _pct, make

    copying = run.metrics.get("copying")
    if copying is None or not run.failed("copying"):
        return []
    extra = run.facts.extra or {}
    on, real_on = extra.get("samples_on_training"), extra.get("real_on_training")
    evidence = [f"copying {copying:.3f} (fresh real points: about 0.5)"]
    if on is not None and real_on is not None:
        evidence.append(f"samples on a training point {_pct(on)}, fresh real points {_pct(real_on)}")
    return [make("replays-training-data", f"""Your generator's samples sit on the training points: a sample lies
        closer to its nearest training point than a fresh real point does {_pct(copying)} of the time, where a
        generator that reproduces the data (or fresh data itself, which the grader draws from the same
        distribution and you never saw) scores about 50%. It gives back data.x_train (or points a hair away from
        them) rather than new samples: a lookup table of the training set is not a generative model. Train a
        generator that maps noise to new points, and judge it by samples that are not in the training set.""",
                 evidence=evidence,
                 causes=("a generator that indexes or stores the training points",
                         "a generator trained to reproduce training points one by one"),
                 codes=GenerationTask.codes)]


LEARNED = learned_metric("coverage (of the samples the judge replays)",
                         "a generator that replays the training points from a buffer or a plain tensor, or whose "
                         "weights were set by hand")


class GenerationTask(ModelTask):
    kind = "generation"
    summary = ("Build a generator (build_model(info) + train(model, data, device, log)); graded on the samples it "
               "makes from the grader's noise: modes covered and the share near a mode.")
    contract = """\
build_model(info) -> torch.nn.Module
    The generator: it maps noise (N, info["noise_dim"]), drawn from a standard normal, to
    samples shaped like the data, (N, *info["input_shape"]).
train(model, data, device, log) -> None (or the trained generator)
    data.x_train (N, 2) float32: samples of the real data (no labels: data.y_train is None).
    Build the discriminator inside train and train both.
    log(epoch=..., d_loss=..., g_loss=...) records your curves. Leave the generator in eval mode.
The grader feeds the generator its own noise and measures the samples: the share that lands
near a mode of the data, and how many modes get a fair part of them."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, data, device, log)")
    dataset_kinds = ("mixture",)
    metrics = (
        Metric("modes_covered", "max", "modes",
               f"modes that receive at least {FAIR:.0%} of their fair share (1 / modes) of the samples, counting "
               f"samples within {NEAR:g} standard deviations of a mode's centre"),
        Metric("quality", "max", "fraction",
               f"share of the samples within {NEAR:g} standard deviations of some mode's centre"),
        Metric("coverage", "max", "fraction",
               f"share of fresh real points (drawn by the judge) with a generated sample within {COVER:g} standard "
               "deviation of them: samples piled on the modes' centres cover little of the data"),
        Metric("parameters", "min", "numbers",
               "every number the generator computes with, counted by the judge on a trace of it"),
        Metric("copying", "min", "fraction",
               "chance that a generated sample lies closer to its nearest training point than a fresh real point "
               "(drawn by the judge, never seen by the learner) lies to its own (ties count half): about 0.5 for "
               "samples as new as fresh data, 1 for the training points given back"),
        LEARNED,
    )
    primary = "modes_covered"
    codes = {"mode-collapse": CodeInfo("gans"), "samples-off-data": CodeInfo("gans"),
             "replays-training-data": CodeInfo("gans"), **SKILL_CODES}
    rules = (_collapse, _narrow, _off_data, _copies, skill_not_learned)
    exclusive = {"mode-collapse": {"underfitting", "plateau", "no-learning"},
                 "samples-off-data": {"underfitting", "plateau"}}

    def public_data(self, project: Any, seed: int, world: int | None = None) -> SplitData:
        """The real points, and nothing that says where the modes are (the judge keeps those in its test data)."""
        data = super().public_data(project, seed, world)
        info = {k: v for k, v in data.info.items() if k not in HIDDEN_INFO}
        return dataclasses.replace(data, y_train=None, y_val=None, info=info)

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        """The real points, and nothing that says where the modes are."""
        info = {k: v for k, v in data.info.items() if k not in HIDDEN_INFO}
        return super().train(side, dataclasses.replace(data, y_train=None, y_val=None, info=info))

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import model_outputs, shape_text

        info = ctx.test.info
        n = max(len(ctx.test), 1000)
        g = torch.Generator().manual_seed(int(ctx.test_seed) % (2**62) + 67)
        noise = torch.randn(n, int(info["noise_dim"]), generator=g)  # the judge's own noise
        got = model_outputs(ctx, noise)
        centers = torch.tensor(info["centers"], dtype=torch.float32)  # (K, D)
        modes = int(centers.shape[0])
        metrics: dict[str, float] = {"modes_covered": 0.0, "quality": 0.0, "coverage": 0.0}
        if got.parameters is not None:
            metrics["parameters"] = float(got.parameters)
        extra: dict[str, Any] = {"modes": modes}
        shape = (n, *info["input_shape"])
        facts: dict[str, Any] = {"primary": self.primary, "expected_output": shape_text(shape),
                                 "forward_error": got.forward_error, "parameters": got.parameters,
                                 "replay": got.replay, "extra": extra}
        out = got.outputs
        if out is None:
            return Evaluation(metrics, Facts(**facts))
        if tuple(out.shape) != shape or not out.is_floating_point():
            facts["got_output"] = shape_text(out.shape, str(out.dtype).replace("torch.", ""))
            facts["output_problem"] = (f"your generator's output has shape {facts['got_output']}; the grader "
                                       f"expected {shape_text(shape)}: one sample per row of noise")
            return Evaluation(metrics, Facts(**facts))
        out = out.float().reshape(n, -1)
        finite = torch.isfinite(out).all(dim=1)
        facts["outputs_finite"] = bool(finite.all())
        distance = torch.cdist(torch.nan_to_num(out, nan=1e6, posinf=1e6, neginf=-1e6), centers)  # (n, K)
        nearest, which = distance.min(dim=1)
        near = (nearest <= NEAR * float(info["std"])) & finite
        counts = torch.bincount(which[near], minlength=modes).float()
        metrics["quality"] = float(near.float().mean())
        metrics["modes_covered"] = float((counts >= FAIR * n / modes).sum())
        real = ctx.test.x.float().reshape(len(ctx.test), -1)
        metrics["coverage"] = _coverage(real, out[finite], COVER * float(info["std"]))
        if any(t.metric == "copying" for t in ctx.project.thresholds):
            _copying(ctx.public.x_train.float().reshape(len(ctx.public.x_train), -1), out[finite], real,
                     float(info["std"]), metrics, extra)
        from dlpath.grading.tasks._model import add_learned_skill

        add_learned_skill(ctx, noise, lambda got: _coverage(real, _finite_rows(got), COVER * float(info["std"])),
                          metrics, extra)
        extra["mode_shares"] = [round(float(c) / n, 4) for c in counts]
        extra["sample_spread"] = float(out[finite].std(dim=0).mean()) if int(finite.sum()) > 1 else 0.0
        extra["data_spread"] = float(ctx.public.x_train.std(dim=0).mean()) if len(ctx.public.x_train) > 1 else None
        return Evaluation(metrics, Facts(**facts))


def _coverage(real: Any, samples: Any, radius: float) -> float:
    """Share of the real points with a sample within ``radius`` (in chunks: the distances are real x samples)."""
    import torch

    if not len(real) or not len(samples):
        return 0.0
    covered = 0
    for start in range(0, len(real), 1024):
        chunk = real[start:start + 1024]
        covered += int((torch.cdist(chunk, samples).amin(dim=1) <= radius).sum())
    return covered / len(real)


def _finite_rows(samples: Any) -> Any:
    """The finite rows of ``samples`` flattened to (N, D) (the replay's samples, for the learned-weights score)."""
    import torch

    samples = samples.float().reshape(len(samples), -1)
    return samples[torch.isfinite(samples).all(dim=1)]


def _nearest(points: Any, to: Any) -> Any:
    """Each row of ``points``: its distance to the nearest row of ``to`` (in chunks)."""
    import torch

    if not len(points) or not len(to):
        return torch.full((len(points),), float("inf"))
    return torch.cat([torch.cdist(points[s:s + 1024], to).amin(dim=1) for s in range(0, len(points), 1024)])


def _copying(train: Any, samples: Any, real: Any, std: float, metrics: dict[str, float],
             extra: dict[str, Any]) -> None:
    """``copying``: the chance that a sample sits closer to the training points than a fresh real point does (the
    Mann-Whitney statistic of the two sets of nearest-training-point distances, ties half), and the evidence."""
    import torch

    from dlpath.grading.tasks.anomaly_detection import roc_auc

    if not len(samples) or not len(real) or not len(train):
        metrics["copying"] = 0.0
        return
    generated, fresh = _nearest(samples, train), _nearest(real, train)
    scores = -torch.cat([generated, fresh])  # closer to a training point: higher
    labels = torch.cat([torch.ones(len(generated)), torch.zeros(len(fresh))])
    metrics["copying"] = roc_auc(scores, labels)
    extra["samples_on_training"] = round(float((generated <= ON * std).float().mean()), 4)
    extra["real_on_training"] = round(float((fresh <= ON * std).float().mean()), 4)
