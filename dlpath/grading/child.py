"""A child interpreter of the grader: started with a scrubbed environment, talked to over a frame channel.

The learner's process, the loader and the judge are each a `ChildInterpreter`:
a fresh `python -c` that imports one module of `dlpath.grading` (by the
package's own path, never the learner's `sys.path`), two pipes carrying frames
(`dlpath.grading.protocol`), its output captured into an `OutputTail`, in a
session of its own so that its whole group can be stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dlpath.grading import protocol as p
from dlpath.paths import CLEAN_START

__all__ = ["ChildInterpreter", "OutputTail", "scrubbed_environment", "TAIL_BYTES"]

TAIL_BYTES = 32_000  # bytes of the learner's output kept
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = CLEAN_START + "; sys.path.insert(0, {root!r}); from dlpath.grading.{module} import main; main()"

# The learner's environment is built from these names only: no DLPATH_* setting, no secret.
_KEEP_ENV = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TERM", "SHELL", "LD_LIBRARY_PATH",
             "SYSTEMROOT", "NO_COLOR", "COLUMNS", "VIRTUAL_ENV", "CONDA_PREFIX"}
_KEEP_PREFIXES = ("LC_", "CUDA_", "NVIDIA_", "OMP_", "MKL_", "OPENBLAS_", "KMP_", "PYTORCH_", "CUBLAS_", "NCCL_")


def scrubbed_environment(temp_dir: str) -> dict[str, str]:
    """The scrubbed environment of the learner process (and of the judge)."""
    env = {k: v for k, v in os.environ.items() if k in _KEEP_ENV or k.startswith(_KEEP_PREFIXES)}
    env.update({
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",  # leave no __pycache__ in the learner's folder
        "PYTHONFAULTHANDLER": "1",
        "TMPDIR": temp_dir,
        "XDG_CACHE_HOME": os.path.join(temp_dir, "cache"),
        "TORCHINDUCTOR_CACHE_DIR": os.path.join(temp_dir, "inductor"),
        "TRITON_CACHE_DIR": os.path.join(temp_dir, "triton"),
        "MPLCONFIGDIR": os.path.join(temp_dir, "matplotlib"),
    })
    # OpenMP threads that spin while waiting make small models crawl when other programs
    # share the cores (a laptop, a class server): wait passively instead.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


class OutputTail:
    """The last bytes of a stream, and how many there were in all."""

    def __init__(self, limit: int = TAIL_BYTES) -> None:
        self.limit = limit
        self.data = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > 2 * self.limit:
            del self.data[: len(self.data) - self.limit]

    def text(self) -> str:
        data = bytes(self.data[-self.limit:])
        text = data.decode("utf-8", "replace")
        if self.total > len(data):
            text = text.split("\n", 1)[-1] if "\n" in text else text
        return text


class ChildInterpreter:
    """A child interpreter with a frame channel (two pipes) and a captured output."""

    def __init__(self, module: str, cwd: str, env: dict[str, str], tail: OutputTail) -> None:
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT.format(root=_PACKAGE_ROOT, module=module), str(to_r), str(from_w)],
            cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(to_r, from_w), start_new_session=True,
        )
        os.close(to_r)
        os.close(from_w)
        self.pid = self.proc.pid
        self.reader = p.FrameReader()
        self.outbox = bytearray()
        self.tail = tail
        self.out_fd = self.proc.stdout.fileno() if self.proc.stdout else -1
        for fd in (self.from_r, self.out_fd, self.to_w):
            os.set_blocking(fd, False)
        self.open = {"channel": True, "output": True}

    def queue(self, frame: bytes) -> None:
        self.outbox.extend(frame)
        self.flush()

    def flush(self) -> None:
        while self.outbox:
            try:
                written = os.write(self.to_w, self.outbox[:1 << 20])
            except BlockingIOError:
                return
            except OSError:
                self.outbox.clear()
                return
            del self.outbox[:written]

    def read_channel(self) -> list[tuple[bytes, dict, bytes]] | None:
        """Complete frames read so far; None at end of file."""
        while True:
            try:
                chunk = os.read(self.from_r, 1 << 20)
            except BlockingIOError:
                return self.reader.frames()
            except OSError:
                return None
            if not chunk:
                frames = self.reader.frames()
                self.open["channel"] = False
                return frames or None
            self.reader.feed(chunk)

    def read_output(self) -> bool:
        while True:
            try:
                chunk = os.read(self.out_fd, 65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not chunk:
                return False
            self.tail.add(chunk)

    def close(self) -> None:
        for fd in (self.to_w, self.from_r):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.stdout is not None:
            self.proc.stdout.close()
