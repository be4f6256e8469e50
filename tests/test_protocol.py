"""The typed protocol: frames, strict decoding, tensors without pickle, untrusted telemetry."""

from __future__ import annotations

import math

import pytest
import torch

from dlpath.grading import protocol as p
from dlpath.grading.facts import Facts, Observation
from dlpath.grading.tensors import BadTensor, pack, unpack


def test_a_frame_round_trips_with_its_tensors() -> None:
    index, body = pack({"x": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.tensor(True),
                        "s": torch.tensor(2.5), "e": torch.empty(0, 4), "h": torch.ones(2, dtype=torch.bfloat16)})
    frame = p.encode(p.Request(id=3, name="outputs", values={"k": 1}), body, index)
    reader = p.FrameReader()
    for i in range(0, len(frame), 7):  # any chunking
        reader.feed(frame[i:i + 7])
    (raw, header, got_body), = reader.frames()
    assert raw == frame
    message = p.decode(header)
    assert message == p.Request(id=3, name="outputs", values={"k": 1})
    tensors = unpack(header["tensors"], got_body)
    assert torch.equal(tensors["x"], torch.arange(6, dtype=torch.float32).reshape(2, 3))
    assert tensors["b"].item() is True and tensors["s"].item() == 2.5 and tensors["e"].shape == (0, 4)
    assert tensors["h"].dtype == torch.bfloat16


@pytest.mark.parametrize(
    "index",
    [
        {"x": {"dtype": "object", "shape": [1], "offset": 0, "nbytes": 8}},
        {"x": {"dtype": "float32", "shape": [3], "offset": 0, "nbytes": 8}},
        {"x": {"dtype": "float32", "shape": [2], "offset": 4, "nbytes": 8}},
        {"x": {"dtype": "float32", "shape": [-2], "offset": 0, "nbytes": 8}},
        {"x": {"dtype": "float32", "shape": [1] * 9, "offset": 0, "nbytes": 4}},
        {"x": "not a spec"},
    ],
)
def test_bad_tensor_entries_are_refused(index: dict) -> None:
    with pytest.raises(BadTensor):
        unpack(index, b"\0" * 8)


def test_decoding_is_strict() -> None:
    with pytest.raises(p.ProtocolError, match="unknown message"):
        p.decode({"t": "verdict", "passed": True})
    with pytest.raises(p.ProtocolError, match="must be a whole number"):
        p.decode({"t": "answer", "id": "1"})
    with pytest.raises(p.ProtocolError, match="must be a mapping"):
        p.decode({"t": "log", "values": [1, 2]})
    reader = p.FrameReader(limit=100)
    reader.feed(b"\0\0\x10\0\0\0\0\0")
    with pytest.raises(p.ProtocolError, match="larger than"):
        reader.frames()


def test_the_learner_may_not_say_what_only_the_judge_says() -> None:
    assert p.Result.tag not in p.LEARNER_SAYS and p.Request.tag not in p.LEARNER_SAYS
    assert p.Result.tag in p.JUDGE_SAYS and p.Answer.tag in p.LEARNER_SAYS


def test_failures_from_a_process_are_bounded_and_typed() -> None:
    failure = p.failure_from_json({"kind": "no-such-kind", "message": "x" * 10_000, "line": "12", "peak_mb": math.inf})
    assert failure.kind is p.FailureKind.RAISED and len(failure.message) == 2000
    assert failure.line is None and failure.peak_mb is None
    assert p.failure_from_json(p.failure_to_json(p.Failure(p.FailureKind.TIMEOUT, budget_s=3.0))).budget_s == 3.0


def test_telemetry_keeps_only_known_fields_of_the_right_type() -> None:
    obs = Observation.from_json({"learning_rate": "0.1; rm -rf", "optimizer": "Adam", "dropout_rates": list(range(1000)),
                                 "layers": [{"name": "0", "kind": "Linear", "grad_norm": "huge"}, "junk"],
                                 "recipe": {"steps": 3, "loss": 5}, "unknown": 1})
    assert obs.learning_rate is None and obs.optimizer == "Adam" and len(obs.dropout_rates) == 200
    assert len(obs.layers) == 1 and obs.layers[0].grad_norm is None and obs.layers[0].kind == "Linear"
    assert obs.recipe is not None and obs.recipe.steps == 3 and obs.recipe.loss is None
    assert Observation.from_json("garbage") == Observation()
    facts = Facts.from_json({"train_score": 0.5, "extra": {"k": {"deep": {"deeper": 1}}}})
    assert facts.train_score == 0.5 and facts.extra == {"k": {"deep": "{'deeper': 1}"}}
