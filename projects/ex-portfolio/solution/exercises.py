"""A results table with its baseline, and a README a stranger can follow (lesson: portfolio).

A reference solution. Grade it from this folder with:

    dlpath check
"""

import statistics


def _table_lines(scores, baseline, metric):
    """The table's lines: the header, the separator, then | name | mean +/- std | mean - baseline's mean |."""
    base = statistics.mean(scores[baseline])
    lines = [f"| model | {metric} | vs baseline |", "|---|---|---|"]
    for name in sorted(scores, key=lambda n: statistics.mean(scores[n]), reverse=True):  # best first
        mean, std = statistics.mean(scores[name]), statistics.stdev(scores[name])
        label = f"{name} (baseline)" if name == baseline else name  # the row every other one is judged by
        lines.append(f"| {label} | {mean:.3f} +/- {std:.3f} | {mean - base:+.3f} |")
    return lines


def results_table(scores, baseline, metric):
    """A Markdown table of every model over its seeds, best first, the baseline included."""
    return "\n".join(_table_lines(scores, baseline, metric))


def readme(project):
    """The five sections of the lesson, in order, with the facts a stranger needs to trust and rerun it."""
    p = project
    lines = [f"# {p['title']}", "", "## Problem", p["problem"], "",
             "## Data", f"{p['source']}; {p['size']}; licence: {p['licence']}; split: {p['split']}.", "",
             "## Approach", p["approach"], "", "What did not work:"]
    lines += [f"- {idea}" for idea in p["failed"]]  # failed ideas show judgement
    lines += ["", "## Results", *_table_lines(p["scores"], p["baseline"], p["metric"]), "",
              f"Limitations: {p['limitations']}",
              f"Trained on {p['hardware']} in {p['minutes']} minutes.", "",
              "## Run it", "```", p["command"], "```"]
    return "\n".join(lines)


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")
