"""A complete README that leaves out the ideas that did not work."""


def readme(project):
    p = project
    lines = [f"# {p['title']}", "## Problem", p["problem"],
             "## Data", f"{p['source']}; {p['size']}; licence: {p['licence']}; split: {p['split']}.",
             "## Approach", p["approach"],
             "## Results", *_table_lines(p["scores"], p["baseline"], p["metric"]),
             f"Limitations: {p['limitations']}", f"Trained on {p['hardware']} in {p['minutes']} minutes.",
             "## Run it", "```", p["command"], "```"]
    return "\n".join(lines)
