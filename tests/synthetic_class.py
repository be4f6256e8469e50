"""A synthetic class of 30 for `mlp-spirals`: independent solutions, disguised copies, and buggy fills of the starter.

- 10 **independent** solutions (tests/fixtures/class/independent/), written by
  hand in ten different ways: two fill the starter's TODOs, the others are
  rewritten (a class with SGD, a DataLoader with dropout, small helpers, batch
  norm with early stopping, polar features, residual blocks, a Trainer...).
- 8 **copies** of them, disguised by the transforms below: names changed,
  comments and docstrings changed, numbers changed, functions reordered, and
  combinations; one is a copy of a copy. `COPIES` says which.
- 12 **buggy** fills of the starter with a planted cause each (`BUGGY`): each
  student fills the TODOs in their own way and makes one classic mistake.

`make_class(folder)` writes one folder per student; `sources()` returns the
code without writing it. Nothing here runs the code; the tests grade recorded
reports or compare the sources, and `bench/bench_class.py` grades it for real.
"""

from __future__ import annotations

import ast
import io
import keyword
import random
import re
import tokenize
from pathlib import Path

INDEPENDENT_DIR = Path(__file__).parent / "fixtures" / "class" / "independent"
PROJECT = "mlp-spirals"

#: copier -> (the student copied, the transforms applied, in order)
COPIES = {
    "kofi": ("bogdan", ("rename",)),
    "lena": ("dara", ("rename", "reorder")),
    "mateo": ("chen", ("rename", "recomment", "reliteral")),
    "nadia": ("farah", ("reorder", "recomment")),
    "omar": ("goran", ("rename", "reorder", "recomment", "reliteral")),
    "priya": ("emeka", ("rename", "reliteral")),
    "quentin": ("kofi", ("rename", "recomment")),
    "rosa": ("jun", ("rename",)),
}

#: the pairs a reader should look at: each copy with its source, and the copies of one source with each other
EXPECTED_PAIRS = {frozenset(p) for p in [("bogdan", "kofi"), ("kofi", "quentin"), ("bogdan", "quentin"),
                                          ("dara", "lena"), ("chen", "mateo"), ("farah", "nadia"),
                                          ("goran", "omar"), ("emeka", "priya"), ("jun", "rosa")]}

_CONTRACT = {"build_model", "train", "forward", "info", "model", "data", "device", "log", "self"}

# ------------------------------------------------------------------ disguises


def _bound_names(source: str) -> tuple[set[str], set[str]]:
    """(bare names the code binds, attributes it assigns on self), except the contract's and dunder names."""
    tree = ast.parse(source)
    names, attributes = set(), set()
    imported = set()
    methods = {f.name for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for f in c.body
               if isinstance(f, ast.FunctionDef)}  # called as `obj.name`, like the library's: kept
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and \
                isinstance(node.value, ast.Name) and node.value.id == "self":
            attributes.add(node.attr)
    keep = _CONTRACT | imported | methods | {n for n in names if n.startswith("__")}
    return names - keep, attributes - keep


def rename(source: str, rng: random.Random) -> str:
    """Every name the student chose, renamed consistently (call keywords such as `lr=` are the library's: kept)."""
    names, attributes = _bound_names(source)
    words = ["alpha", "beta", "gamma", "delta", "omega", "kappa", "sigma", "theta_", "zeta", "lam", "mu", "nu", "xi",
             "rho", "tau", "phi", "chi", "psi", "eta", "iota"]
    rng.shuffle(words)
    new = {}
    for i, name in enumerate(sorted(names | attributes)):
        new[name] = f"{words[i % len(words)]}_{i}" if not name.isupper() else f"{words[i % len(words)].upper()}_{i}"
    toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    out = []
    stack: list[bool] = []  # for each open bracket: is it a def's parameter list?
    for i, tok in enumerate(toks):
        string = tok.string
        prev = toks[i - 1].string if i else ""
        nxt = toks[i + 1].string if i + 1 < len(toks) else ""
        if tok.type == tokenize.OP and string in "([{":
            stack.append(i >= 2 and toks[i - 2].string == "def")
        elif tok.type == tokenize.OP and string in ")]}":
            stack.pop() if stack else None
        elif tok.type == tokenize.NAME and not keyword.iskeyword(string):
            call_keyword = nxt == "=" and prev in ("(", ",") and stack and not stack[-1]
            if prev == ".":
                if string in attributes:  # `self.history = []` ... `trainer.history`: the same attribute
                    string = new[string]
            elif string in names and not call_keyword:
                string = new[string]
        out.append(tok._replace(string=string))
    return tokenize.untokenize(out)


def recomment(source: str, rng: random.Random) -> str:
    """Comments and docstrings gone, others written in."""
    toks = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type != tokenize.COMMENT]
    text = tokenize.untokenize(toks)
    tree = ast.parse(text)
    lines = text.splitlines()
    spans = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            spans.append((body[0].lineno, body[0].end_lineno))
    for start, end in sorted(spans, reverse=True):
        indent = re.match(r"\s*", lines[start - 1]).group(0)
        lines[start - 1:end] = [f"{indent}pass  # see my notes"] if indent else []
    notes = ["# my own work", "# step by step", "# TODO tidy this up", "# works on my laptop", "# helper"]
    out = []
    for line in lines:
        if line.startswith(("def ", "class ")):
            out.append(rng.choice(notes))
        out.append(line.rstrip() + ("  # ok" if line.strip().startswith("return") else ""))
    return "\n".join(out) + "\n"


def reliteral(source: str, rng: random.Random) -> str:
    """Numbers nudged: whole numbers of 10 and more by a quarter or so, fractions by a tenth (indices stay)."""
    toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    out = []
    for i, tok in enumerate(toks):
        string = tok.string
        if tok.type == tokenize.NUMBER and not (i and toks[i - 1].string in ("%", "==", "!=", "<", ">")):
            try:
                value = ast.literal_eval(string)
            except ValueError:
                value = None
            if isinstance(value, int) and value >= 10:
                string = str(value + max(2, value // rng.choice((4, 5, 8))))
            elif isinstance(value, float) and 0 < value < 1:
                string = repr(round(value * rng.choice((0.8, 0.9, 1.2)), 6))
        out.append(tok._replace(string=string))
    return tokenize.untokenize(out)


def reorder(source: str, rng: random.Random) -> str:
    """The top-level functions and classes in another order (imports and constants stay on top)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    if len(defs) < 2:
        return source
    first = min(d.decorator_list[0].lineno if d.decorator_list else d.lineno for d in defs)
    chunks = []
    for d in defs:
        start = d.decorator_list[0].lineno if d.decorator_list else d.lineno
        chunks.append("\n".join(lines[start - 1:d.end_lineno]))
    rest = [n for n in tree.body if n not in defs and n.lineno > first]
    tail = "\n".join("\n".join(lines[n.lineno - 1:n.end_lineno]) for n in rest)
    chunks.reverse()
    if len(chunks) > 2:
        rng.shuffle(chunks)
        chunks.reverse()
    head = "\n".join(lines[:first - 1]).rstrip()
    return head + "\n\n\n" + "\n\n\n".join(chunks) + ("\n\n\n" + tail if tail else "") + "\n"


TRANSFORMS = {"rename": rename, "recomment": recomment, "reliteral": reliteral, "reorder": reorder}

# ------------------------------------------------------------------ buggy fills of the starter

_MODELS = {
    "relu2": """return nn.Sequential(
        nn.Linear(info["input_shape"][0], HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, info["num_classes"]),{extra}
    )""",
    "tanh1": """hidden = nn.Linear(info["input_shape"][0], HIDDEN)
    return nn.Sequential(hidden, nn.Tanh(), nn.Linear(HIDDEN, info["num_classes"]){extra})""",
    "relu3": """layers = [nn.Linear(info["input_shape"][0], HIDDEN), nn.ReLU()]
    for _ in range(2):
        layers += [nn.Linear(HIDDEN, HIDDEN), nn.ReLU()]
    layers.append(nn.Linear(HIDDEN, info["num_classes"]))
    return nn.Sequential(*layers{extra})""",
    "linear": """return nn.Linear(info["input_shape"][0], info["num_classes"])""",
    "wrong_input": """return nn.Sequential(nn.Linear(3, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, info["num_classes"]))""",
}

_STEPS = {
    "good": "optimizer.zero_grad()\n            loss.backward()\n            optimizer.step()",
    "no_zero_grad": "loss.backward()\n            optimizer.step()",
}

#: student -> (model, extra layer, learning step, optimizer line or None, the diagnosis codes planted)
BUGGY = {
    "sam": ("relu2", "\n        nn.Softmax(dim=1),", "good", None, "softmax-before-cross-entropy"),
    "tara": ("tanh1", ", nn.Softmax(dim=-1)", "good", None, "softmax-before-cross-entropy"),
    "uma": ("relu3", "", "good", None, "softmax-before-cross-entropy"),
    "victor": ("relu2", "", "no_zero_grad", "torch.optim.SGD(model.parameters(), lr=0.5)", "gradients-accumulate"),
    "wen": ("tanh1", "", "no_zero_grad", "torch.optim.SGD(model.parameters(), lr=0.3)", "gradients-accumulate"),
    "xena": ("relu3", "", "no_zero_grad", "torch.optim.SGD(model.parameters(), lr=0.2)", "gradients-accumulate"),
    "yusuf": ("linear", "", "good", None, "underfitting"),
    "zoe": ("linear", "", "good", "torch.optim.SGD(model.parameters(), lr=0.1)", "underfitting"),
    "abel": ("wrong_input", "", "good", None, "shape-mismatch"),
    "bea": ("wrong_input", "", "no_zero_grad", None, "shape-mismatch"),
    "cato": ("relu2", "", "good", "torch.optim.SGD(model.parameters(), lr=80.0)", "learning-rate-extreme"),
    "dina": ("tanh1", "", "good", "torch.optim.SGD(model.parameters(), lr=120.0)", "learning-rate-too-high"),
}


def starter(project_dir: Path) -> str:
    return (project_dir / "starter" / "train.py").read_text(encoding="utf-8")


def buggy(starter_text: str, student: str) -> str:
    """The starter with its TODOs filled the way `student` did, one classic mistake included."""
    model, extra, step, optimizer, _ = BUGGY[student]
    body = _MODELS[model].format(extra=extra)
    if student == "uma":  # the softmax inside the list, before the Sequential is built
        body = body.replace("layers.append(nn.Linear(HIDDEN, info[\"num_classes\"]))",
                            "layers += [nn.Linear(HIDDEN, info[\"num_classes\"]), nn.Softmax(dim=1)]")
    text = re.sub(r"    # TODO: this single linear layer.*?return nn\.Linear\(info\[\"input_shape\"\]\[0\], "
                  r"info\[\"num_classes\"\]\)", lambda m: "    " + body, starter_text, flags=re.S)
    text = re.sub(r"            # TODO: learn from this batch\..*?they add up otherwise\), backpropagate the\n"
                  r".*?update the weights\.", lambda m: "            " + _STEPS[step], text, flags=re.S)
    if optimizer:
        text = text.replace("torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)", optimizer)
    assert "TODO" not in text, student
    return text


def sources(project_dir: Path) -> dict[str, str]:
    """student -> their train.py, for the whole class of 30."""
    out = {p.stem: p.read_text(encoding="utf-8") for p in sorted(INDEPENDENT_DIR.glob("*.py"))}
    for student, (original, transforms) in COPIES.items():
        text = out[original]
        rng = random.Random(student)
        for name in transforms:
            text = TRANSFORMS[name](text, rng)
        out[student] = text
    base = starter(project_dir)
    for student in BUGGY:
        out[student] = buggy(base, student)
    return out


def make_class(folder: Path, project_dir: Path) -> Path:
    """One folder per student holding their train.py, in `folder`."""
    for student, text in sources(project_dir).items():
        (folder / student).mkdir(parents=True, exist_ok=True)
        (folder / student / "train.py").write_text(text, encoding="utf-8")
    return folder
