"""Charts in lesson bodies (issue 24 item 7): read, checked by `validate`, drawn by `dlpath show`."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from dlpath.cli import app
from dlpath.course.loading import load_curriculum
from dlpath.grading.project import validate_course
from dlpath.course.charts import Chart, ChartProblem, parse_chart, split_body
from dlpath.render import lessons as render

CHART = """\
title: Loss by step
x: step
y: loss
series:
  lr 0.1: [4.0, 2.0, 1.0, 0.5]
  lr 0.9: [[0, 4.0], [1, 3.0], [2, 3.5]]
"""

BODY = f"Before the chart.\n\n```chart\n{CHART}```\n\nAfter the chart.\n"


def test_a_chart_block_is_read_into_plain_data() -> None:
    chart = parse_chart(CHART, line=3)
    assert chart.title == "Loss by step" and (chart.x_label, chart.y_label, chart.kind) == ("step", "loss", "line")
    first, second = chart.series
    assert first.name == "lr 0.1" and first.points == ((0.0, 4.0), (1.0, 2.0), (2.0, 1.0), (3.0, 0.5))
    assert second.points == ((0.0, 4.0), (1.0, 3.0), (2.0, 3.5))
    assert chart.line == 3


@pytest.mark.parametrize("text, message", [
    ("series: {a: [1]}\n", "needs a 'title'"),
    ("title: T\n", "'series' maps"),
    ("title: T\nseries: {a: []}\n", "non-empty list"),
    ("title: T\nseries: {a: [1, two]}\n", "'two' is not a finite number"),
    ("title: T\nseries: {a: [[1, 2, 3]]}\n", "pair [x, y]"),
    ("title: T\nkind: pie\nseries: {a: [1]}\n", "use one of line, scatter"),
    ("title: T\nlog_y: true\nseries: {a: [1, 0]}\n", "above 0"),
    ("title: T\ncolour: red\nseries: {a: [1]}\n", "unknown key(s) colour"),
    ("title: T\nseries: {a: [1], b: [1], c: [1], d: [1], e: [1], f: [1]}\n", "5 at most"),
    ("title: [unclosed\n", "not valid YAML"),
    ("- just a list\n", "is a mapping"),
])
def test_a_malformed_chart_says_what_to_fix(text: str, message: str) -> None:
    with pytest.raises(ChartProblem, match=re.escape(message)):
        parse_chart(text)


def test_a_body_is_cut_into_text_and_charts_in_order() -> None:
    before, chart, after = split_body(BODY)
    assert before.startswith("Before") and after.strip() == "After the chart."
    assert isinstance(chart, Chart) and chart.line == 3
    broken = split_body("Text\n```chart\ntitle: T\n```\n")
    assert isinstance(broken[1], ChartProblem) and broken[1].line == 2
    # other fences are left to Markdown, and so is an unclosed chart fence
    assert split_body("```python\nx = 1\n```\n") == ["```python\nx = 1\n```\n"]
    assert split_body("```chart\ntitle: T\n") == ["```chart\ntitle: T\n"]


def _view(body: str):
    import dataclasses

    from dlpath.course import planner

    course = load_curriculum(None)
    view = planner.lesson_view(course, course.by_id["gradient-descent"], "available")
    return dataclasses.replace(view, body=body)


def test_show_draws_a_chart_within_80_columns() -> None:
    out = io.StringIO()
    render.show(_view(BODY), Console(file=out, width=80, color_system=None))
    text = out.getvalue()
    assert "Before the chart." in text and "After the chart." in text
    assert "Loss by step" in text and "lr 0.1" in text and "lr 0.9" in text
    assert "title:" not in text and "series:" not in text  # drawn, not shown as YAML
    assert "┌" in text and "step" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_show_names_a_broken_chart_instead_of_failing() -> None:
    out = io.StringIO()
    render.show(_view("Intro.\n\n```chart\ntitle: T\nseries: {a: [1, x]}\n```\n"), Console(file=out, width=80))
    text = " ".join(out.getvalue().split())
    assert "The chart at line 3 of this lesson cannot be drawn: series 'a': 'x' is not a finite number" in text


def test_validate_reports_a_broken_chart_with_its_file_and_line(tmp_path: Path) -> None:
    from tests.test_validate import make

    root = make(tmp_path)
    (root / "lessons" / "beta.md").write_text("# beta\n\nText.\n\n```chart\ntitle: T\nkind: pie\nseries: {a: [1]}\n```\n")
    found = validate_course(root).problems
    assert [(Path(p.file).name, p.line, p.message) for p in found] == [
        ("beta.md", 5, "lesson 'beta': chart: 'kind' is 'pie'; use one of line, scatter")]


def test_the_shipped_lessons_draw_their_key_figures() -> None:
    course = load_curriculum(None)
    drawn = {l.id for l in course.lessons for p in split_body(course.body(l)) if isinstance(p, Chart)}
    assert {"gradient-descent", "calibration", "overfitting-underfitting"} <= drawn
    found = validate_course(None).problems
    assert [str(p) for p in found if ": chart: " in p.message] == []


def test_show_with_a_chart_does_not_import_torch(tmp_path: Path) -> None:
    code = textwrap.dedent("""
        import sys
        from typer.testing import CliRunner
        from dlpath.cli import app
        result = CliRunner().invoke(app, ["show", "calibration"])
        print(result.exit_code, "Reliability diagram" in result.output, "torch" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "DLPATH_HOME": str(tmp_path)}, timeout=120)
    assert done.stdout.split() == ["0", "True", "False"], done.stderr


def test_show_json_keeps_the_chart_as_data(runner) -> None:
    result = runner.invoke(app, ["show", "calibration", "--json"])
    assert result.exit_code == 0
    assert "```chart\ntitle: " in json.loads(result.output)["body"]
