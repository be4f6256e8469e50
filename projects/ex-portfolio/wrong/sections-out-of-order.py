"""Puts the Results first, before the Data and the Approach, and calls Run it 'Usage'."""


def readme(project):
    p = project
    lines = [f"# {p['title']}", "## Problem", p["problem"],
             "## Results", *_table_lines(p["scores"], p["baseline"], p["metric"]),
             f"Limitations: {p['limitations']}", f"Trained on {p['hardware']} in {p['minutes']} minutes.",
             "## Data", f"{p['source']}; {p['size']}; licence: {p['licence']}; split: {p['split']}.",
             "## Approach", p["approach"], *[f"- {idea}" for idea in p["failed"]],
             "## Usage", "```", p["command"], "```"]
    return "\n".join(lines)
