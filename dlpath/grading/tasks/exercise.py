"""``exercise``: small functions the learner writes in minutes, checked on hidden, awkward inputs.

An exercise folder (docs/project-format.md, "Exercises") lists its functions in
project.yaml's ``exercises:`` and holds ``grading.py``: for each function, the
hidden cases, the reference and the mistakes the mentor names
(``dlpath.grading.exercises``). Nothing is trained: the learner process imports
the learner's ``exercises.py`` and answers ``call`` requests; the judge, which
alone imports ``grading.py``, builds the cases from the hidden seed, sends each
case's inputs, computes the reference's answer itself, compares, and on a wrong
answer asks the exercise's mistakes which one explains it.

An exercise may forbid what its starter says not to call (project.yaml's
``forbid:``): the judge reads the learner's files as the parent read them
before they ran (``_forbidden.find_uses``) and refuses the function without
calling it (``forbidden-call``); otherwise the ``call`` request carries the
forbidden names, and the learner's side notes which of them torch dispatched
while the function ran (it can only add a refusal).

A ``Function`` among a case's inputs stays in the judge: it travels as a key,
and the learner's side gets a callable that, on each call, sends x in an
interim answer (``{"evaluate": key, "x": tensor}``); the judge replies with a
``value`` request (the 0-d tensor ``y``, or ``refused``), and the learner's
answer to that continues the same call, up to its final answer
(``LearnerSide.consult``, set by the harness's answer loop). The parent sees
requests and answers alternate as always. The judge counts the values it
gives per call and refuses those past the exercise's ``max_evaluations``
(``exercise-too-many-evaluations``).

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
from typing import Any, Callable, Mapping

from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, SplitData, Task

__all__ = ["ExerciseTask", "encode", "decode"]

NOT_DONE = "exercise-not-done"
MISSING = "exercise-missing"
CRASHED = "exercise-crashed"
UNREADABLE = "exercise-unreadable"
CHANGED_INPUT = "exercise-changed-input"
WRONG = "exercise-wrong"
FORBIDDEN = "forbidden-call"
TOO_MANY = "exercise-too-many-evaluations"
_FROM_ERROR = {"missing": MISSING, "not-done": NOT_DONE, "raised": CRASHED, "unreadable": UNREADABLE}
_GENERIC = {NOT_DONE, MISSING, CRASHED, UNREADABLE, CHANGED_INPUT, WRONG}
_OVERRIDING = {FORBIDDEN, TOO_MANY}  # a case with one of these is wrong whatever it answered, and its finding wins


# ------------------------------------------------------------------ values on the wire (both sides)


def encode(value: Any, tensors: dict[str, Any], functions: dict[str, Any] | None = None) -> Any:
    """``value`` as JSON, its tensors moved into ``tensors`` (referred to by key). A ``Function`` (judge side only)
    travels as a key alone, the Function kept in ``functions``: its parameters never leave the judge. TypeError
    for anything else."""
    import torch

    from dlpath.grading.exercises import Function, is_frame

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, torch.Tensor):
        key = f"t{len(tensors)}"
        tensors[key] = value.detach().cpu()
        return {"$tensor": key}
    if isinstance(value, Function) and functions is not None:
        key = f"f{len(functions)}"
        functions[key] = value
        return {"$function": key}
    if is_frame(value):  # its columns: numbers as tensors, anything else as a list (None where missing)
        columns = [str(c) for c in value.columns]
        return {"$frame": {"columns": columns, "data": [encode(_column(value[c]), tensors) for c in value.columns]}}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, tensors, functions) for v in value]}
    if isinstance(value, list):
        return [encode(v, tensors, functions) for v in value]
    if isinstance(value, dict):
        return {"$dict": {str(k): encode(v, tensors, functions) for k, v in value.items()}}
    if hasattr(value, "__array__") and hasattr(value, "shape"):  # a NumPy array or scalar
        array = torch.tensor(value)  # a copy: as_tensor warns on a read-only array (pandas hands those out)
        return encode(array.item() if array.dim() == 0 else array, tensors)
    raise TypeError(f"a {type(value).__name__}")


def decode(value: Any, tensors: Mapping[str, Any], functions: Callable[[str], Any] | None = None) -> Any:
    """The value ``encode`` made; a Function's key comes back as ``functions(key)`` (the learner's side: a
    callable that asks the judge for each value), and is refused where ``functions`` is None."""
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
        if functions is None:
            raise ValueError("a function where a value was expected")
        return functions(str(value["$function"]))
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


def _remote(consult: Callable[..., Any] | None, key: str, live: list[bool]) -> Callable[[Any], Any]:
    """The function the judge handed over, as the learner's code receives it: each call sends x to the judge,
    which evaluates the function (its parameters never come here) and sends the value back, a fresh 0-d tensor
    of x's dtype (float64 for anything else) that autograd, forward-mode AD and torch.func see as a constant."""

    def f(x: Any) -> Any:
        import torch

        if consult is None or not live[0]:
            raise RuntimeError("f can only be called while the grader's call to your function runs")
        point = x.detach() if isinstance(x, torch.Tensor) else torch.as_tensor(x)
        dtype = x.dtype if isinstance(x, torch.Tensor) and x.is_floating_point() else torch.float64
        reply, got = consult({"evaluate": key, "x": {"$tensor": "x"}}, {"x": point.to("cpu", torch.float64)})
        if "refused" in reply or not isinstance(got.get("y"), torch.Tensor):
            raise RuntimeError(str(reply.get("refused") or "the grader did not evaluate f"))
        return torch.tensor(float(got["y"]), dtype=dtype)

    return f


def call(module: Any, values: Mapping[str, Any], tensors: Mapping[str, Any],
         consult: Callable[..., Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Call the learner's function on one case's inputs: its answer (as ``plain`` makes it), or what went wrong,
    which inputs it changed in place, and which of the exercise's forbidden names torch dispatched while it ran
    (``_forbidden.runtime_names``: this process is the learner's, so this only adds to the judge's reading of the
    sources). A function among the inputs is evaluated by the judge through ``consult``."""
    import contextlib

    from dlpath.grading.exercises import is_frame, plain
    from dlpath.grading.tasks._forbidden import runtime_names
    from dlpath.grading.tasks._model import short

    name = str(values.get("function"))
    fn = getattr(module, name, None)
    if not callable(fn):
        return {"error": {"kind": "missing", "message": f"no function {name}"}}, {}
    live = [True]
    args = decode(values.get("args") or [], tensors, lambda key: _remote(consult, key, live))
    kwargs = decode(values.get("kwargs") or {}, tensors, lambda key: _remote(consult, key, live))
    names = list(values.get("names") or [])
    forbid = [str(n) for n in values.get("forbid") or []]
    recorder = runtime_names(forbid) if forbid else None
    before = _clones(args) + _clones(kwargs)
    try:
        with recorder if recorder is not None else contextlib.nullcontext():
            result = fn(*args, **kwargs)
    except NotImplementedError as exc:
        return {"error": {"kind": "not-done", "message": short(exc)}}, {}
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - the learner's function
        return {"error": {"kind": "raised", "message": short(exc), "line": _line(exc, module)},
                "forbidden": sorted(recorder.hits) if recorder is not None else []}, {}
    finally:
        live[0] = False
    changed, frames = [], False
    for where, value, copy in before:
        if not _unchanged(value, copy):
            changed.append(names[int(where)] if where.isdigit() and int(where) < len(names) else where)
            frames = frames or is_frame(value)
    out: dict[str, Any] = {}
    ran = sorted(recorder.hits) if recorder is not None else []
    try:
        encoded = encode(plain(result), out)
    except (TypeError, ValueError) as exc:
        return {"error": {"kind": "unreadable", "message": f"{name} returned {exc}"}, "forbidden": ran}, {}
    return {"result": encoded, "changed": changed, "changed_frame": frames, "forbidden": ran}, out


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
    if code == FORBIDDEN:
        instead = f" {f['instead']}" if f.get("instead") else ""
        if f.get("how") == "ran":
            return (f"{signature} called {f.get('forbidden')} while the grader ran it on {case}: the exercise is to "
                    f"write what it does yourself, so {name} scores 0.{instead}")
        if not f.get("line"):
            return (f"{signature} must not use {f.get('forbidden')}, and the grader cannot check {f.get('file')}: "
                    f"{f.get('written')}. Keep only readable Python files in the folder; {name} scores 0 until "
                    "then.")
        more = f" ({f['uses']} uses in all)" if int(f.get("uses") or 1) > 1 else ""
        return (f"{signature} must not use {f.get('forbidden')}: the exercise is to write it yourself, and "
                f"{f.get('file')}, line {f.get('line')} uses it as `{f.get('written')}`{more}, so {name} scores 0."
                f"{instead}")
    if code == TOO_MANY:
        return (f"{name} evaluated f {f.get('evaluations')} times on {case}; the grader answers at most "
                f"{f.get('limit')} for this input, enough for any finite-difference scheme (centred differences "
                "take two per number of x). Nudge each number of x and compare, instead of probing f everywhere.")
    return str(f.get("message") or f"{name} gave a wrong answer on {case}.")


def _evidence(name: str, f: Mapping[str, Any]) -> list[str]:
    if f.get("code") == FORBIDDEN and f.get("how") == "source":
        return [f"{name}: {f.get('file')}, line {f.get('line')}: {f.get('written')} ({f.get('forbidden')})"]
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
    reference; a function must not change its inputs, nor use what its docstring forbids. Return
    tensors, numbers, or tuples of them."""
    dataset_kinds = ()
    reads_sources = True  # what an exercise forbids is read in the sources as they were before the code ran
    codes = {
        NOT_DONE: CodeInfo(None),
        MISSING: CodeInfo(None),
        CRASHED: CodeInfo(None),
        UNREADABLE: CodeInfo(None),
        CHANGED_INPUT: CodeInfo(None),
        WRONG: CodeInfo(None),
        FORBIDDEN: CodeInfo(None),
        TOO_MANY: CodeInfo(None),
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
        return call(side.module, values, tensors, side.consult)

    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.grading.exercises import load_grading
        from dlpath.grading.facts import Facts
        from dlpath.grading.sources import read_sources
        from dlpath.grading.tasks._forbidden import find_uses, parse_sources

        grading = load_grading(Path(ctx.project.path))
        names = [spec.name for spec in ctx.project.exercises]
        trees, unread = None, None
        metrics: dict[str, float] = {}
        extra: dict[str, Any] = {}
        for spec in ctx.project.exercises:
            exercise = grading.get(spec.name)
            if exercise is None:
                raise ValueError(f"grading.py defines no Exercise({spec.name!r})")
            cases = exercise.cases(torch.Generator().manual_seed(_case_seed(ctx.test_seed, spec.name)))
            if not cases:
                raise ValueError(f"grading.py: exercise {spec.name!r} has no cases")
            if spec.forbid:  # the sources as the parent read them before the learner's code ran: authoritative
                if trees is None:
                    trees, unread = parse_sources(ctx.sources if ctx.sources is not None else read_sources(
                        Path(ctx.folder)))
                uses = find_uses(trees, unread, spec.forbid, self.entry, spec.name, names)
                if uses:
                    metrics[spec.name] = 0.0
                    extra[spec.name] = {**_forbidden_finding(spec, uses), "right": 0, "cases": len(cases)}
                    continue
            right, first = 0, None
            for case in cases:
                finding = self._ask(ctx, exercise, spec, case)
                if finding is None:
                    right += 1
                    continue
                if first is None or (first["code"] in (WRONG, CHANGED_INPUT) and finding["code"] not in _GENERIC) or (
                        finding["code"] in _OVERRIDING and first["code"] not in _OVERRIDING):
                    first = finding  # the first wrong case, unless a later one names the mistake
                if finding["code"] in (MISSING, NOT_DONE):
                    break
            if first is not None and first["code"] == FORBIDDEN:
                right = 0  # a forbidden name that ran: the exercise was not done, whatever the other cases gave
            metrics[spec.name] = right / len(cases)
            extra[spec.name] = {**(first or {"code": ""}), "right": right, "cases": len(cases)}
        return Evaluation(metrics, Facts(primary="", extra=extra))

    @staticmethod
    def _ask(ctx: JudgeContext, exercise: Any, spec: Any, case: Any) -> dict[str, Any] | None:
        tensors: dict[str, Any] = {}
        functions: dict[str, Any] = {}
        values: dict[str, Any] = {"function": spec.name, "names": list(spec.params),
                                  "args": encode(list(case.args), tensors, functions),
                                  "kwargs": encode(dict(case.kwargs), tensors, functions)}
        forbid = tuple(getattr(spec, "forbid", ()) or ())
        if forbid:
            values["forbid"] = list(forbid)
        bound = getattr(exercise, "max_evaluations", None)
        limit = int(bound(case)) if bound is not None and functions else None
        evaluations = 0
        try:
            answer, got_tensors = ctx.ask("call", values=values, tensors=tensors)
            while "evaluate" in answer:  # the learner's function called a function the judge handed it
                evaluations += 1
                reply, out = _evaluate(functions, answer, got_tensors, evaluations, limit, spec.name)
                answer, got_tensors = ctx.ask("value", values=reply, tensors=out)
        except LearnerError as exc:
            answer, got_tensors = {"error": {"kind": "raised", "message": str(exc)}}, {}
        try:
            got = decode(answer.get("result"), got_tensors)
        except (KeyError, ValueError, TypeError, AttributeError, RecursionError):
            answer = {"error": {"kind": "unreadable", "message": f"{spec.name} returned something"}}
            got = None
        finding = _grade_case(exercise, spec, case, answer, got)
        ran = [str(k) for k in answer.get("forbidden") or []] if forbid else []
        if ran or (limit is not None and evaluations > limit):
            from dlpath.grading.tasks._forbidden import keys

            finding = {"case": case.label, "input": case.shown(spec.params), **(finding or {})}
            declared = keys(forbid)
            if ran:
                finding.update(code=FORBIDDEN, forbidden=", ".join(declared.get(k, k) for k in ran), how="ran",
                               instead=getattr(spec, "instead", ""))
            else:
                finding.update(code=TOO_MANY, evaluations=evaluations, limit=limit)
        return finding


def _evaluate(functions: Mapping[str, Any], answer: Mapping[str, Any], tensors: Mapping[str, Any], count: int,
              limit: int | None, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The judge's reply to the learner's function calling a function it was handed: its value at the point sent
    (a 0-d float64 tensor ``y``), or why not (``refused``: the learner's side raises it)."""
    import torch

    function = functions.get(str(answer.get("evaluate")))
    x = tensors.get("x")
    if function is None:
        return {"refused": "no such function"}, {}
    if limit is not None and count > limit:
        return {"refused": f"the grader answers at most {limit} calls of f during one call of {name}"}, {}
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.numel() > 1_000_000:
        return {"refused": "f takes a tensor of numbers"}, {}
    try:
        value = function.value(x)
    except Exception as exc:  # noqa: BLE001 - a point of the wrong shape: the learner's mistake, said back to it
        return {"refused": f"f cannot be evaluated at a tensor of shape {tuple(x.shape)} ({type(exc).__name__}: "
                           f"{str(exc)[:200]})"}, {}
    return {"value": {"$tensor": "y"}}, {"y": torch.tensor(value, dtype=torch.float64)}


def _forbidden_finding(spec: Any, uses: list[Any]) -> dict[str, Any]:
    """The finding for an exercise whose sources use a name it forbids (the first use; how many in all)."""
    first = uses[0]
    return {"code": FORBIDDEN, "how": "source", "forbidden": first.name, "written": first.written,
            "file": first.file, "line": first.line, "uses": len(uses), "instead": spec.instead, "case": ""}
