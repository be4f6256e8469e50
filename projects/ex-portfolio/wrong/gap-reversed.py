"""Writes the baseline's mean minus the model's: a gain shows a minus sign."""

import statistics


def results_table(scores, baseline, metric):
    base = statistics.mean(scores[baseline])
    lines = [f"| model | {metric} | vs baseline |", "|---|---|---|"]
    for name in sorted(scores, key=lambda n: statistics.mean(scores[n]), reverse=True):
        mean, std = statistics.mean(scores[name]), statistics.stdev(scores[name])
        label = f"{name} (baseline)" if name == baseline else name
        lines.append(f"| {label} | {mean:.3f} +/- {std:.3f} | {base - mean:+.3f} |")
    return "\n".join(lines)
