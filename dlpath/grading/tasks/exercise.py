"""``exercise``: small functions the learner writes in minutes, checked on hidden, awkward inputs.

An exercise folder (docs/project-format.md, "Exercises") lists its functions in
project.yaml's ``exercises:`` and holds ``grading.py``: for each function, the
hidden cases, the reference and the mistakes the mentor names
(``dlpath.grading.exercises``). Nothing is trained: the learner process imports
the learner's ``exercises.py`` and answers ``call`` requests; the judge, which
alone imports ``grading.py``, builds the cases from the hidden seed, sends each
case's inputs, computes the reference's answer itself, compares, and on a wrong
answer asks the exercise's mistakes which one explains it.

The metrics are the exercises themselves: one per function, named after it,
the share of its cases answered right (project.yaml's thresholds are derived:
each must be 1). What the mentor says comes from ``Facts.extra``, one entry per
function: the finding on its first wrong case (a mistake's code and message, or
a generic code of this kind; a later case whose mistake is named wins over a
generic finding), the case's label and inputs, what came back and
what was expected.
"""

from __future__ import annotations

import traceback
import zlib
from pathlib import Path
from typing import Any, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, SplitData, Task

__all__ = ["ExerciseTask", "encode", "decode"]

NOT_DONE = "exercise-not-done"
MISSING = "exercise-missing"
CRASHED = "exercise-crashed"
UNREADABLE = "exercise-unreadable"
CHANGED_INPUT = "exercise-changed-input"
WRONG = "exercise-wrong"
_FROM_ERROR = {"missing": MISSING, "not-done": NOT_DONE, "raised": CRASHED, "unreadable": UNREADABLE}
_GENERIC = {NOT_DONE, MISSING, CRASHED, UNREADABLE, CHANGED_INPUT, WRONG}


# ------------------------------------------------------------------ values on the wire (both sides)


def encode(value: Any, tensors: dict[str, Any]) -> Any:
    """``value`` as JSON, its tensors moved into ``tensors`` (referred to by key). TypeError for anything else."""
    import torch

    from dlpath.grading.exercises import Function, is_frame

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, torch.Tensor):
        key = f"t{len(tensors)}"
        tensors[key] = value.detach().cpu()
        return {"$tensor": key}
    if isinstance(value, Function):
        return {"$function": value.name, "params": encode(dict(value.params), tensors)}
    if is_frame(value):  # its columns: numbers as tensors, anything else as a list (None where missing)
        columns = [str(c) for c in value.columns]
        return {"$frame": {"columns": columns, "data": [encode(_column(value[c]), tensors) for c in value.columns]}}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, tensors) for v in value]}
    if isinstance(value, list):
        return [encode(v, tensors) for v in value]
    if isinstance(value, dict):
        return {"$dict": {str(k): encode(v, tensors) for k, v in value.items()}}
    if hasattr(value, "__array__") and hasattr(value, "shape"):  # a NumPy array or scalar
        array = torch.tensor(value)  # a copy: as_tensor warns on a read-only array (pandas hands those out)
        return encode(array.item() if array.dim() == 0 else array, tensors)
    raise TypeError(f"a {type(value).__name__}")


def decode(value: Any, tensors: Mapping[str, Any], functions: bool = False) -> Any:
    """The value ``encode`` made; with ``functions``, a Function comes back as the callable it names."""
    from dlpath.grading.exercises import FUNCTIONS, Function

    if isinstance(value, list):
        return [decode(v, tensors, functions) for v in value]
    if not isinstance(value, dict):
        return value
    if "$tensor" in value:
        return tensors[value["$tensor"]]
    if "$tuple" in value:
        return tuple(decode(v, tensors, functions) for v in value["$tuple"])
    if "$dict" in value:
        return {k: decode(v, tensors, functions) for k, v in value["$dict"].items()}
    if "$frame" in value:
        import pandas

        frame = value["$frame"]
        data = [decode(column, tensors, functions) for column in frame["data"]]
        return pandas.DataFrame({name: column.numpy() if hasattr(column, "numpy") else column
                                 for name, column in zip(frame["columns"], data)})
    if "$function" in value:
        if value["$function"] not in FUNCTIONS:
            raise ValueError(f"unknown function {value['$function']!r}")
        function = Function(value["$function"], decode(value.get("params") or {}, tensors))
        return function.black_box() if functions else function
    raise ValueError("an unknown value on the wire")


def _column(series: Any) -> Any:
    """One DataFrame column on the wire: a tensor of its numbers, or a list of its values with None where missing."""
    import torch

    if series.dtype.kind in "biuf":
        return torch.tensor(series.to_numpy())  # a copy: pandas may hand out a read-only array
    return [None if v is None or (isinstance(v, float) and v != v) else v for v in series.tolist()]


# ------------------------------------------------------------------ the learner's side


def _clones(values: Any) -> list[tuple[str, Any, Any]]:
    """(where, the tensor or DataFrame, a copy of it) for every tensor and DataFrame among the arguments."""
    import torch

    from dlpath.grading.exercises import is_frame

    out = []
    items = values.items() if isinstance(values, dict) else enumerate(values)
    for where, value in items:
        if isinstance(value, torch.Tensor):
            out.append((str(where), value, value.clone()))
        elif is_frame(value):
            out.append((str(where), value, value.copy(deep=True)))
    return out


def _unchanged(value: Any, copy: Any) -> bool:
    import torch

    if isinstance(value, torch.Tensor):
        return value.shape == copy.shape and torch.allclose(value, copy, rtol=0.0, atol=0.0, equal_nan=True)
    return bool(value.equals(copy))  # a DataFrame: same columns, same values, NaN where NaN was


def _line(exc: BaseException, module: Any) -> int | None:
    path = str(Path(getattr(module, "__file__", "") or "").resolve())
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if str(Path(f.filename).resolve()) == path]
    return lines[-1] if lines else None


def call(module: Any, values: Mapping[str, Any], tensors: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Call the learner's function on one case's inputs: its answer (as ``plain`` makes it), or what went wrong,
    and which inputs it changed in place."""
    from dlpath.grading.exercises import is_frame, plain
    from dlpath.grading.tasks._model import short

    name = str(values.get("function"))
    fn = getattr(module, name, None)
    if not callable(fn):
        return {"error": {"kind": "missing", "message": f"no function {name}"}}, {}
    args = decode(values.get("args") or [], tensors, functions=True)
    kwargs = decode(values.get("kwargs") or {}, tensors, functions=True)
    names = list(values.get("names") or [])
    before = _clones(args) + _clones(kwargs)
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError as exc:
        return {"error": {"kind": "not-done", "message": short(exc)}}, {}
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - the learner's function
        return {"error": {"kind": "raised", "message": short(exc), "line": _line(exc, module)}}, {}
    changed, frames = [], False
    for where, value, copy in before:
        if not _unchanged(value, copy):
            changed.append(names[int(where)] if where.isdigit() and int(where) < len(names) else where)
            frames = frames or is_frame(value)
    out: dict[str, Any] = {}
    try:
        encoded = encode(plain(result), out)
    except (TypeError, ValueError) as exc:
        return {"error": {"kind": "unreadable", "message": f"{name} returned {exc}"}}, {}
    return {"result": encoded, "changed": changed, "changed_frame": frames}, out


# ------------------------------------------------------------------ the judge's side


def _case_seed(test_seed: int, name: str) -> int:
    return (int(test_seed) * 1_000_003 + zlib.crc32(name.encode())) % (2**62)


def _grade_case(exercise: Any, spec: Any, case: Any, answer: Mapping[str, Any], got: Any) -> dict[str, Any] | None:
    """The finding on one case (None: the answer is right)."""
    from dlpath.grading.exercises import differs, show

    shown = case.shown(spec.params)
    finding: dict[str, Any] = {"case": case.label, "input": shown}
    error = answer.get("error")
    if isinstance(error, Mapping):
        line = error.get("line")
        finding.update(code=_FROM_ERROR.get(str(error.get("kind")), CRASHED), error=str(error.get("message", "")),
                       line=int(line) if isinstance(line, int) else None)
        return finding
    want = exercise.reference(*_copied(case.args), **_copied(case.kwargs)) if exercise.reference else None
    problem = None
    if exercise.reference is not None:
        try:
            problem = differs(got, want, exercise.rtol, exercise.atol)
        except Exception as exc:  # noqa: BLE001 - whatever the learner's function returned
            problem = f"{show(got)} cannot be compared with {show(want)} ({type(exc).__name__})"
    if problem is None and exercise.check is not None:
        try:
            problem = exercise.check(case, got)
        except Exception as exc:  # noqa: BLE001 - an answer of the wrong kind for the check to read
            problem = f"{show(got)} is not what {spec.name} must return ({type(exc).__name__}: {exc})"
    changed = [str(c) for c in answer.get("changed") or []]
    if problem is None and not changed:
        return None
    finding.update(got=show(got), problem=problem or "", changed=", ".join(changed),
                   changed_frame=bool(answer.get("changed_frame")))
    if exercise.reference is not None:
        finding["expected"] = show(want)
    for rule in exercise.mistakes:
        try:
            message = rule(case, got, want)
        except Exception as exc:  # noqa: BLE001 - shown to dev check and the tests, never hidden
            finding.setdefault("broken_mistake", f"{rule.code}: {type(exc).__name__}: {exc}")
            continue
        if message:
            finding.update(code=rule.code, message=" ".join(str(message).split()), lesson=rule.lesson)
            return finding
    finding["code"] = CHANGED_INPUT if changed else WRONG  # a changed input is the likelier cause of a wrong answer
    return finding


def _copied(values: Any) -> Any:
    import torch

    from dlpath.grading.exercises import is_frame

    if isinstance(values, dict):
        return {k: _copied(v) for k, v in values.items()}
    if isinstance(values, (list, tuple)):
        return type(values)(_copied(v) for v in values)
    if is_frame(values):
        return values.copy(deep=True)
    return values.clone() if isinstance(values, torch.Tensor) else values


# ------------------------------------------------------------------ what the mentor says


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _findings(run: Any) -> list[Any]:
    """One diagnosis per code among the exercises' findings (several functions may share one)."""
    from dlpath.grading.diagnose import make

    specs = {e.name: e for e in getattr(run.project, "exercises", ())}
    by_code: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for name, finding in run.facts.extra.items():
        if isinstance(finding, Mapping) and finding.get("code"):
            by_code.setdefault(str(finding["code"]), []).append((name, finding))
    out = []
    for code, items in by_code.items():
        sentences, evidence = [], []
        for name, f in items:
            spec = specs.get(name)
            signature = spec.signature if spec is not None else f"{name}(...)"
            sentences.append(_sentence(code, name, signature, f))
            evidence += _evidence(name, f)
        lesson = next((str(f["lesson"]) for _, f in items if f.get("lesson")), None) or getattr(run.project,
                                                                                             "lesson", None)
        if code == NOT_DONE:
            sentences.append("Open exercises.py, follow the TODO in each, and run `dlpath check` again: every "
                             "function is graded on its own, so do them in any order.")
            evidence = [f"{_names([n for n, _ in items])} raised NotImplementedError"]
        out.append(make(code, " ".join(sentences), evidence=evidence, codes=ExerciseTask.codes, lesson=lesson))
    return out


def _sentence(code: str, name: str, signature: str, f: Mapping[str, Any]) -> str:
    case = str(f.get("case", ""))
    where = f" (exercises.py, line {f['line']})" if f.get("line") else ""
    if code == NOT_DONE:
        return f"{signature} is not written yet: it still raises NotImplementedError."
    if code == MISSING:
        return (f"exercises.py has no function {signature}; the grader calls it by that name. Keep the names and "
                "arguments of the starter (`dlpath start` into another folder gives a fresh copy to compare with).")
    if code == CRASHED:
        return (f"{name} raised {f.get('error')}{where} on {case}. Try that input yourself: {f.get('input')}.")
    if code == UNREADABLE:
        return (f"{f.get('error')}, which the grader cannot read: return tensors, numbers, or a tuple of them, "
                "as the docstring says.")
    if code == CHANGED_INPUT:
        wrong = f" (and its answer was wrong: {f['problem']})" if f.get("problem") else ""
        if f.get("changed_frame"):
            return (f"{name} changed its input {f.get('changed')} in place on {case}{wrong}. The caller's DataFrame "
                    "must not change: df[col] = ... and inplace=True write into it. Work on a copy (df.copy()), or "
                    "build new columns without storing them in df.")
        return (f"{name} changed its input {f.get('changed')} in place on {case}{wrong}. The caller's tensors must "
                "not change: compute new tensors (x - m, not x -= m), or work on x.clone() and put back anything you "
                "nudge.")
    if code == WRONG:
        return f"{name} gave a wrong answer on {case}: {f.get('problem')}."
    return str(f.get("message") or f"{name} gave a wrong answer on {case}.")


def _evidence(name: str, f: Mapping[str, Any]) -> list[str]:
    out = [f"{name}: {f.get('case')}"]
    if f.get("input"):
        out.append(f"input {f['input']}")
    if f.get("got"):
        out.append(f"got {f['got']}")
    if f.get("expected"):
        out.append(f"expected {f['expected']}")
    if f.get("problem") and f.get("code") != WRONG:  # the wrong-answer sentence says it already
        out.append(str(f["problem"]))
    return out


# ------------------------------------------------------------------ the task


class ExerciseTask(Task):
    kind = "exercise"
    hands_on = "exercise"
    entry = "exercises.py"
    summary = ("Small functions written in minutes (exercises.py), each called on hidden, awkward inputs and "
               "compared with a reference; nothing is trained.")
    contract = """\
exercises.py defines every function that project.yaml's `exercises:` names, with its arguments
    (the starter's docstrings say what each takes and returns). The grader calls each one on
    hidden inputs (odd shapes, extreme values, edge cases) and compares its answer with a
    reference; a function must not change its inputs. Return tensors, numbers, or tuples of them."""
    dataset_kinds = ()
    codes = {
        NOT_DONE: CodeInfo(None),
        MISSING: CodeInfo(None),
        CRASHED: CodeInfo(None),
        UNREADABLE: CodeInfo(None),
        CHANGED_INPUT: CodeInfo(None),
        WRONG: CodeInfo(None),
    }
    rules = (_findings,)

    @classmethod
    def missed(cls, threshold: Any) -> str | None:
        if threshold.value is None or threshold.value != threshold.value:
            return f"{threshold.metric} was not checked"
        return f"{threshold.metric} is right on {threshold.value:.0%} of the hidden cases (it must be right on all)"

    def public_data(self, project: Any, seed: int, world: int | None = None) -> SplitData:
        return SplitData(None, None, None, None, {})

    def test_data(self, project: Any, seed: int, world: int | None = None) -> Any:
        return None

    def train(self, side: LearnerSide, data: SplitData) -> Any:
        return None

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        if name != "call":
            raise LearnerError(f"unknown request {name!r}")
        return call(side.module, values, tensors)

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.exercises import load_grading
        from dlpath.grading.facts import Facts

        grading = load_grading(Path(ctx.project.path))
        metrics: dict[str, float] = {}
        extra: dict[str, Any] = {}
        for spec in ctx.project.exercises:
            exercise = grading.get(spec.name)
            if exercise is None:
                raise ValueError(f"grading.py defines no Exercise({spec.name!r})")
            cases = exercise.cases(torch.Generator().manual_seed(_case_seed(ctx.test_seed, spec.name)))
            if not cases:
                raise ValueError(f"grading.py: exercise {spec.name!r} has no cases")
            right, first = 0, None
            for case in cases:
                finding = self._ask(ctx, exercise, spec, case)
                if finding is None:
                    right += 1
                    continue
                if first is None or (first["code"] in (WRONG, CHANGED_INPUT) and finding["code"] not in _GENERIC):
                    first = finding  # the first wrong case, unless a later one names the mistake
                if finding["code"] in (MISSING, NOT_DONE):
                    break
            metrics[spec.name] = right / len(cases)
            extra[spec.name] = {**(first or {"code": ""}), "right": right, "cases": len(cases)}
        return Evaluation(metrics, Facts(primary="", extra=extra))

    @staticmethod
    def _ask(ctx: JudgeContext, exercise: Any, spec: Any, case: Any) -> dict[str, Any] | None:
        tensors: dict[str, Any] = {}
        values = {"function": spec.name, "names": list(spec.params), "args": encode(list(case.args), tensors),
                  "kwargs": encode(dict(case.kwargs), tensors)}
        try:
            answer, got_tensors = ctx.ask("call", values=values, tensors=tensors)
        except LearnerError as exc:
            answer, got_tensors = {"error": {"kind": "raised", "message": str(exc)}}, {}
        try:
            got = decode(answer.get("result"), got_tensors)
        except (KeyError, ValueError, TypeError, AttributeError, RecursionError):
            answer = {"error": {"kind": "unreadable", "message": f"{spec.name} returned something"}}
            got = None
        return _grade_case(exercise, spec, case, answer, got)

