"""Writes the rows in the order of the scores dict, not best first."""

import statistics


def results_table(scores, baseline, metric):
    base = statistics.mean(scores[baseline])
    lines = [f"| model | {metric} | vs baseline |", "|---|---|---|"]
    for name in scores:
        mean, std = statistics.mean(scores[name]), statistics.stdev(scores[name])
        label = f"{name} (baseline)" if name == baseline else name
        lines.append(f"| {label} | {mean:.3f} +/- {std:.3f} | {mean - base:+.3f} |")
    return "\n".join(lines)
