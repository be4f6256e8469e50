"""Writing a file so that a reader never sees half of it, and two writers never share a temporary file.

The text goes to a fresh temporary file in the same folder (a unique name from
`tempfile.mkstemp`), which then replaces the target in one step (`os.replace`).
A full disk or a crash leaves the old file as it was and no temporary file behind.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_bytes", "write_text"]


def write_bytes(path: Path | str, data: bytes, *, mode: int | None = None) -> None:
    """Replace `path` with `data` in one step. Raises OSError (the target is then unchanged)."""
    import tempfile  # only writes need it: `dlpath next` reads

    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_text(path: Path | str, text: str, *, encoding: str = "utf-8", newline: str | None = None) -> None:
    """Replace `path` with `text` in one step (`newline=""` keeps line endings as they are)."""
    if newline != "" and (newline or os.linesep) != "\n":  # what text mode would write
        text = text.replace("\n", newline or os.linesep)
    write_bytes(path, text.encode(encoding))
