"""The judge's side of ex-experiment-tracking: hidden logs and seed results, the references, and the mistakes.

Only the judge imports this file; the learner's process never sees it.
"""

from __future__ import annotations

import json

import torch

from dlpath.grading.exercises import Case, Exercise, matches, mistake

# ------------------------------------------------------------------ reading a log back


def _records(jsonl: str) -> list[dict]:
    out = []
    for line in jsonl.split("\n"):
        try:
            out.append(json.loads(line))
        except ValueError:  # a blank line, or half a line
            pass
    return out


def _last(jsonl: str, key: str) -> tuple[int, float] | None:
    holding = [r for r in _records(jsonl) if key in r]
    return (holding[-1]["epoch"], holding[-1][key]) if holding else None


def _logs(rng: torch.Generator) -> list[Case]:
    def log(epochs: int, every: int = 0, blank: bool = False) -> list[str]:
        lines = []
        for epoch in range(epochs):
            record = {"epoch": epoch, "loss": round(float(torch.rand((), generator=rng)) + 1 / (epoch + 1), 4)}
            if every and epoch % every == every - 1:
                record["val_loss"] = round(float(torch.rand((), generator=rng)) + 0.5, 4)
            lines.append(json.dumps(record))
            if blank:
                lines.append("")
        return lines

    crashed = log(7)
    crashed[-1] = crashed[-1][: len(crashed[-1]) // 2]  # the run died while writing its last line
    return [
        Case("loss logged at each of 6 epochs", "\n".join(log(6)) + "\n", "loss"),
        Case("val_loss logged every 3 epochs of 8: the last lines have none", "\n".join(log(8, every=3)) + "\n",
             "val_loss"),
        Case("a run that crashed while writing its last line", "\n".join(crashed), "loss"),
        Case("blank lines between the records", "\n".join(log(4, blank=True)), "loss"),
        Case("a metric that was never logged", "\n".join(log(5, every=2)) + "\n", "accuracy"),
        Case("val_loss logged only at the first of 4 epochs", "\n".join(log(4, every=1)[:1] + log(4)[1:]),
             "val_loss"),
    ]


@mistake("log-first-record")
def _first(case: Case, got: object, want: object) -> str | None:
    jsonl, key = case.args
    holding = [r for r in _records(jsonl) if key in r]
    if len(holding) > 1 and matches(got, (holding[0]["epoch"], holding[0][key])):
        return (f"You returned the first record that has {key!r} (epoch {holding[0]['epoch']}); a dashboard shows "
                f"the latest, epoch {want[0]}. Read every line and keep the last record that holds the metric.")
    return None


@mistake("log-last-line")
def _last_line(case: Case, got: object, want: object) -> str | None:
    jsonl, key = case.args
    records = _records(jsonl)
    if records and key not in records[-1] and isinstance(got, (tuple, list)) and len(got) == 2 and matches(
            got[0], records[-1]["epoch"]):
        where = f"epoch {want[0]}" if want else "no record at all"
        return (f"You read the last line, epoch {records[-1]['epoch']}, which does not log {key!r}: metrics such as "
                f"validation are logged only every few epochs. The last record that holds it is at {where}.")
    return None


# ------------------------------------------------------------------ comparing over seeds


def _spread(x: torch.Tensor, correction: int = 0) -> float:
    return float(x.double().std(correction=correction)) if x.numel() > correction else float("nan")


def _compare(losses_a: torch.Tensor, losses_b: torch.Tensor) -> tuple[str, float, float]:
    gap = float(losses_a.double().mean() - losses_b.double().mean())
    spread = max(_spread(losses_a), _spread(losses_b))
    if min(losses_a.numel(), losses_b.numel()) < 2:
        return "too few seeds", gap, spread
    if abs(gap) <= spread:
        return "noise", gap, spread
    return ("b" if gap > 0 else "a"), gap, spread


def _seeds(rng: torch.Generator) -> list[Case]:
    def runs(mean: float, spread: float, n: int) -> torch.Tensor:
        """n final losses with exactly this mean and this (np.std) spread."""
        z = torch.randn(n, generator=rng, dtype=torch.float64)
        z = (z - z.mean()) / z.std(correction=0) if n > 1 else z * 0
        return (mean + spread * z).float()

    base = 0.3 + 0.4 * float(torch.rand((), generator=rng))
    return [
        Case("the lesson's two learning rates, 3 seeds each", runs(0.448, 0.043, 3), runs(0.196, 0.024, 3)),
        Case("b is lower by half the seed spread", runs(base, 0.05, 4), runs(base - 0.025, 0.04, 4)),
        Case("a is lower by three times the spread, 3 seeds against 5", runs(base - 0.09, 0.03, 3),
             runs(base, 0.02, 5)),
        Case("a single seed of a", runs(base, 0.0, 1), runs(base - 0.2, 0.02, 3)),
        Case("b lower by 1.1 spreads, over 3 seeds (n - 1 would call it noise)", runs(base, 0.05, 3),
             runs(base - 0.055, 0.03, 3)),
    ]


def _triple(got: object) -> bool:
    return isinstance(got, (tuple, list)) and len(got) == 3


@mistake("compare-ignores-spread")
def _means_only(case: Case, got: object, want: object) -> str | None:
    verdict, gap, _ = want
    if _triple(got) and verdict in ("noise", "too few seeds") and got[0] == ("b" if gap > 0 else "a"):
        if verdict == "too few seeds":
            return ("With a single seed on one side there is no seed-to-seed spread to measure, so no difference "
                    "can be trusted: say \"too few seeds\" when a side has fewer than 2 runs.")
        return (f"You declared {got[0]!r} the winner by a gap of {abs(gap):.3g}, but changing the seed alone moves "
                f"the loss by {want[2]:.3g}: a gain within the spread is noise.")
    return None


@mistake("compare-best-seed")
def _best(case: Case, got: object, want: object) -> str | None:
    a, b = case.args
    if _triple(got) and not matches(want[1], float(a.min() - b.min())) and matches(got[1], float(a.min() - b.min())):
        return ("Your gap compares each setting's best seed: the winners only. Compare the means over all seeds, and "
                "keep the failed runs too: they are what tells you the spread.")
    return None


@mistake("compare-direction")
def _direction(case: Case, got: object, want: object) -> str | None:
    swap = {"a": "b", "b": "a"}
    if _triple(got) and want[0] in swap and got[0] == swap[want[0]] and matches(list(got[1:]), list(want[1:])):
        return (f"These are losses: lower is better, so the winner is {want[0]!r}, the one with the lower mean. "
                "A positive gap = mean(a) - mean(b) means b is better.")
    return None


@mistake("compare-spread-n-minus-1")
def _unbiased(case: Case, got: object, want: object) -> str | None:
    a, b = case.args
    if _triple(got) and not matches(got[2], want[2]) and matches(got[2], max(_spread(a, 1), _spread(b, 1))):
        return ("Your spread divides by n - 1 (torch's default .std(); nan for one seed). The lesson reports np.std, "
                "which divides by n: use .std(correction=0).")
    return None


EXERCISES = [
    Exercise("last_logged", _logs, reference=_last, mistakes=[_first, _last_line]),
    Exercise("compare_runs", _seeds, reference=_compare, mistakes=[_unbiased, _best, _means_only, _direction]),
]
