"""The kernel file as the grader reads it: the subset of Python a CUDA kernel is written in, checked, then loaded.

A kernel project's ``train.py`` is read as text and checked statement by
statement (``check``) before anything of it runs. It may hold only:

- imports of ``numba`` (and ``numba.cuda``), ``math`` and ``numpy``;
- constants: ``NAME = expression`` of numbers, names and operators;
- functions: exactly one kernel (``@cuda.jit``), device functions
  (``@cuda.jit(device=True)``) and plain host functions (``launch``);
- an ``if __name__ == "__main__":`` block, which the grader never runs.

Inside the functions: assignments, ``for ... in range(...)``, ``while``,
``if``, arithmetic, comparisons, array indexing (no slices), the CUDA API that
numba-cuda's simulator also has (thread and block indices, ``cuda.grid``,
``cuda.shared.array``, ``cuda.local.array``, ``cuda.syncthreads``,
``cuda.atomic``), ``math`` functions, numpy and numba number types, and the
array attributes ``shape``, ``size`` and ``ndim``. That is the Python numba
compiles for a GPU, less what dlpath's simulator does not model (warp
intrinsics). No other attribute, no name starting with ``__``, no import
elsewhere, no ``lambda``, comprehension, ``try``, ``with``, ``global``.

Why so strict: whatever passes ``check`` can compute with the arrays it is
handed and nothing else. It cannot reach the simulator's counters, open a
file or import a module, so the figures the simulator measures while it runs
(memory traffic, out-of-bounds accesses, races) are dlpath's own.

``load`` turns checked source into a ``KernelModule``: each
``cuda.syncthreads()`` becomes a ``yield`` (so the simulator runs the threads
of a block in lock-step, barrier to barrier, in one Python thread), imports
are bound to what the simulator provides, and the code runs with a handful of
builtins (``range``, ``min``, ``max``, ``abs``, ``int``, ``float``, ``len``,
``bool``, ``round``; ``print`` does nothing). Line numbers are the file's own.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["SourceProblem", "KernelModule", "check", "load", "MODULES", "DTYPES"]

MODULES = ("numba", "numba.cuda", "math", "numpy")  # what the file may import
DTYPES = ("float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
          "uint64", "boolean", "bool_")
_CUDA_VALUES = {"threadIdx", "blockIdx", "blockDim", "gridDim", "warpsize", "laneid"}
_CUDA_CALLS = {"grid", "gridsize", "syncthreads", "shared.array", "local.array", "atomic.add", "atomic.sub",
               "atomic.max", "atomic.min", "atomic.exch"}
_NO_WARPS = {"shfl_sync", "shfl_up_sync", "shfl_down_sync", "shfl_xor_sync", "all_sync", "any_sync", "eq_sync",
             "ballot_sync", "match_any_sync", "match_all_sync", "syncwarp", "activemask", "lanemask_lt",
             "syncthreads_count", "syncthreads_and", "syncthreads_or", "threadfence", "threadfence_block",
             "threadfence_system", "cg", "const", "atomic.cas", "atomic.compare_and_swap", "atomic.inc",
             "atomic.dec", "atomic.and_", "atomic.or_", "atomic.xor", "atomic.nanmax", "atomic.nanmin"}
_MATH = {name for name in dir(math) if not name.startswith("_")}
_NUMPY = set(DTYPES) | {"inf", "nan", "pi", "e"}
_ARRAY_ATTRIBUTES = {"shape", "size", "ndim"}
_JIT_OPTIONS = {"device", "fastmath", "debug", "opt", "lineinfo", "cache", "inline", "max_registers", "link"}
BUILTINS = ("range", "min", "max", "abs", "int", "float", "len", "bool", "round", "print")


@dataclass(frozen=True)
class SourceProblem:
    """Something in the file the grader will not run, with its line."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class KernelModule:
    """A checked kernel file, loaded: its namespace and what the contract needs from it."""

    namespace: dict[str, Any]
    kernel: str  #: the name of the one @cuda.jit kernel
    parameters: tuple[str, ...]  #: the kernel's parameter names, in order
    syncs: bool  #: the kernel calls cuda.syncthreads() (itself or through a device function)
    filename: str
    lines: list[str] = field(default_factory=list)  #: the source, for quoting a line

    def function(self, name: str) -> Callable[..., Any]:
        return self.namespace[name]

    def quote(self, line: int | None) -> str:
        if not line or not 1 <= line <= len(self.lines):
            return ""
        return " ".join(self.lines[line - 1].split())[:120]


# ------------------------------------------------------------------ reading the imports


def _imports(tree: ast.Module, problems: list[SourceProblem]) -> dict[str, str]:
    """Each imported name and what it stands for: "numba", "numba.cuda", "math", "numpy", "dtype",
    "math.<name>" or "numba.cuda" (from numba import cuda)."""
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name not in MODULES:
                    problems.append(SourceProblem(node.lineno, f"import {alias.name}: a kernel file imports only "
                                                               "numba, numba.cuda, math and numpy"))
                elif alias.asname:
                    names[alias.asname] = alias.name
                else:
                    names[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            for alias in node.names:
                bound = alias.asname or alias.name
                if module == "numba" and alias.name == "cuda":
                    names[bound] = "numba.cuda"
                elif module in ("numba", "numpy") and alias.name in DTYPES:
                    names[bound] = "dtype"
                elif module == "math" and alias.name in _MATH:
                    names[bound] = f"math.{alias.name}"
                else:
                    problems.append(SourceProblem(node.lineno, f"from {module} import {alias.name}: a kernel file "
                                                               "imports only cuda and number types from numba, "
                                                               "math functions, and numpy"))
    return names


# ------------------------------------------------------------------ the checker


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class _Checker:
    """Walks one function (or a constant's expression) and notes every construct outside the kernel subset."""

    def __init__(self, imports: dict[str, str], functions: dict[str, str], problems: list[SourceProblem]) -> None:
        self.imports = imports
        self.functions = functions  # name -> "kernel" | "device" | "host"
        self.problems = problems
        self.where = "host"

    def problem(self, node: ast.AST, message: str) -> None:
        self.problems.append(SourceProblem(getattr(node, "lineno", 0), message))

    def cuda_name(self, dotted: str) -> str | None:
        """The CUDA API name (``threadIdx.x``, ``shared.array``) of a dotted expression, or None."""
        head, _, rest = dotted.partition(".")
        kind = self.imports.get(head)
        if kind == "numba.cuda":
            return rest
        if kind == "numba" and rest.startswith("cuda."):
            return rest[5:]
        return None

    # -- expressions
    def attribute(self, node: ast.Attribute, call: bool) -> None:
        dotted = _dotted(node)
        if dotted is None:  # (expression).attr: only the array attributes
            if node.attr not in _ARRAY_ATTRIBUTES:
                self.problem(node, f".{node.attr}: the only attributes a kernel may use on a value are "
                                   "shape, size and ndim")
            self.expr(node.value)
            return
        head, _, rest = dotted.partition(".")
        kind = self.imports.get(head)
        api = self.cuda_name(dotted)
        if api is not None:
            base = api.split(".")[0]
            if api in _NO_WARPS or base in _NO_WARPS or (call and api in _NO_WARPS):
                self.problem(node, f"cuda.{api}: dlpath's simulator has no warps and no cooperative groups, so it "
                                   "cannot run warp-level or fence instructions (numba's simulator has no warp "
                                   "shuffles either); write it with shared memory and cuda.syncthreads()")
            elif call and api in _CUDA_CALLS:
                if self.where == "host":
                    self.problem(node, f"cuda.{api}(): only kernels and device functions run on the GPU; "
                                       "launch() only chooses the grid")
            elif not call and (base in ("threadIdx", "blockIdx", "blockDim", "gridDim") and
                               api.count(".") == 1 and api.split(".")[1] in ("x", "y", "z")
                               or api in ("warpsize", "laneid")):
                if self.where == "host":
                    self.problem(node, f"cuda.{api} exists only inside a kernel")
            elif api == "jit":
                self.problem(node, "cuda.jit is a decorator: put it on the line above a def")
            else:
                self.problem(node, f"cuda.{api}: not something the grader's simulator has (it has threadIdx, "
                                   "blockIdx, blockDim, gridDim, grid, gridsize, syncthreads, shared.array, "
                                   "local.array and atomic.add/sub/max/min/exch)")
            return
        if kind == "math":
            if rest not in _MATH:
                self.problem(node, f"{dotted}: math has no {rest}")
            return
        if kind in ("numba", "numpy"):
            if rest not in (DTYPES if kind == "numba" else _NUMPY):
                what = "number types (float32, int32, ...)" if kind == "numba" else \
                    "number types (np.float32, ...) and the constants inf, nan, pi, e"
                self.problem(node, f"{dotted}: a kernel uses only {what} from {head}")
            return
        if node.attr not in _ARRAY_ATTRIBUTES or "." in rest:
            self.problem(node, f"{dotted}: the only attributes a kernel may use on a value are shape, size and ndim")

    def call(self, node: ast.Call) -> None:
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            self.problem(node, "*args and **kwargs are not allowed in a kernel file")
        func = node.func
        if isinstance(func, ast.Attribute):
            dotted = _dotted(func)
            api = self.cuda_name(dotted) if dotted else None
            if api == "syncthreads":
                self.problem(node, "cuda.syncthreads() must stand on a line of its own")
            allowed_keywords = {"shape", "dtype"} if api in ("shared.array", "local.array") else set()
            for keyword in node.keywords:
                if keyword.arg not in allowed_keywords:
                    self.problem(keyword, f"the keyword {keyword.arg}= is not allowed here")
            self.attribute(func, call=True)
        elif isinstance(func, ast.Name):
            kind = self.functions.get(func.id) or self.imports.get(func.id)
            if node.keywords:
                self.problem(node, f"{func.id}(...): pass arguments by position in a kernel file")
            if func.id.startswith("__"):
                self.problem(node, f"{func.id}: names starting with __ are not allowed")
            elif kind == "kernel":
                self.problem(node, f"{func.id}(...) is the kernel: only dlpath launches it (launch() returns the "
                                   "grid), and a kernel cannot call a kernel")
            elif kind in ("device", "host"):
                if kind == "host" and self.where != "host":
                    self.problem(node, f"{func.id}(...) is a plain Python function: a kernel can call only "
                                       "device functions (@cuda.jit(device=True))")
                if kind == "device" and self.where == "host":
                    self.problem(node, f"{func.id}(...) is a device function: it runs on the GPU, not in launch()")
            elif kind == "dtype" or (kind or "").startswith("math."):
                pass
            elif func.id not in BUILTINS:
                self.problem(node, f"{func.id}(...): a kernel file may call its own functions, math functions, "
                                   f"number types and {', '.join(BUILTINS[:-1])}")
        else:
            self.problem(node, "call a function by its name")
            self.expr(func)
        for arg in node.args:
            self.expr(arg.value if isinstance(arg, ast.Starred) else arg)
        for keyword in node.keywords:
            self.expr(keyword.value)

    def expr(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bytes):
                self.problem(node, "bytes are not allowed in a kernel file")
        elif isinstance(node, ast.Name):
            if node.id.startswith("__"):
                self.problem(node, f"{node.id}: names starting with __ are not allowed")
        elif isinstance(node, ast.Attribute):
            self.attribute(node, call=False)
        elif isinstance(node, ast.Call):
            self.call(node)
        elif isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.MatMult):
                self.problem(node, "@ (matrix multiply) is not a kernel operation: write the loop")
            self.expr(node.left)
            self.expr(node.right)
        elif isinstance(node, ast.UnaryOp):
            self.expr(node.operand)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.expr(value)
        elif isinstance(node, ast.Compare):
            self.expr(node.left)
            for value in node.comparators:
                self.expr(value)
        elif isinstance(node, ast.IfExp):
            self.expr(node.test)
            self.expr(node.body)
            self.expr(node.orelse)
        elif isinstance(node, ast.Subscript):
            self.expr(node.value)
            index = node.slice
            for part in (index.elts if isinstance(index, ast.Tuple) else [index]):
                if isinstance(part, ast.Slice):
                    self.problem(part, "slices (a[i:j], a[i, :]) are not supported: index one element at a time")
                else:
                    self.expr(part)
        elif isinstance(node, ast.Tuple):
            for value in node.elts:
                self.expr(value)
        else:
            what = {ast.Lambda: "lambda", ast.ListComp: "a list comprehension", ast.List: "a list",
                    ast.Dict: "a dict", ast.Set: "a set", ast.JoinedStr: "an f-string",
                    ast.GeneratorExp: "a generator", ast.DictComp: "a dict comprehension",
                    ast.SetComp: "a set comprehension", ast.NamedExpr: ":=", ast.Await: "await",
                    ast.Yield: "yield", ast.YieldFrom: "yield", ast.Starred: "*"}.get(type(node), type(node).__name__)
            self.problem(node, f"{what} is not part of the kernel language (numba compiles numbers, tuples and "
                               "arrays)")

    # -- statements
    def target(self, node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            if node.id.startswith("__"):
                self.problem(node, f"{node.id}: names starting with __ are not allowed")
        elif isinstance(node, ast.Subscript):
            self.expr(node)
        elif isinstance(node, ast.Tuple):
            for element in node.elts:
                self.target(element)
        else:
            self.problem(node, "assign to a name or an array element")

    def statements(self, body: list[ast.stmt]) -> None:
        for node in body:
            self.statement(node)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self.target(target)
            self.expr(node.value)
        elif isinstance(node, ast.AugAssign):
            self.target(node.target)
            self.expr(node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None and node.simple:
            self.target(node.target)
            self.expr(node.value)
        elif isinstance(node, ast.For):
            self.target(node.target)
            it = node.iter
            if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"):
                self.problem(node, "a kernel loops with for ... in range(...) or while")
            self.expr(it)
            if node.orelse:
                self.problem(node, "for ... else is not supported")
            self.statements(node.body)
        elif isinstance(node, ast.While):
            self.expr(node.test)
            if node.orelse:
                self.problem(node, "while ... else is not supported")
            self.statements(node.body)
        elif isinstance(node, ast.If):
            self.expr(node.test)
            self.statements(node.body)
            self.statements(node.orelse)
        elif isinstance(node, ast.Return):
            if node.value is not None:
                if self.where == "kernel":
                    self.problem(node, "a kernel returns nothing: write its result into the output array")
                self.expr(node.value)
        elif isinstance(node, (ast.Pass, ast.Break, ast.Continue)):
            pass
        elif isinstance(node, ast.Expr):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return  # a docstring or a comment-string
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                dotted = _dotted(value.func)
                if dotted and self.cuda_name(dotted) == "syncthreads":
                    if value.args or value.keywords:
                        self.problem(value, "cuda.syncthreads() takes no arguments")
                    if self.where == "host":
                        self.problem(value, "cuda.syncthreads() exists only inside a kernel")
                    return
            if not isinstance(value, ast.Call):
                self.problem(node, "an expression on its own line does nothing: assign it or remove it")
            self.expr(value)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.problem(node, "define functions at the top level of the file, not inside another")
        else:
            what = {ast.Import: "import", ast.ImportFrom: "import", ast.Try: "try", ast.With: "with",
                    ast.Raise: "raise", ast.Assert: "assert", ast.Global: "global", ast.Nonlocal: "nonlocal",
                    ast.Delete: "del"}.get(type(node), type(node).__name__)
            self.problem(node, f"{what} is not part of the kernel language")


def _jit(decorator: ast.expr, imports: dict[str, str], problems: list[SourceProblem]) -> str | None:
    """"kernel" or "device" for a cuda.jit decorator, None for anything else (reported)."""
    checker = _Checker(imports, {}, problems)
    call = decorator if isinstance(decorator, ast.Call) else None
    target = call.func if call is not None else decorator
    dotted = _dotted(target)
    if dotted is None or checker.cuda_name(dotted) != "jit":
        problems.append(SourceProblem(decorator.lineno, "the only decorator a kernel file may use is @cuda.jit"))
        return None
    device = False
    if call is not None:
        for arg in call.args:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                problems.append(SourceProblem(arg.lineno, "@cuda.jit(...) takes a signature string and options "
                                                          "such as device=True"))
        for keyword in call.keywords:
            if keyword.arg not in _JIT_OPTIONS or not isinstance(keyword.value, ast.Constant):
                problems.append(SourceProblem(keyword.lineno, f"@cuda.jit option {keyword.arg}= is not one the "
                                                              "grader knows (device=True, fastmath=True, ...)"))
            elif keyword.arg == "device":
                device = bool(keyword.value.value)
    return "device" if device else "kernel"


def _is_main_block(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    sides = [test.left, *test.comparators]
    return (len(sides) == 2 and isinstance(test.ops[0], ast.Eq)
            and any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


def _parse(source: str, filename: str) -> tuple[ast.Module | None, list[SourceProblem]]:
    try:
        return ast.parse(source, filename=filename), []
    except SyntaxError as exc:
        return None, [SourceProblem(exc.lineno or 0, f"syntax error: {exc.msg}")]
    except ValueError as exc:  # a NUL byte
        return None, [SourceProblem(0, f"the file cannot be read as Python: {exc}")]
    except (RecursionError, MemoryError):
        return None, [SourceProblem(0, _TOO_DEEP)]


def _read(tree: ast.Module) -> tuple[dict[str, str], dict[str, str], list[SourceProblem]]:
    """(imports, functions: name -> kernel|device|host, problems) of a parsed file."""
    problems: list[SourceProblem] = []
    imports = _imports(tree, problems)
    functions: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            kinds = [_jit(d, imports, problems) for d in node.decorator_list]
            functions[node.name] = next((k for k in kinds if k), "host") if node.decorator_list else "host"
    checker = _Checker(imports, functions, problems)
    for index, node in enumerate(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)) or _is_main_block(node):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # the module docstring
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            checker.where = "host"
            for target in node.targets:
                checker.target(target)
            checker.expr(node.value)
        elif isinstance(node, ast.FunctionDef):
            args = node.args
            if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or args.defaults:
                problems.append(SourceProblem(node.lineno, f"{node.name}(): plain positional parameters only"))
            for arg in args.args:
                if arg.arg.startswith("__"):
                    problems.append(SourceProblem(node.lineno, f"{arg.arg}: names starting with __ are not allowed"))
            checker.where = functions[node.name]
            checker.statements(node.body)
        else:
            problems.append(SourceProblem(node.lineno, "a kernel file holds imports, constants (NAME = value) and "
                                                       "functions at its top level; put other code under "
                                                       "if __name__ == \"__main__\":"))
    return imports, functions, problems


_TOO_DEEP = "an expression nests too deep for the grader to read: split it into steps"


def check(source: str, filename: str = "train.py") -> list[SourceProblem]:
    """Every construct of ``source`` outside the kernel subset, and what the contract misses, each with its line."""
    tree, problems = _parse(source, filename)
    if tree is None:
        return problems
    try:
        _, functions, problems = _read(tree)
    except RecursionError:  # the checks walk expressions recursively
        return [SourceProblem(0, _TOO_DEEP)]
    kernels = [name for name, kind in functions.items() if kind == "kernel"]
    if not kernels:
        problems.append(SourceProblem(0, "no kernel: decorate the function each GPU thread runs with @cuda.jit"))
    elif len(kernels) > 1:
        problems.append(SourceProblem(0, f"{len(kernels)} kernels ({', '.join(kernels)}); the grader launches one: "
                                         "make the others device functions, @cuda.jit(device=True)"))
    if functions.get("launch") != "host":
        problems.append(SourceProblem(0, "no launch(shape) function: it returns (blocks, threads), the grid for an "
                                         "output of that shape"))
    return sorted(set(problems), key=lambda p: (p.line, p.message))


# ------------------------------------------------------------------ loading: barriers become yields


def _syncing(tree: ast.Module, imports: dict[str, str], functions: dict[str, str]) -> set[str]:
    """The GPU functions that reach cuda.syncthreads(), directly or through a device function they call."""
    checker = _Checker(imports, functions, [])
    direct: dict[str, bool] = {}
    calls: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and functions.get(node.name) in ("kernel", "device"):
            found, called = False, set()
            for sub in ast.walk(node):
                if isinstance(sub, ast.Call):
                    dotted = _dotted(sub.func)
                    if dotted and checker.cuda_name(dotted) == "syncthreads":
                        found = True
                    elif isinstance(sub.func, ast.Name) and functions.get(sub.func.id) == "device":
                        called.add(sub.func.id)
            direct[node.name], calls[node.name] = found, called
    syncing = {name for name, found in direct.items() if found}
    changed = True
    while changed:
        changed = False
        for name, called in calls.items():
            if name not in syncing and called & syncing:
                syncing.add(name)
                changed = True
    return syncing


class _Barriers(ast.NodeTransformer):
    """cuda.syncthreads() -> ``yield LINE``; a call to a syncing device function -> ``yield from``."""

    def __init__(self, checker: _Checker, syncing: set[str], problems: list[SourceProblem]) -> None:
        self.checker = checker
        self.syncing = syncing
        self.problems = problems

    def _syncing_call(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.syncing

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        value = node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
            dotted = _dotted(value.func)
            if dotted and self.checker.cuda_name(dotted) == "syncthreads":
                return ast.copy_location(ast.Expr(ast.Yield(ast.Constant(node.lineno))), node)
        if self._syncing_call(value):
            return ast.copy_location(ast.Expr(ast.YieldFrom(value)), node)
        return self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if self._syncing_call(node.value):
            node.value = ast.copy_location(ast.YieldFrom(node.value), node.value)
            return node
        return self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> ast.AST:
        if node.value is not None and self._syncing_call(node.value):
            node.value = ast.copy_location(ast.YieldFrom(node.value), node.value)
            return node
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if self._syncing_call(node):
            self.problems.append(SourceProblem(node.lineno, f"{node.func.id}(...) calls cuda.syncthreads(): call it "  # type: ignore[attr-defined]
                                                            "on a line of its own (x = f(...) or f(...))"))
        return self.generic_visit(node)


class LoadError(Exception):
    """The source is not a kernel file the simulator can run (the problems say why)."""

    def __init__(self, problems: list[SourceProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


def load(source: str, filename: str, bind: Callable[[str], Any], jit: Callable[[str], Callable[[Any], Any]]
         ) -> KernelModule:
    """Run checked ``source`` in a fresh namespace with barriers turned into yields.

    ``bind(kind)`` gives the object an import stands for ("numba", "numba.cuda", "math", "numpy", "dtype:NAME",
    "math.NAME"); ``jit(kind)`` wraps a decorated function ("kernel" or "device"). Raises LoadError."""
    problems = check(source, filename)
    if problems:
        raise LoadError(problems)
    tree = ast.parse(source, filename=filename)
    imports, functions, _ = _read(tree)
    syncing = _syncing(tree, imports, functions)
    transform_problems: list[SourceProblem] = []
    body: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or _is_main_block(node):
            continue
        if isinstance(node, ast.FunctionDef):
            node.decorator_list = []
            if node.name in syncing:
                node = _Barriers(_Checker(imports, functions, []), syncing, transform_problems).visit(node)
        body.append(node)
    if transform_problems:
        raise LoadError(transform_problems)
    module = ast.fix_missing_locations(ast.Module(body=body, type_ignores=[]))
    namespace: dict[str, Any] = {"__builtins__": _builtins(), "__name__": "kernel_file"}
    for name, kind in imports.items():
        namespace[name] = bind(f"dtype:{name}" if kind == "dtype" else kind)
    code = compile(module, filename, "exec")
    exec(code, namespace)  # noqa: S102 - checked kernel source, with no builtins but arithmetic ones
    kernel = next(name for name, kind in functions.items() if kind == "kernel")
    for name, kind in functions.items():
        if kind in ("kernel", "device"):
            namespace[name] = jit(kind)(namespace[name])
    definition = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == kernel)
    return KernelModule(namespace, kernel, tuple(a.arg for a in definition.args.args), kernel in syncing, filename,
                        source.splitlines())


def _builtins() -> dict[str, Any]:
    return {"range": range, "min": min, "max": max, "abs": abs, "int": int, "float": float, "len": len,
            "bool": bool, "round": round, "print": lambda *args: None}
