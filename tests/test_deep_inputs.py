"""Data from the learner's process that nests too deep, or names impossible sizes: each reader refuses it for what
it is (a bad frame, an unsafe file, a problem in the source) instead of dying of a RecursionError or an overflow,
which would end the grade as "the grader failed" (exit 2) rather than as the learner's fault."""

from __future__ import annotations

import io
import json
import struct
import types
import zipfile

import pytest
import torch

from dlpath.jsonable import nested_deeper_than


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_the_nesting_check_is_iterative_and_exact() -> None:
    deep = json.loads(_nested(50))
    assert not nested_deeper_than(deep, 50) and nested_deeper_than(deep, 49)
    assert not nested_deeper_than({"a": [1, {"b": 2}]}, 3) and nested_deeper_than({"a": [1, {"b": [2]}]}, 3)
    very: object = []
    for _ in range(100_000):
        very = [very]
    assert nested_deeper_than(very, 64)  # no recursion of its own
    assert not nested_deeper_than("[[[[", 1) and not nested_deeper_than(7, 0)


def test_a_frame_whose_header_nests_200000_deep_is_a_protocol_error() -> None:
    from dlpath.grading.protocol import FrameReader, ProtocolError

    header = ('{"t": "ready", "x": ' + _nested(200_000) + "}").encode()
    reader = FrameReader(limit=10 * len(header))
    reader.feed(struct.pack(">II", len(header), 0) + header)
    with pytest.raises(ProtocolError, match="nests"):
        reader.frames()
    header = ('{"t": "ready", "x": ' + _nested(100) + "}").encode()  # parses, still too deep for what follows
    reader.feed(struct.pack(">II", len(header), 0) + header)
    with pytest.raises(ProtocolError, match="more than 64 levels"):
        reader.frames()


def _pt2_with(model_json: bytes) -> bytes:
    """A real exported program whose graph file is replaced."""
    model = torch.nn.Linear(3, 2)
    buffer = io.BytesIO()
    torch.export.save(torch.export.export(model, (torch.randn(2, 3),)), buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            archive.writestr(info, model_json if info.filename.endswith("models/model.json") else data)
    return out.getvalue()


def test_an_exported_program_whose_graph_nests_200000_deep_is_an_unsafe_file() -> None:
    from dlpath.grading import pt2

    with pytest.raises(pt2.UnsafeFile, match="nests too deep"):
        pt2.check(_pt2_with(_nested(200_000).encode()))
    with pytest.raises(pt2.UnsafeFile, match="more than 256 levels"):
        pt2.check(_pt2_with(_nested(300).encode()))


def test_a_tensor_index_with_an_impossible_dimension_is_a_bad_tensor() -> None:
    from dlpath.grading.tensors import BadTensor, pack, unpack

    index, body = pack({"answer": torch.zeros(0, 2)})
    assert unpack(index, body)["answer"].shape == (0, 2)
    index["answer"]["shape"] = [0, 2**70]  # zero numbers, so the size check alone passes
    with pytest.raises(BadTensor, match="bad shape"):
        unpack(index, body)


def test_a_kernel_file_with_an_expression_too_deep_to_parse_is_a_problem_in_the_source() -> None:
    from dlpath.grading.tasks._kernel_source import check

    for terms in (5_000, 900):  # too deep for the parser; parsed, then too deep for a recursive check
        source = "from numba import cuda\nDEEP = " + "+".join(["1"] * terms) + "\n"
        problems = check(source)
        assert problems and all(isinstance(p.message, str) for p in problems), problems
    assert any("nests too deep" in p.message for p in check("x = " + "+".join(["1"] * 5_000) + "\n"))


def test_a_by_hand_project_with_a_file_too_deep_to_parse_counts_it_as_unchecked() -> None:
    from dlpath.grading.tasks.regression_by_hand import learner_trees

    sources = types.SimpleNamespace(files={"train.py": b"x = 1\n", "notes.py": b"DEEP = " + b"+".join([b"1"] * 5_000)},
                                    unread={})
    trees, unchecked = learner_trees(types.SimpleNamespace(sources=sources, folder="."))
    assert len(trees) == 1 and unchecked == ["notes.py (it does not parse: RecursionError)"]


def test_an_exercise_answer_that_cannot_be_decoded_is_the_learners_unreadable_answer(monkeypatch) -> None:
    import dlpath.grading.tasks.exercise as module
    from dlpath.grading.tasks.exercise import ExerciseTask

    seen: dict = {}
    monkeypatch.setattr(module, "_grade_case", lambda exercise, spec, case, answer, got: seen.update(
        answer=answer, got=got))
    spec = types.SimpleNamespace(name="f", params=("x",))
    case = types.SimpleNamespace(args=(1,), kwargs={})
    deep: object = []
    for _ in range(5_000):
        deep = [deep]
    for result in (deep, {"$dict": [1, 2]}):  # too deep to decode; a "$dict" that is not a mapping
        seen.clear()
        ctx = types.SimpleNamespace(ask=lambda *a, result=result, **k: ({"result": result}, {}))
        ExerciseTask._ask(ctx, None, spec, case)
        assert seen["answer"]["error"]["kind"] == "unreadable" and seen["got"] is None
