"""What an exercise's ``grading.py`` is written with: hidden cases, a reference, and the mistakes the mentor names.

An exercise folder (docs/project-format.md, "Exercises") holds ``grading.py``:
trusted code shipped with the course that only the judge imports (the learner's
process never does). It defines ``EXERCISES``, one ``Exercise`` for each
function that project.yaml's ``exercises:`` names::

    from dlpath.grading.exercises import Case, Exercise, mistake

    def softmax_cases(rng):                      # rng: a torch.Generator seeded from the hidden seed
        return [Case("a batch of small scores", torch.randn(4, 5, generator=rng)),
                Case("a row with a score of 1000", torch.tensor([[1000.0, 0.0, -5.0]]))]

    @mistake("softmax-overflow")
    def overflow(case, got, want):               # a wrong answer: the lesson's explanation, or None
        if not finite(got) and finite(want):
            return "your softmax overflowed ... subtract the row's max first"

    EXERCISES = [Exercise("softmax", softmax_cases, reference=lambda x: torch.softmax(x, -1),
                          mistakes=[overflow])]

The judge calls the learner's function on each case (inputs only cross to the
learner's process), computes the reference's answer itself, and compares them
(``differs``: shapes, then values within ``rtol``/``atol``). On a wrong answer
it asks the exercise's mistakes, in order, which one explains it; the first
that returns a message names the diagnosis. An exercise whose answers are not
unique (any split that keeps each group on one side) gives ``check`` instead
of, or beside, ``reference``: a function that returns what is wrong with an
answer, or None.

Values that may cross to the learner's process: tensors, numbers, booleans,
texts, None, lists and tuples and dicts of them, ``Function``: a function
of x from ``FUNCTIONS`` (the learner's side gets a callable that sends x to the
judge and gets the value back: the parameters stay in the judge), and a pandas ``DataFrame`` (its columns
travel, the learner's side rebuilds it with a fresh 0..n-1 index). What comes
back is compared as ``plain`` makes it: a pandas answer as its ``.to_dict()``,
a Matplotlib ``Axes`` as ``figure_data`` (its texts, lines and bars).

The judge reads the codes and the exercise names from this file without
running it too (``declared``), so ``dlpath validate`` can check project.yaml:
write ``Exercise("name", ...)`` and ``@mistake("code")`` with plain strings.
This module imports torch only inside functions.
"""

from __future__ import annotations

import ast
import importlib.util
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

__all__ = ["Case", "Exercise", "Function", "FUNCTIONS", "mistake", "differs", "matches", "finite", "show",
           "plain", "figure_data", "is_frame", "load_grading", "declared", "GRADING_FILE"]

GRADING_FILE = "grading.py"
_FIGURE_KEYS = {"title", "xlabel", "ylabel", "xscale", "yscale", "legend", "lines", "bars"}  # what figure_data gives
_MAX_SHOWN = 16  # a tensor with at most this many values is shown in full (a 4 x 4 mask)


# ------------------------------------------------------------------ functions that travel by name


def _quadratic(A: Any, b: Any) -> Callable[[Any], Any]:
    return lambda x: 0.5 * x @ A @ x + b @ x


def _tanh_layer(W: Any, c: Any) -> Callable[[Any], Any]:
    import torch

    return lambda x: torch.tanh(W @ x + c).sum()


def _wiggle(a: Any) -> Callable[[Any], Any]:
    import torch

    return lambda x: (torch.sin(a * x) * x * x).sum()


def _np_tanh_layer(W: Any, c: Any) -> Callable[[Any], Any]:
    import numpy as np

    return lambda x: np.tanh(W @ x + c).sum()


def _np_wiggle(a: Any) -> Callable[[Any], Any]:
    import numpy as np

    return lambda x: (np.sin(a * x) * x * x).sum()


#: the same functions in NumPy: the values the learner's code gets, computed in the judge (``Function.value``)
_NUMPY: dict[str, Callable[..., Callable[[Any], Any]]] = {
    "quadratic": _quadratic, "tanh_layer": _np_tanh_layer, "wiggle": _np_wiggle}

#: name -> (a builder taking the parameters, the formula in words)
FUNCTIONS: dict[str, tuple[Callable[..., Callable[[Any], Any]], str]] = {
    "quadratic": (_quadratic, "f(x) = 0.5 * x @ A @ x + b @ x"),
    "tanh_layer": (_tanh_layer, "f(x) = tanh(W @ x + c).sum()"),
    "wiggle": (_wiggle, "f(x) = (sin(a * x) * x * x).sum()"),
}


@dataclass(frozen=True)
class Function:
    """A function of x that the judge hands to the learner's code: ``FUNCTIONS[name]`` with ``params``."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def build(self) -> Callable[[Any], Any]:
        builder, _ = FUNCTIONS[self.name]
        return builder(**dict(self.params))

    def value(self, x: Any) -> float:
        """The function's value at the point ``x`` (a tensor) as the learner's code receives it, computed here in
        the judge in NumPy (float64). The learner's side holds only a key: each call sends x over the channel and
        gets this number back (``tasks.exercise``), so neither the parameters nor the formula's code ever enter
        the learner's process, and autograd, forward-mode AD and torch.func see a constant there, as with a
        function measured from the outside. The judge's reference differentiates ``build()`` itself."""
        import numpy as np
        import torch

        params = {k: v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)
                  for k, v in self.params.items()}
        point = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float64)
        return float(_NUMPY[self.name](**params)(point.astype(np.float64)))

    def __str__(self) -> str:
        return FUNCTIONS[self.name][1]


# ------------------------------------------------------------------ pandas and Matplotlib values


def is_frame(value: Any) -> bool:
    """``value`` is a pandas DataFrame (pandas is never imported here: a DataFrame means it already is)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def _is_series(value: Any) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.Series)


def _is_axes(value: Any) -> bool:
    axes = sys.modules.get("matplotlib.axes")
    return axes is not None and isinstance(value, axes.Axes)


def figure_data(ax: Any) -> dict[str, Any]:
    """What a Matplotlib ``Axes`` is compared as: its texts, its lines and its bars, as plain values.

    ``{"title", "xlabel", "ylabel": texts, "xscale", "yscale": "linear" or "log", "legend": the legend's texts
    or None, "lines": [{"label": text or None (an unlabelled line), "x", "y": float64 tensors}], "bars": a
    (n, 3) float64 tensor of each bar's left edge, width and height (a histogram's or a bar chart's)}``.
    """
    import numpy as np
    import torch
    from matplotlib.patches import Rectangle

    def values(data: Any) -> Any:
        return torch.as_tensor(np.asarray(data, dtype=np.float64).reshape(-1))

    lines = []
    for line in ax.get_lines():
        label = str(line.get_label())
        lines.append({"label": None if label.startswith("_") else label,  # matplotlib names unlabelled lines _child0
                      "x": values(line.get_xdata()), "y": values(line.get_ydata())})
    bars = [[p.get_x(), p.get_width(), p.get_height()] for p in ax.patches if isinstance(p, Rectangle)]
    legend = ax.get_legend()
    return {"title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
            "xscale": ax.get_xscale(), "yscale": ax.get_yscale(),
            "legend": [t.get_text() for t in legend.get_texts()] if legend is not None else None,
            "lines": lines, "bars": torch.tensor(bars, dtype=torch.float64).reshape(-1, 3)}


def plain(value: Any) -> Any:
    """A learner's answer as the judge compares it: a pandas Series or DataFrame as its ``.to_dict()`` (a
    DataFrame: {column: {index: value}}), a Matplotlib Axes as ``figure_data``; anything else as it is (inside
    tuples, lists and dicts too)."""
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if is_frame(value) or _is_series(value):
        return plain(value.to_dict())
    if _is_axes(value):
        data = figure_data(value)
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close(value.figure)  # read: pyplot would keep every figure of every case open
        return data
    return value


# ------------------------------------------------------------------ cases, exercises, mistakes


class Case:
    """One hidden input: ``Case(label, *args, **kwargs)``; ``label`` says, in the lesson's words, what is awkward
    about it ("a row with a score of 1000"): the learner reads it when their answer is wrong."""

    def __init__(self, label: str, *args: Any, **kwargs: Any) -> None:
        self.label = label
        self.args = args
        self.kwargs = kwargs

    def shown(self, names: Sequence[str] = ()) -> str:
        """The inputs in a line: ``x = tensor([[1000., 0., -5.]])``, or a summary for a large tensor."""
        parts = [f"{names[i] if i < len(names) else f'argument {i + 1}'} = {show(a)}" for i, a in enumerate(self.args)]
        parts += [f"{k} = {show(v)}" for k, v in self.kwargs.items()]
        return ", ".join(parts)

    def __repr__(self) -> str:
        return f"Case({self.label!r})"


Mistake = Callable[[Case, Any, Any], "str | None"]


def mistake(code: str, *, lesson: str | None = None) -> Callable[[Mistake], Mistake]:
    """Mark ``fn(case, got, want) -> message or None`` as the mistake ``code`` (kebab-case, unique in the folder).

    ``want`` is the reference's answer (None for an exercise graded by ``check`` alone). The message says what
    was seen, what it means and what to do, in the lesson's terms, in at most 300 characters. The diagnosis
    points to the folder's lesson, or to ``lesson``.
    """

    def mark(fn: Mistake) -> Mistake:
        fn.code = code  # type: ignore[attr-defined]
        fn.lesson = lesson  # type: ignore[attr-defined]
        return fn

    return mark


@dataclass(frozen=True)
class Exercise:
    """How the judge grades one function of the exercise folder."""

    name: str  #: the function's name, as project.yaml's `exercises:` gives it
    cases: Callable[[Any], list[Case]]  #: rng (a torch.Generator from the hidden seed) -> the cases, simplest first
    reference: Callable[..., Any] | None = None  #: the right answer for a case's inputs (computed in the judge)
    check: Callable[[Case, Any], str | None] | None = None  #: what is wrong with an answer, or None (no reference)
    mistakes: Sequence[Mistake] = ()  #: tried in order on a wrong answer; the first message wins
    rtol: float = 1e-5  #: relative tolerance of the comparison with the reference
    atol: float = 1e-6  #: absolute tolerance (values near 0)
    #: case -> how many values of a Function among its inputs the judge answers during one call (None: no bound);
    #: past it, the function raises in the learner's code and the case is `exercise-too-many-evaluations`
    max_evaluations: Callable[[Case], int] | None = None


# ------------------------------------------------------------------ comparing and showing


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "numel") and value.numel() == 1 and value.dim() == 0:
        return float(value)
    return None


def _as_tensor(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    try:
        return torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError):
        return None


def finite(value: Any) -> bool:
    """Every number in ``value`` (a tensor, a number, a sequence of them) is finite."""
    import torch

    if isinstance(value, (list, tuple)):
        return all(finite(v) for v in value)
    if isinstance(value, torch.Tensor):
        return bool(torch.isfinite(value).all()) if value.is_floating_point() else True
    number = _number(value)
    return number is None or math.isfinite(number)


def show(value: Any) -> str:
    """A short, readable text of a value: small tensors in full, large ones by shape, type and range."""
    import torch

    if isinstance(value, Function):
        return str(value)
    if is_frame(value):
        return _show_frame(value)
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        kind = str(t.dtype).replace("torch.", "")
        if t.numel() <= _MAX_SHOWN:
            if t.is_floating_point():
                return f"tensor({_nest(t)})" if t.dim() else f"tensor({float(t):.4g})"
            return f"tensor({t.tolist()})"
        shape = str(tuple(t.shape))
        if t.is_floating_point():
            fin = t[torch.isfinite(t)]
            span = f", values from {float(fin.min()):.4g} to {float(fin.max()):.4g}" if fin.numel() else ""
            odd = int((~torch.isfinite(t)).sum())
            return f"a {shape} {kind} tensor{span}" + (f", {odd} not finite" if odd else "")
        if t.dtype == torch.bool:
            return f"a {shape} bool tensor, {int(t.sum())} True"
        return f"a {shape} {kind} tensor, values from {int(t.min())} to {int(t.max())}"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(show(v) for v in value[:6]) + (", ..." if len(value) > 6 else "")
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, dict) and set(value) == _FIGURE_KEYS:
        return _show_figure(value)
    if isinstance(value, dict):  # a pandas answer: each value shown as above
        inner = ", ".join(f"{k!r}: {show(v)}" for k, v in list(value.items())[:12])
        return "{" + inner + (", ..." if len(value) > 12 else "") + "}"
    return repr(value)[:200]


def _show_figure(figure: dict[str, Any]) -> str:
    """What ``figure_data`` read, in words: the texts, then each line's label and x values."""
    parts = [f"{name} {figure[key]!r}" for key, name in (("title", "title"), ("xlabel", "x label"),
                                                        ("ylabel", "y label")) if figure[key]]
    parts.append(f"legend {figure['legend']!r}" if figure["legend"] is not None else "no legend")
    for line in figure["lines"][:4]:
        label = repr(line["label"]) if line["label"] is not None else "an unlabelled line"
        parts.append(f"{label} at x = {show(line['x'])}")
    if len(figure["bars"]):
        parts.append(f"{len(figure['bars'])} bars")
    return "a figure: " + ", ".join(parts)


def _show_frame(df: Any) -> str:
    """A small DataFrame in full (``DataFrame({'area': [50.0, nan], ...})``), a large one by its columns."""
    if df.size <= 2 * _MAX_SHOWN:
        columns = ", ".join(f"{str(c)!r}: {[None if v is None else v for v in df[c].tolist()]!r}" for c in df.columns)
        return f"DataFrame({{{columns}}})"
    parts = []
    for c in df.columns:
        missing = int(df[c].isna().sum())
        parts.append(f"{c} ({df[c].dtype}" + (f", {missing} missing)" if missing else ")"))
    return f"a DataFrame of {len(df)} rows: " + ", ".join(parts)


def _nest(t: Any) -> str:
    """The nested-list text of a small float tensor (rounded values)."""
    values = [f"{float(v):.4g}" for v in t.reshape(-1)]

    def build(shape: tuple[int, ...], start: int) -> tuple[str, int]:
        if not shape:
            return values[start], start + 1
        parts = []
        for _ in range(shape[0]):
            text, start = build(shape[1:], start)
            parts.append(text)
        return "[" + ", ".join(parts) + "]", start

    return build(tuple(t.shape), 0)[0] if t.numel() else "[]"


def _index(flat: int, shape: tuple[int, ...]) -> str:
    out = []
    for size in reversed(shape):
        out.append(flat % size)
        flat //= size
    return "[" + ", ".join(str(i) for i in reversed(out)) + "]"


def differs(got: Any, want: Any, rtol: float = 1e-5, atol: float = 1e-6) -> str | None:
    """What makes ``got`` differ from ``want``, in a sentence (None: they agree within the tolerances).

    Lenient about containers and types where the lesson does not care: a list for a tensor, a 0-d tensor for a
    number, int64 for float values; strict about shapes, lengths, values, and NaN or infinity where a finite
    value was expected.
    """
    import torch

    if isinstance(want, (list, tuple)) and not (isinstance(got, torch.Tensor) and got.dim() > 0):
        if not isinstance(got, (list, tuple)):
            return f"a {type(got).__name__} where a tuple of {len(want)} values was expected"
        if len(got) != len(want):
            return f"{len(got)} values where {len(want)} were expected"
        for i, (g, w) in enumerate(zip(got, want)):
            problem = differs(g, w, rtol, atol)
            if problem:
                return f"value {i + 1} of {len(want)}: {problem}" if len(want) > 1 else problem
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return f"{show(got)} where a dict with keys {sorted(want)} was expected"
        for key in want:
            problem = differs(got[key], want[key], rtol, atol)
            if problem:
                return f"{key!r}: {problem}"
        return None
    want_number = _number(want) if not (isinstance(want, torch.Tensor) and want.dim() > 0) else None
    if want is None or isinstance(want, str):
        return None if got == want else f"{show(got)} where {show(want)} was expected"
    if want_number is not None:
        got_number = _number(got)
        if got_number is None:
            return f"{show(got)} where a single number ({show(want_number)}) was expected"
        return _close_numbers(got_number, want_number, rtol, atol)
    w = _as_tensor(want)
    g = _as_tensor(got)
    if g is None:
        return f"a {type(got).__name__} where a tensor of shape {tuple(w.shape)} was expected"
    if tuple(g.shape) != tuple(w.shape):
        return f"shape {tuple(g.shape)} where {tuple(w.shape)} was expected"
    g64, w64 = g.double().reshape(-1), w.double().reshape(-1)
    bad_finite = torch.isfinite(w64) & ~torch.isfinite(g64)
    if bool(bad_finite.any()):
        i = int(bad_finite.nonzero()[0])
        return (f"{float(g64[i])} at {_index(i, tuple(w.shape))} where {float(w64[i]):.6g} was expected"
                + _more(int(bad_finite.sum()), w64.numel()))
    same_inf = (~torch.isfinite(w64)) & (g64 == w64)
    wrong = ~(torch.isclose(g64, w64, rtol=rtol, atol=atol) | same_inf)
    if bool(wrong.any()):
        i = int(wrong.nonzero()[0])
        shown_got, shown_want = _apart(float(g64[i]), float(w64[i]))
        return (f"{shown_got} at {_index(i, tuple(w.shape))} where {shown_want} was expected"
                + _more(int(wrong.sum()), w64.numel()))
    return None


def _apart(got: float, want: float) -> tuple[str, str]:
    """Two numbers with as many digits as it takes to see that they differ (6 to 17)."""
    for digits in (6, 8, 10, 12, 17):
        a, b = f"{got:.{digits}g}", f"{want:.{digits}g}"
        if a != b:
            return a, b
    return a, b


def _more(count: int, total: int) -> str:
    return f" ({count} of {total} values are wrong)" if total > 1 else ""


def _close_numbers(got: float, want: float, rtol: float, atol: float) -> str | None:
    if math.isfinite(want) and not math.isfinite(got):
        return f"{got} where {want:.6g} was expected"
    if got == want or (math.isfinite(got) and abs(got - want) <= atol + rtol * abs(want)):
        return None
    shown_got, shown_want = _apart(got, want)
    return f"{shown_got} where {shown_want} was expected"


def matches(got: Any, value: Any, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    """``got`` agrees with ``value`` (a wrong formula's answer, in a mistake): ``differs`` finds nothing."""
    try:
        return differs(got, value, rtol, atol) is None
    except Exception:  # noqa: BLE001 - a mistake's guess that cannot even be compared does not match
        return False


# ------------------------------------------------------------------ the grading file


def load_grading(folder: Path) -> dict[str, Exercise]:
    """The exercises ``folder/grading.py`` defines, by name (judge side only: this runs the file)."""
    path = Path(folder) / GRADING_FILE
    name = f"dlpath_exercise_grading_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    exercises = getattr(module, "EXERCISES", None)
    if not isinstance(exercises, (list, tuple)) or not all(isinstance(e, Exercise) for e in exercises):
        raise ValueError(f"{path}: EXERCISES must be a list of Exercise")
    for exercise in exercises:
        if exercise.reference is None and exercise.check is None:
            raise ValueError(f"{path}: exercise {exercise.name!r} needs a reference or a check")
        for fn in exercise.mistakes:
            if not getattr(fn, "code", None):
                raise ValueError(f"{path}: {getattr(fn, '__name__', fn)!r} in {exercise.name!r} is not marked "
                                 "with @mistake(\"code\")")
    return {e.name: e for e in exercises}


def declared(folder: Path) -> tuple[dict[str, int], dict[str, int]] | None:
    """({exercise name: line}, {mistake code: line}) written in ``folder/grading.py``, read without running it
    (``Exercise("name", ...)`` and ``@mistake("code")`` with plain strings); None when the file cannot be read."""
    path = Path(folder) / GRADING_FILE
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    names: dict[str, int] = {}
    codes: dict[str, int] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        if callee == "Exercise":
            names.setdefault(first.value, node.lineno)
        elif callee == "mistake":
            codes.setdefault(first.value, node.lineno)
    return names, codes
