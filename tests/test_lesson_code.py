"""Every ```python block of every shipped lesson runs (issue 16).

The conventions (documented for authors in docs/curriculum-format.md,
"Code in a lesson"):

- A ```python block runs, as it is, on a CPU with torch, numpy and the
  `lessons` extra of pyproject.toml (pandas, matplotlib). The blocks
  of one lesson run in order, in one namespace (a later block may use what an
  earlier one defined), in a fresh process, in an empty temporary folder.
- A block whose first line is `# dlpath: skip - REASON` is not run: it needs
  something the suite has not (a CUDA GPU, a launcher, a download, a package
  dlpath does not depend on). `# dlpath: fragment - REASON` marks a piece of
  a larger program (it uses a model, a loader ... defined elsewhere). The
  REASON is required and is shown as the skip reason of
  `test_tagged_blocks_say_why[...]` (`pytest -rs`).
- A ```output block after a runnable python block (prose may sit between
  them, another code block may not) is what that block prints. The check
  compares line by line: text exactly (runs of spaces count as one),
  integers exactly, decimals within 1% (or one unit of the last digit
  shown), a line holding only `...` stands for any number of lines, and a
  `...` inside a line stands for any text on that line (what varies from
  one CPU to another: a loss mid-training, a timing).
- A printed warning is a failure: code we teach must not be deprecated.

Speed: the lessons run in processes forked from one warm interpreter per
pytest worker that has imported numpy and torch and set torch to one
thread, so the suite pays for importing torch once per worker, not once per
lesson. A forked child starts from that interpreter's state: nothing of
another lesson can leak into it. Run this file as a script to print what a
lesson's blocks print:

    .venv/bin/python tests/test_lesson_code.py LESSON_ID [...]
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

import pytest

TIMEOUT_S = 120          # wall-clock limit for one lesson's blocks (a loaded CI machine is slow)
BLOCK_CPU_LIMIT_S = 10   # "runs in a few seconds": CPU seconds one block may use, on one thread
REL_TOL = 0.01           # decimals in an output block: relative tolerance ...

TAG_RE = re.compile(r"^#\s*dlpath:\s*(?P<kind>skip|fragment)\b\s*(?:[-:\u2013\u2014]\s*)?(?P<reason>.*)$")
NUMBER_RE = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


# ---------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Block:
    """One fenced code block of a lesson body."""

    lesson: str
    index: int          # 1-based among the lesson's python blocks (0 for other blocks)
    line: int           # line of the opening fence in the body
    info: str           # the fence's info string: python, output, text, ...
    code: str
    tag: str | None = None      # "skip" or "fragment" for a tagged python block
    reason: str = ""
    expected: str | None = None  # the ```output block that follows, if any

    @property
    def where(self) -> str:
        return f"lessons/{self.lesson}.md:{self.line}"


class BodyProblem(ValueError):
    """A lesson body breaks the code-block conventions."""


def fenced_blocks(lesson: str, body: str) -> list[Block]:
    """Every fenced block of `body`, in order (python blocks numbered from 1)."""
    blocks: list[Block] = []
    lines = body.splitlines()
    i, n_python = 0, 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            info = line[3:].strip().split(" ")[0]
            start = i
            i += 1
            code_lines = []
            while i < len(lines) and lines[i].rstrip() != "```":
                code_lines.append(lines[i])
                i += 1
            if i == len(lines):
                raise BodyProblem(f"lessons/{lesson}.md:{start + 1}: unclosed ``` fence")
            if info == "python":
                n_python += 1
            index = n_python if info == "python" else 0
            blocks.append(Block(lesson, index, start + 1, info, "\n".join(code_lines) + "\n"))
        i += 1
    return blocks


def python_blocks(lesson: str, body: str) -> list[Block]:
    """The lesson's python blocks, each with its tag and its expected output."""
    out: list[Block] = []
    previous: Block | None = None
    for block in fenced_blocks(lesson, body):
        if block.info == "output":
            if previous is None or previous.info != "python":
                raise BodyProblem(f"{block.where}: an output block must follow a python block")
            if previous.tag:
                raise BodyProblem(f"{block.where}: an output block cannot follow a '# dlpath: {previous.tag}' block")
            if previous.expected is not None:
                raise BodyProblem(f"{block.where}: a python block has one output block at most")
            out[-1] = previous = Block(**{**previous.__dict__, "expected": block.code})
            continue
        if block.info == "python":
            first = next((ln for ln in block.code.splitlines() if ln.strip()), "")
            m = TAG_RE.match(first.strip())
            if first.strip().startswith("#") and "dlpath:" in first and not m:
                raise BodyProblem(f"{block.where}: unknown tag {first.strip()!r} "
                                  "(use '# dlpath: skip - REASON' or '# dlpath: fragment - REASON')")
            if m:
                reason = m.group("reason").strip()
                if not reason:
                    raise BodyProblem(f"{block.where}: '# dlpath: {m.group('kind')}' needs a reason after it")
                block = Block(**{**block.__dict__, "tag": m.group("kind"), "reason": reason})
            out.append(block)
        previous = block
    return out


# ---------------------------------------------------------------- comparing printed output


def _tokens(line: str) -> list[str]:
    """A line cut into [text, number, text, number, ..., text], runs of spaces collapsed."""
    parts = re.split(f"({NUMBER_RE.pattern})", line.strip())
    return [p if k % 2 else " ".join(p.split()) for k, p in enumerate(parts)]


def _number_matches(claimed: str, actual: str) -> bool:
    if not any(c in claimed for c in ".eE"):
        return claimed.lstrip("+") == actual.lstrip("+")  # an integer is exact
    try:
        c, a = float(claimed), float(actual)
    except ValueError:
        return False
    mantissa = claimed.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(claimed.lower().split("e")[1]) if "e" in claimed.lower() else 0
    unit = 10.0 ** (exponent - decimals)
    return math.isclose(c, a, rel_tol=REL_TOL, abs_tol=unit * 1.0001)


def _piece_matches(claimed: str, actual: str) -> bool:
    c, a = _tokens(claimed), _tokens(actual)
    if len(c) != len(a):
        return False
    return all(x == y if k % 2 == 0 else _number_matches(x, y) for k, (x, y) in enumerate(zip(c, a)))


def line_matches(claimed: str, actual: str) -> bool:
    """One printed line against its claim; a `...` inside the claim stands for any text on that line."""
    pieces = claimed.split("...")

    def match(k: int, start: int) -> bool:
        """Whether pieces[k:] match what follows actual[:start] (piece k may begin later, after a `...`)."""
        begins = [start] if k == 0 else range(start, len(actual) + 1)
        if k == len(pieces) - 1:
            return any(_piece_matches(pieces[k], actual[b:]) for b in begins)
        return any(_piece_matches(pieces[k], actual[b:end]) and match(k + 1, end)
                   for b in begins for end in range(b, len(actual) + 1))

    return match(0, 0)


def _trimmed(text: str) -> list[str]:
    lines = [ln.rstrip() for ln in text.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def output_matches(claimed: str, actual: str) -> bool:
    """Whether `actual` (what ran) is what `claimed` (the output block) says, `...` lines being wildcards."""
    want, got = _trimmed(claimed), _trimmed(actual)

    def match(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(got)
        if want[i].strip() == "...":
            return any(match(i + 1, k) for k in range(j, len(got) + 1))
        return j < len(got) and line_matches(want[i], got[j]) and match(i + 1, j + 1)

    return match(0, 0)


# ---------------------------------------------------------------- running


# The warm interpreter: reads one JSON request per line on stdin, forks a child
# per request, answers one JSON line on stdout. The child runs the blocks with
# its own fds 1 and 2 on /dev/null (lesson prints go to a StringIO), so nothing
# a lesson writes can break the conversation.
ZYGOTE = r'''
import contextlib, io, json, os, random, select, signal, sys, time, traceback, warnings
import numpy, torch
torch.set_num_threads(1)
# The first optimizer a process builds imports torch's compiler stack (about a second of CPU);
# pay that once here, as any fresh interpreter pays its imports once, not in every lesson.
torch.optim.Adam([torch.zeros(1, requires_grad=True)])
proto_out = os.fdopen(os.dup(1), "w")

def run(req):
    torch.seed(); numpy.random.seed(); random.seed()  # unseeded randomness differs per run, as in a fresh interpreter
    os.chdir(req["cwd"])
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1); os.dup2(devnull, 2)
    ns = {"__name__": "__main__"}
    results = []
    for b in req["blocks"]:
        out = io.StringIO()
        t0, c0 = time.perf_counter(), time.process_time()
        error = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                    exec(compile(b["code"], b["where"], "exec"), ns)
            except BaseException:
                error = traceback.format_exc(limit=-6)
        results.append({
            "stdout": out.getvalue(), "error": error,
            "warnings": [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught],
            "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
        })
        if error:
            break
    return results

for line in sys.stdin:
    req = json.loads(line)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            payload = json.dumps({"results": run(req)})
        except BaseException:
            payload = json.dumps({"results": [], "crash": traceback.format_exc()})
        with os.fdopen(w, "w") as f:
            f.write(payload)
        os._exit(0)
    os.close(w)
    deadline = time.monotonic() + req["timeout"]
    chunks, timed_out = [], False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([r], [], [], left)
        if ready:
            data = os.read(r, 1 << 16)
            if not data:
                break
            chunks.append(data)
    os.close(r)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        reply = {"results": [], "crash": f"timed out after {req['timeout']} s"}
    else:
        died = {"results": [], "crash": f"the child died (wait status {status})"}
        try:
            reply = json.loads(b"".join(chunks) or b"null") or died
        except ValueError:
            reply = died
    proto_out.write(json.dumps(reply) + "\n")
    proto_out.flush()
'''


class Runner:
    """One warm interpreter that runs lessons in forked children."""

    def __init__(self) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True
        )

    def run(self, blocks: list[Block], timeout: float = TIMEOUT_S) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        with tempfile.TemporaryDirectory(prefix="dlpath-lesson-") as cwd:
            req = {"cwd": cwd, "timeout": timeout,
                   "blocks": [{"code": b.code, "where": b.where} for b in blocks]}
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the lesson runner's interpreter died")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def problems_of(blocks: list[Block], reply: dict[str, Any]) -> list[str]:
    """What went wrong when `blocks` ran, one line (or paragraph) each."""
    if reply.get("crash"):
        return [f"{blocks[0].lesson}: {reply['crash']}"]
    problems = []
    for block, res in zip(blocks, reply["results"]):
        head = f"{block.where} (python block {block.index})"
        if res["error"]:
            problems.append(f"{head} raised:\n{res['error']}")
            continue
        if res["warnings"]:
            problems.append(f"{head} warned: " + "; ".join(res["warnings"]))
        if res["cpu_s"] > BLOCK_CPU_LIMIT_S:
            problems.append(f"{head} used {res['cpu_s']:.1f} s of CPU (limit {BLOCK_CPU_LIMIT_S} s)")
        if block.expected is not None and not output_matches(block.expected, res["stdout"]):
            problems.append(f"{head} printed:\n{res['stdout']}which is not its output block:\n{block.expected}")
    return problems


# ---------------------------------------------------------------- the shipped lessons


def _shipped() -> tuple[dict[str, list[Block]], list[str]]:
    from dlpath.course.loading import load_curriculum

    cur = load_curriculum(None, use_cache=False)
    blocks, problems = {}, []
    for lesson in cur.lessons:
        try:
            blocks[lesson.id] = python_blocks(lesson.id, cur.body(lesson))
        except BodyProblem as e:
            blocks[lesson.id] = []
            problems.append(str(e))
    return blocks, problems


SHIPPED, BODY_PROBLEMS = _shipped()
RUNNABLE = {lid: [b for b in bs if not b.tag] for lid, bs in SHIPPED.items()}
TAGGED = [b for bs in SHIPPED.values() for b in bs if b.tag]


def test_lesson_bodies_follow_the_code_conventions() -> None:
    assert BODY_PROBLEMS == []


@pytest.fixture(scope="module")
def runner():
    r = Runner()
    yield r
    r.close()


@pytest.mark.parametrize("lesson", sorted(lid for lid, bs in RUNNABLE.items() if bs))
def test_lesson_code_runs(lesson: str, runner: Runner) -> None:
    blocks = RUNNABLE[lesson]
    reply = runner.run(blocks)
    problems = problems_of(blocks, reply)
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
    assert len(reply["results"]) == len(blocks)


@pytest.mark.parametrize("block", TAGGED, ids=[f"{b.lesson}#{b.index}" for b in TAGGED])
def test_tagged_blocks_say_why(block: Block) -> None:
    assert block.reason
    pytest.skip(f"{block.where}: {block.tag} - {block.reason}")


def test_every_lesson_with_code_runs_some_of_it() -> None:
    """A lesson whose every python block is tagged teaches code nobody checks: keep at least one runnable."""
    all_tagged = [lid for lid, bs in SHIPPED.items() if bs and not RUNNABLE[lid]]
    assert all_tagged == [], f"lessons whose python blocks are all skipped or fragments: {all_tagged}"


# ---------------------------------------------------------------- the runner itself


def test_tags_and_output_blocks_are_parsed() -> None:
    body = (
        "Intro.\n\n```python\nprint(1 + 1)\n```\n\nIt prints:\n\n```output\n2\n```\n\n"
        "```python\n# dlpath: skip - needs a CUDA GPU\nx = 1\n```\n\n"
        "```python\n#   dlpath: fragment: uses your model\nmodel(x)\n```\n"
    )
    a, b, c = python_blocks("demo", body)
    assert (a.index, a.tag, a.expected, a.line) == (1, None, "2\n", 3)
    assert (b.tag, b.reason) == ("skip", "needs a CUDA GPU")
    assert (c.tag, c.reason) == ("fragment", "uses your model")


@pytest.mark.parametrize("body, message", [
    ("```output\n2\n```\n", "must follow a python block"),
    ("```python\n# dlpath: skip\nx = 1\n```\n", "needs a reason"),
    ("```python\n# dlpath: ignore - why\nx = 1\n```\n", "unknown tag"),
    ("```python\n# dlpath: skip - no GPU\nx = 1\n```\n```output\n2\n```\n", "cannot follow"),
    ("```python\nx = 1\n", "unclosed"),
])
def test_broken_conventions_are_reported_with_the_line(body: str, message: str) -> None:
    with pytest.raises(BodyProblem, match=message):
        python_blocks("demo", body)


@pytest.mark.parametrize("claimed, actual, ok", [
    ("accuracy 0.850 +/- 0.049", "accuracy 0.850 +/- 0.049", True),
    ("loss 0.2413", "loss 0.2415", True),            # within 1%
    ("loss 0.2413", "loss 0.2913", False),
    ("tensor([2., 3.])", "tensor([2., 3.])", True),
    ("torch.Size([8, 10])", "torch.Size([8, 11])", False),  # integers are exact
    ("11642", "11643", False),
    ("about   7e+20", "about 7.02e+20", True),
    ("True", "False", False),
    ("epoch 25: acc 99.3%", "epoch 25: acc 99.1%", True),
    ("0.14", "0.33", False),
    # an in-line `...` stands for any text on that line (what varies between CPUs), the rest is compared
    ("epoch 25: loss ..., acc ... (above 95%: True)", "epoch 25: loss 0.029, acc 99.3% (above 95%: True)", True),
    ("epoch 25: loss ..., acc ... (above 95%: True)", "epoch 25: loss 0.029, acc 93.3% (above 95%: False)", False),
    ("took ... s", "took 0.41 s", True),
    ("took ... s", "waited 0.41 s", False),
    ("... of 17 at 0.5", "17 of 17 at 0.51", True),
    ("... of 17 at 0.5", "17 of 17 at 0.9", False),
])
def test_printed_numbers_are_compared_with_a_tolerance(claimed: str, actual: str, ok: bool) -> None:
    assert line_matches(claimed, actual) is ok


def test_ellipsis_lines_match_any_number_of_lines() -> None:
    assert output_matches("first\n...\nlast\n", "first\na\nb\nlast\n")
    assert output_matches("first\n...\nlast\n", "first\nlast\n")
    assert not output_matches("first\nlast\n", "first\nmiddle\nlast\n")


def test_the_runner_reports_errors_warnings_and_wrong_output(runner: Runner) -> None:
    body = (
        "```python\nimport warnings\nprint('ok', 0.5)\n```\n```output\nok 0.5\n```\n"
        "```python\nprint(41)\n```\n```output\n42\n```\n"
        "```python\nwarnings.warn('old API', DeprecationWarning)\n```\n"
        "```python\nraise ValueError('broken')\n```\n"
        "```python\nprint('never reached')\n```\n"
    )
    blocks = python_blocks("demo", body)
    problems = problems_of(blocks, runner.run(blocks, timeout=60))
    assert len(problems) == 3, problems
    assert "which is not its output block" in problems[0] and "41" in problems[0]
    assert "DeprecationWarning: old API" in problems[1]
    assert "ValueError: broken" in problems[2]


def test_a_lesson_that_hangs_is_stopped(runner: Runner) -> None:
    blocks = python_blocks("demo", "```python\nimport time\ntime.sleep(60)\n```\n")
    reply = runner.run(blocks, timeout=1)
    assert "timed out" in reply["crash"]


def test_lessons_do_not_share_state(runner: Runner) -> None:
    first = python_blocks("a", "```python\nimport torch\nSECRET = 1\ntorch.manual_seed(0)\n```\n")
    second = python_blocks("b", "```python\nimport torch\nprint('SECRET' in globals(), torch.initial_seed())\n```\n")
    assert problems_of(first, runner.run(first)) == []
    one, two = (runner.run(second)["results"][0]["stdout"].split() for _ in range(2))
    # nothing defined by the first lesson is visible, and, as in a fresh interpreter,
    # torch's default seed is drawn anew each time (the first lesson's manual_seed(0) did not carry over)
    assert one[0] == two[0] == "False"
    assert one[1] != two[1] and "0" not in (one[1], two[1])


if __name__ == "__main__":  # print what each python block of the named lessons prints
    r = Runner()
    try:
        for lid in sys.argv[1:]:
            blocks = RUNNABLE[lid]
            reply = r.run(blocks)
            if reply.get("crash"):
                print(f"== {lid}: {reply['crash']}")
            for b, res in zip(blocks, reply["results"]):
                print(f"== {b.where} (python block {b.index}) {res['cpu_s']:.2f} s CPU, {res['wall_s']:.2f} s wall")
                print(res["stdout"], end="")
                for w in res["warnings"]:
                    print("WARNING", w)
                if res["error"]:
                    print(res["error"])
            for b in SHIPPED[lid]:
                if b.tag:
                    print(f"-- {b.where} (python block {b.index}) {b.tag}: {b.reason}")
    finally:
        r.close()
