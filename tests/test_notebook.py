"""dlpath in a notebook, run headlessly with a real kernel (nbclient + ipykernel).

The notebook does what a learner on Colab would: `!dlpath start mlp-spirals`,
puts the reference solution in place of the starter, `!dlpath check`s it, then
uses the Python API (`dlpath.next()`, `dlpath.check(path)`, `dlpath.gpu()`), and
takes a quiz both ways (`!dlpath quiz`, `dlpath.quiz(ID)`).
It asserts behaviour: a PASSED report, readable output, and no escape codes
other than colours (no live display, no cursor movement, no hyperlinks).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
# Colours (SGR: ESC [ ... m) are fine in a notebook; anything else is a stray code.
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _stray(text: str) -> list[str]:
    rest = _SGR.sub("", text)
    return re.findall(r"\x1b.{0,8}", rest)


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return data.get("text/plain", "") + data.get("text/html", "")


def test_a_notebook_starts_and_checks_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

    # the kernel inherits this environment: the venv's `dlpath` first on PATH, colours on
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("DLPATH_NOTEBOOK", raising=False)
    monkeypatch.delenv("DLPATH_PROJECTS", raising=False)
    project = tmp_path / "work" / "spirals"
    solution = REPO / "projects" / "mlp-spirals" / "solution" / "train.py"
    cells = [
        f"!dlpath start mlp-spirals {project}",
        f"import shutil\nshutil.copy({str(solution)!r}, {str(project / 'train.py')!r})",
        f"!dlpath check {project}",
        "import dlpath\ndlpath.next()",
        f"graded = dlpath.check({str(project)!r})\ngraded",
        "dlpath.gpu()",
        "!dlpath quiz first-network",  # no input reaches a `!` command: it prints the questions, never waits
        "dlpath.quiz('first-network')",  # this kernel takes no input either: the questions, and how to answer
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()

    outputs = [[_text(o) for o in cell.outputs] for cell in nb.cells]
    for cell, texts in zip(nb.cells, outputs):
        assert all(o.get("output_type") != "error" for o in cell.outputs), texts
        for text in texts:
            assert _stray(text) == [], (cell.source, text[:2000])

    started, _, checked, next_, api_check, gpu, shell_quiz, api_quiz = (_SGR.sub("", "".join(t)) for t in outputs)
    assert "Started mlp-spirals" in started
    plain = checked
    assert "PASSED" in plain and "mlp-spirals" in plain
    assert "Grading mlp-spirals" in plain  # progress as plain lines, not a live display
    assert "Next:" in next_ and "dlpath show" in next_
    assert "PASSED" in api_check and "Grading" in api_check
    assert "CheckOutcome(project='mlp-spirals', passed=True" in api_check  # the grade, returned
    assert "1/" in shell_quiz and "--answers" in shell_quiz
    assert "1/" in api_quiz and "dlpath.quiz('first-network', answers=" in api_quiz
    assert "PyTorch" in gpu
