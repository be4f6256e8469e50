"""What a torch.export file (.pt2) may hold before the grader loads it: tensors and a graph of tensor operators.

`torch.export.load` (PyTorch 2.13) runs code from the file it reads, in more ways
than its warning says:

- weights and constants whose config says ``use_pickle``, and custom or opaque
  objects, are unpickled (``torch.load(weights_only=False)``, ``pickle.loads``);
- the sample inputs are read with ``torch.load(weights_only=True)`` and, when
  that fails, again with the full unpickler;
- every symbolic shape formula (``expr_str`` in the graph) goes to
  ``sympy.sympify``, which evaluates it as Python;
- a node's target is any callable reached by attribute from ``torch``
  (``torch.serialization.os.system`` included), called when the graph runs;
- the guards (``guards_code``) are Python source executed by ``.module()``;
- an AOTInductor package (``data/aotinductor/``) is a native library it opens,
  and an archive without ``archive_format`` is read in the legacy layout, whose
  state dict is unpickled.

So nothing the learner wrote reaches it unread. `check` reads the zip's
directory and the JSON members itself (never unpickling, never evaluating) and
raises `UnsafeFile`, naming the member, for anything but a plain program:
members outside the layout `torch.export.save` writes, compressed, duplicated
or larger than `MAX_MEMBER` bytes, a pickled weight or constant, sample inputs
whose pickle names anything but PyTorch's tensor rebuilders (read opcode by
opcode), a node target that is not a tensor operator, a shape formula outside
sympy's plain constructors. `loadable` then rebuilds the archive from the members `check`
read (so that PyTorch's own zip reader sees exactly those bytes), with the sample
inputs emptied (serving never needs them) and the guards removed. The grader
loads the result only in the loader, a sandboxed process that never imports the
learner's code; the judge and the parent never load it at all. The graph is
also the input of FX's code generation, whose strings this check does not vet
one by one: that is one more reason the sandbox is what it is loaded in.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

from dlpath.jsonable import nested_deeper_than

__all__ = ["UnsafeFile", "check", "loadable", "MAX_MEMBER"]

MAX_MEMBER = 64 * 2**20  # bytes of one member
_MAX_MEMBERS = 4096
_MAX_JSON = 16 * 2**20  # bytes of the graph or a config read as JSON
_MAX_NESTING = 256  # levels of lists and dicts in one of its JSON files

_ID = r"[A-Za-z0-9_][A-Za-z0-9_.\-]*"
_LAYOUT = re.compile("|".join([
    r"archive_format|archive_version|byteorder|version|\.data/version|\.data/serialization_id",
    rf"models/{_ID}\.json",
    rf"data/weights/{_ID}_weights_config\.json", r"data/weights/weight_\d+",
    rf"data/constants/{_ID}_constants_config\.json", r"data/constants/tensor_\d+",
    rf"data/sample_inputs/{_ID}\.pt",
    rf"extra/{_ID}",  # read as text, never run
]))
_PAYLOAD = {"weights": re.compile(r"weight_\d+"), "constants": re.compile(r"tensor_\d+")}
_RUNS = {"data/aotinductor/": "a compiled native library (AOTInductor), which loading would open",
         "data/executorch/": "an ExecuTorch program", "data/mtia": "a program for another device",
         "xl_model_weights/": "weights stored outside the program"}

# Node targets that are tensor operators (or the arithmetic on sizes between them).
_TARGET = re.compile(r"torch\.ops\.(aten|prims)\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+"
                     r"|_operator\.(getitem|add|sub|mul|floordiv|truediv|mod|neg|pos|abs|pow|eq|ne|lt|le|gt|ge"
                     r"|and_|or_|not_)"
                     r"|torch\.sym_(max|min|not|float|int|ite|sqrt|sum)|math\.(ceil|floor|trunc|sqrt)")

# A shape formula is what sympy.srepr writes: constructors of plain numbers, symbols and operations.
_FORMULA_NAMES = frozenset("""
Symbol Dummy Integer Rational Float Add Mul Pow Max Min Mod Abs floor ceiling sqrt Eq Ne Lt Le Gt Ge Equality
Unequality StrictLessThan LessThan StrictGreaterThan GreaterThan And Or Not Piecewise ExprCondPair true false
BooleanTrue BooleanFalse oo zoo nan Infinity NegativeInfinity NaN Half One Zero NegativeOne True False None
FloorDiv ModularIndexing Where PythonMod CleanDiv CeilToInt FloorToInt CeilDiv IntTrueDiv FloatTrueDiv LShift
RShift IsNonOverlappingAndDenseIndicator TruncToFloat TruncToInt RoundToInt RoundDecimal ToFloat FloatPow
PowByNatural Identity
""".split())
_FORMULA_KEYWORDS = frozenset("""positive negative nonnegative nonpositive integer real extended_real finite infinite
nonzero zero even odd rational commutative precision evaluate""".split())
_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|'(?P<text>[A-Za-z0-9_.\-+]*)'"
                    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(?P<punct>[(),=]))")


# What the sample inputs' pickle (torch.save of tensors) may name: PyTorch's tensor rebuilders, nothing else.
_STORAGES = ("Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool")
_SAFE_GLOBALS = frozenset({"torch._utils _rebuild_tensor_v2", "torch._utils _rebuild_parameter",
                           "collections OrderedDict"} | {f"torch {kind}Storage" for kind in _STORAGES})
_UNSAFE_OPCODES = frozenset({"STACK_GLOBAL", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "EXT1", "EXT2", "EXT4"})


class UnsafeFile(Exception):
    """The file holds something that loading it would run, or that the grader does not read."""


def _formula_ok(text: str) -> bool:
    position, previous = 0, []
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            return text[position:].strip() == ""
        position = match.end()
        name, quoted = match.group("name"), match.group("text")
        if name is not None:
            following = text[position:].lstrip()[:1]
            if name in _FORMULA_KEYWORDS and following == "=":
                pass
            elif name not in _FORMULA_NAMES:
                return False
        if quoted is not None and previous[-2:] not in (["Symbol", "("], ["Dummy", "("], ["Float", "("]):
            return False
        previous.append(name or quoted or match.group("number") or match.group("punct"))
    return True


def _walk(node: Any, key: str, found: list[Any]) -> list[Any]:
    if isinstance(node, dict):
        for k, value in node.items():
            if k == key:
                found.append(value)
            _walk(value, key, found)
    elif isinstance(node, list):
        for value in node:
            _walk(value, key, found)
    return found


def _json(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, name: str) -> Any:
    if entry.file_size > _MAX_JSON:
        raise UnsafeFile(f"{name} is larger than {_MAX_JSON // 2**20} MB")
    try:
        value = json.loads(archive.read(entry))
    except (ValueError, UnicodeDecodeError):
        raise UnsafeFile(f"{name} is not JSON") from None
    except RecursionError:
        raise UnsafeFile(f"{name} nests too deep to read") from None
    if nested_deeper_than(value, _MAX_NESTING):
        raise UnsafeFile(f"{name} nests more than {_MAX_NESTING} levels deep (an exported program nests a few dozen)")
    return value


def _read(data: bytes) -> tuple[zipfile.ZipFile, str, dict[str, zipfile.ZipInfo]]:
    """The archive, its root folder and its members by name (relative to the root), after the layout checks."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise UnsafeFile("it is not a zip archive, so not a torch.export program") from None
    if not entries or len(entries) > _MAX_MEMBERS:
        raise UnsafeFile(f"it holds {len(entries)} members")
    root = entries[0].filename.split("/", 1)[0]
    members: dict[str, zipfile.ZipInfo] = {}
    for entry in entries:
        name = entry.filename
        head, _, rel = name.partition("/")
        if head != root or not re.fullmatch(_ID, root) or ".." in rel.split("/") or "\\" in name:
            raise UnsafeFile(f"{name}: a member outside the archive's folder {root}/")
        if rel in members:
            raise UnsafeFile(f"{name}: the member is there twice")
        runs = next((why for prefix, why in _RUNS.items() if rel.startswith(prefix)), None)
        if runs:
            raise UnsafeFile(f"{rel}: {runs}")
        if not _LAYOUT.fullmatch(rel):
            what = "a member torch.export.save does not write"
            if rel.endswith((".pt", ".pkl")) or rel.startswith("serialized_"):
                what = "a pickle, in the legacy layout torch.export.load unpickles"
            raise UnsafeFile(f"{rel}: {what}")
        if entry.flag_bits & 0x1 or entry.compress_type != zipfile.ZIP_STORED or entry.compress_size != entry.file_size:
            raise UnsafeFile(f"{rel}: the member is compressed or encrypted (torch.export.save stores them)")
        if entry.file_size > MAX_MEMBER:
            raise UnsafeFile(f"{rel}: the member is larger than {MAX_MEMBER // 2**20} MB")
        members[rel] = entry
    for needed in ("archive_format", "archive_version"):
        if needed not in members:
            raise UnsafeFile(f"{needed} is missing: not a torch.export program (torch.export.load would read it "
                             "in the legacy layout, which unpickles)")
    return archive, root, members


def _check_payloads(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> None:
    for rel, entry in members.items():
        kind = "weights" if rel.startswith("data/weights/") else "constants"
        if not rel.endswith(f"_{kind}_config.json"):
            continue
        config = _json(archive, entry, rel)
        items = config.get("config") if isinstance(config, dict) else None
        if not isinstance(items, dict):
            raise UnsafeFile(f"{rel} is not a config of {kind}")
        for fqn, item in items.items():
            item = item if isinstance(item, dict) else {}
            path = item.get("path_name")
            if item.get("use_pickle") is not False:
                raise UnsafeFile(f"{rel}: {str(fqn)[:80]} is pickled (use_pickle), so loading it would unpickle "
                                 f"data/{kind}/{path}")
            if not isinstance(path, str) or not _PAYLOAD[kind].fullmatch(path) or f"data/{kind}/{path}" not in members:
                raise UnsafeFile(f"{rel}: {str(fqn)[:80]} is stored as {str(path)[:80]!r}, not as plain tensor bytes")


def _check_sample_inputs(rel: str, body: bytes) -> None:
    """The sample inputs must be what torch.save writes for tensors: a zip whose pickle names only PyTorch's
    tensor rebuilders (read opcode by opcode, never run). torch.export.load would unpickle anything else."""
    import pickletools

    refused = f"{rel}: a pickle that is not torch.save's of tensors, which torch.export.load would unpickle"
    try:
        inner = zipfile.ZipFile(io.BytesIO(body))
        pickles = [e for e in inner.infolist() if e.filename.endswith("/data.pkl")]
        if len(pickles) != 1 or pickles[0].file_size > 2**20:
            raise UnsafeFile(refused)
        for opcode, argument, _ in pickletools.genops(inner.read(pickles[0])):
            if opcode.name in _UNSAFE_OPCODES or (opcode.name == "GLOBAL" and argument not in _SAFE_GLOBALS):
                raise UnsafeFile(f"{refused} (it names {str(argument or opcode.name)[:80]})")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        raise UnsafeFile(refused) from None


def _check_program(rel: str, program: Any) -> None:
    for target in _walk(program, "target", []):
        if not isinstance(target, str) or not _TARGET.fullmatch(target):
            raise UnsafeFile(f"{rel}: a node calls {str(target)[:120]!r}, which is not a tensor operator")
    for formula in _walk(program, "expr_str", []):
        if not isinstance(formula, str) or not _formula_ok(formula):
            raise UnsafeFile(f"{rel}: a shape formula {str(formula)[:120]!r} is not a plain formula (torch.export.load "
                             "evaluates it as Python)")


def _checked(data: bytes) -> tuple[zipfile.ZipFile, str, dict[str, zipfile.ZipInfo], dict[str, Any]]:
    archive, root, members = _read(data)
    _check_payloads(archive, members)
    for rel, entry in members.items():
        if rel.startswith("data/sample_inputs/"):
            _check_sample_inputs(rel, archive.read(entry))
    programs = {rel: _json(archive, entry, rel) for rel, entry in members.items() if rel.startswith("models/")}
    if not programs:
        raise UnsafeFile("models/ holds no program")
    for rel, program in programs.items():
        _check_program(rel, program)
    return archive, root, members, programs


def check(data: bytes) -> None:
    """Raise `UnsafeFile` (naming the member) unless `data` is a plain torch.export program; reads, never loads."""
    _checked(data)


def loadable(data: bytes) -> bytes:
    """The archive `check` accepts, rebuilt from the members it read, the sample inputs emptied and the guards
    removed: what the loader hands to torch.export.load. Raises `UnsafeFile` as `check` does."""
    archive, root, members, programs = _checked(data)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as rebuilt:
        for rel, entry in members.items():
            if rel.startswith("data/sample_inputs/"):
                body = b""  # unpickled by torch.export.load, never needed to serve
            elif rel in programs:
                program = programs[rel]
                if isinstance(program, dict):
                    program["guards_code"] = []  # Python source that .module() would execute
                body = json.dumps(program).encode()
            else:
                body = archive.read(entry)
            rebuilt.writestr(f"{root}/{rel}", body)
    return out.getvalue()
