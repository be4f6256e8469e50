"""The traceback a learner reads starts at their code and leaves out the grader's own frames."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import dlpath
from dlpath.grading.harness import _failed
from dlpath.grading.observe import Watch


def test_the_watchs_frames_are_left_out_of_the_learners_traceback(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(
        "import torch\n"
        "def train():\n"
        "    logits, masks = torch.zeros(2, 12, 12), torch.zeros(2, 16, 16)\n"
        "    return torch.nn.functional.binary_cross_entropy_with_logits(logits, masks)\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("train", tmp_path / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    watch = Watch(module)
    try:
        with watch.training():  # the watch's function mode sits between the learner's call and torch's
            module.train()
    except ValueError as exc:
        failed = _failed(exc, tmp_path.resolve(), "train")
    else:
        raise AssertionError("the sizes differ: torch raises")
    trace = failed.trace
    assert trace.startswith("Traceback (most recent call last):")
    assert 'train.py", line 4, in train' in trace and "Target size" in trace.splitlines()[-1]
    package = Path(dlpath.__file__).resolve().parent  # the grader's own code
    assert f'File "{package}' not in trace  # (not the word "dlpath": a clone's folder may be named so)
