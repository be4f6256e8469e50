"""Similar submissions: on a synthetic class of 30 (tests/synthetic_class.py), the disguised copies are flagged and
the independent solutions and buggy fills of the starter are not; each disguise on its own; what is left out."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from dlpath.grading import similarity
from dlpath.grading.similarity import code_in_text, compare_sources, compare_submissions, normalise
from dlpath.grading.submissions import find_submissions
from dlpath.grading.project import load_project
from tests.synthetic_class import BUGGY, COPIES, EXPECTED_PAIRS, INDEPENDENT_DIR, TRANSFORMS, make_class, sources


@pytest.fixture(scope="module")
def spirals():
    return load_project("mlp-spirals")


def _texts(source: str) -> list[str]:
    return [t.text for t in normalise(source)]


def test_the_copies_are_flagged_and_nobody_else(tmp_path: Path, spirals) -> None:
    folder = make_class(tmp_path / "class", spirals.path)
    with zipfile.ZipFile(folder / "rosa.zip", "w") as archive:  # one copy handed in as a zip of its folder
        archive.write(folder / "rosa" / "train.py", "rosa/train.py")
    for path in (folder / "rosa").iterdir():
        path.unlink()
    (folder / "rosa").rmdir()
    found, _ = find_submissions(folder)
    assert len(found) == 30
    report = compare_submissions(spirals, found)
    assert report.not_compared == {} and len(report.compared) == 30
    flagged = {frozenset((p.a, p.b)) for p in report.flagged}
    assert flagged == EXPECTED_PAIRS  # precision and recall 1 at the threshold, on this class
    copies = [p for p in report.pairs if frozenset((p.a, p.b)) in EXPECTED_PAIRS]
    others = [p for p in report.pairs if frozenset((p.a, p.b)) not in EXPECTED_PAIRS]
    assert min(p.similarity for p in copies) > 0.9
    assert max(p.similarity for p in others if p.tokens >= similarity.MIN_TOKENS) < similarity.WORTH_A_LOOK
    assert report.pairs[0].similarity >= report.pairs[-1].similarity  # ranked
    for student in BUGGY:  # a fill of the starter's TODOs is mostly the starter: little of it is their own
        assert report.own_tokens[student] < report.own_tokens["chen"] / 3


def test_each_disguise_alone_leaves_the_copy_recognisable(spirals) -> None:
    original = (INDEPENDENT_DIR / "dara.py").read_text()
    for name, transform in TRANSFORMS.items():
        disguised = transform(original, random.Random(name))
        assert disguised != original
        report = compare_sources({"dara": {"train.py": original}, "copy": {"train.py": disguised}})
        assert report.flagged and report.flagged[0].similarity > 0.9, (name, report.pairs)
    assert _texts(TRANSFORMS["rename"](original, random.Random(1))) == _texts(original)
    assert _texts(TRANSFORMS["reliteral"](original, random.Random(1))) == _texts(original)


def test_names_numbers_strings_comments_and_docstrings_are_set_aside() -> None:
    a = '"""Docstring."""\nimport torch\nx = torch.zeros(3)  # a comment\ndef f(self, y):\n    self.w = y * 2\n' \
        '    return self.w + x.sum() + len("text")\n'
    b = 'import torch\n\n# other words\nzz = torch.zeros(7)\ndef g(me, q):\n    """Another."""\n    me.v = q * 5\n' \
        "    return me.v + zz.sum() + len('other')\n"
    assert _texts(a) == _texts(b)
    assert ".zeros" in _texts(a) and ".sum" in _texts(a) and "len" in _texts(a)  # the library's names stay
    assert _texts("y = torch.ones(3)\n") != _texts("y = torch.zeros(3)\n")
    assert _texts("def f(:\n    x = 1\n  y = (\n")[:4] == ["def", "N", "(", ":"]  # broken code is still read


def test_the_starter_and_the_hints_are_left_out(spirals) -> None:
    starter = (spirals.starter_dir / "train.py").read_text()
    base = [starter] + [code for hint in spirals.hints for code in code_in_text(hint)]
    report = compare_sources({"a": {"train.py": starter}, "b": {"train.py": starter + "\n# mine\n"}}, base=base)
    assert report.pairs == [] and report.own_tokens == {"a": 0, "b": 0}
    assert code_in_text("Use nn.Sequential(nn.Linear(2, 64), nn.ReLU()) and then opt.step(); done (really).") == [
        "nn.Sequential(nn.Linear(2, 64), nn.ReLU())", "opt.step()"]
    plain = compare_sources({"a": {"train.py": starter}, "b": {"train.py": starter}})
    assert plain.flagged and plain.flagged[0].similarity == 1.0  # without the base the starter itself matches


def test_a_copied_function_inside_other_work_shows_where(spirals) -> None:
    helper = (INDEPENDENT_DIR / "jun.py").read_text()
    start = helper.index("class Trainer")
    end = helper.index("def train(")
    own = (INDEPENDENT_DIR / "emeka.py").read_text()
    borrowed = own + "\n\n" + TRANSFORMS["rename"](helper[start:end], random.Random(3))
    report = compare_sources({"jun": {"train.py": helper}, "zed": {"main.py": borrowed}})
    pair = report.pairs[0]
    assert (pair.a, pair.b) == ("jun", "zed") and pair.worth_a_look
    assert pair.b_share < pair.a_share < 1.0  # the Trainer is most of jun's code, a part of zed's
    fragment = pair.fragments[0]
    jun_lines = (helper[:start].count("\n") + 1, helper[:end].rstrip().count("\n") + 1)
    assert fragment.a_file == "train.py" and fragment.b_file == "main.py"
    assert jun_lines[0] <= fragment.a_lines[0] <= fragment.a_lines[1] <= jun_lines[1]
    assert "self.opt.zero_grad()" in fragment.a_text
    assert fragment.b_lines[0] > own.count("\n")  # the borrowed part, at the end of emeka2's file


def test_the_synthetic_class_is_what_it_says(spirals) -> None:
    texts = sources(spirals.path)
    assert len(texts) == 30 and len(COPIES) == 8 and len(BUGGY) == 12
    for student, (original, _) in COPIES.items():
        assert texts[student] != texts[original]
    compile_all = {name: compile(text, name, "exec") for name, text in texts.items()}  # every one is Python
    assert len(compile_all) == 30
