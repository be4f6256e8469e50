"""A README whose results say nothing of the hardware or the training time."""


def readme(project):
    p = project
    lines = [f"# {p['title']}", "## Problem", p["problem"],
             "## Data", f"{p['source']}; {p['size']}; licence: {p['licence']}; split: {p['split']}.",
             "## Approach", p["approach"], *[f"- {idea}" for idea in p["failed"]],
             "## Results", *_table_lines(p["scores"], p["baseline"], p["metric"]),
             f"Limitations: {p['limitations']}",
             "## Run it", "```", p["command"], "```"]
    return "\n".join(lines)
