"""This dlpath as a wheel file, built here without network or build tools, for a course repository's CI.

dlpath is not published on a package index: a course repository carries the
exact dlpath its instructor tested with (`dlpath ci init` writes this wheel into
the repository and the workflow installs it offline). The wheel is the running
package as it is: its modules, and the curriculum and projects it uses as
package data (`dlpath/_data/`, as `pip install .` lays them out), with the
metadata pip needs (dependencies as ranges, the `dlpath` command) and a RECORD
of every file's hash (PEP 427). Building it twice from the same files gives the
same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import stat
import zipfile
from pathlib import Path

from dlpath.paths import content_dir
from dlpath.version import __version__

__all__ = ["wheel_name", "build_wheel", "DEPENDENCIES", "EXTRAS"]

_PACKAGE = Path(__file__).resolve().parents[1]
_SKIP_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
_DATE = (2024, 1, 1, 0, 0, 0)

#: dlpath's own dependencies (pyproject.toml's `dependencies`, kept equal by tests/test_ci_init.py)
DEPENDENCIES = (
    "typer>=0.12,<0.29",
    "rich>=13.7",
    "pyyaml>=6.0",
    "torch>=2.2,<3",
    "nvidia-ml-py>=12.535",
    "numpy>=1.24",
    "fsrs>=6,<7",
    "watchfiles>=0.21",
    "plotext>=5.2,<6",
)


#: the optional extras a course's CI may need (pyproject.toml's, kept equal by tests/test_ci_init.py)
EXTRAS = {
    "kernels": ("numba-cuda>=0.30,<0.31",),
    "kernels-cu12": ("numba-cuda[cu12]>=0.30,<0.31",),
    "kernels-cu13": ("numba-cuda[cu13]>=0.30,<0.31",),
}


def wheel_name() -> str:
    return f"dlpath-{__version__}-py3-none-any.whl"


def _files() -> list[tuple[str, Path]]:
    """(path inside the wheel, file here) for every file the wheel holds, sorted."""
    found: dict[str, Path] = {}

    def add_tree(folder: Path, prefix: str) -> None:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if set(rel.parts) & _SKIP_PARTS or path.suffix in (".pyc", ".pyo") or not path.is_file() \
                    or path.is_symlink():
                continue
            found.setdefault(f"{prefix}/{rel.as_posix()}", path)

    add_tree(_PACKAGE, "dlpath")
    for name in ("curriculum", "projects"):  # a checkout keeps them beside the package; a wheel inside it
        add_tree(content_dir(name), f"dlpath/_data/{name}")
    return sorted(found.items())


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder: Path) -> Path:
    """Write this dlpath's wheel into `folder` (created if needed); its path."""
    info = f"dlpath-{__version__}.dist-info"
    metadata = "\n".join([
        "Metadata-Version: 2.1",
        "Name: dlpath",
        f"Version: {__version__}",
        "Summary: A command-line tutor from zero to a deep-learning specialization.",
        "Requires-Python: >=3.10",
        *(f"Requires-Dist: {d}" for d in DEPENDENCIES),
        *(line for extra, needs in EXTRAS.items() for line in (
            f"Provides-Extra: {extra}", *(f'Requires-Dist: {d}; extra == "{extra}"' for d in needs))),
        "",
    ])
    extra = {
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: dlpath ci init\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": b"[console_scripts]\ndlpath = dlpath.cli:main\n",
    }
    buffer = io.BytesIO()
    record = []
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, path in _files():
            data = path.read_bytes()
            _add(archive, name, data, executable=bool(path.stat().st_mode & stat.S_IXUSR))
            record.append(_record_line(name, data))
        for name, data in extra.items():
            _add(archive, name, data)
            record.append(_record_line(name, data))
        record.append(f"{info}/RECORD,,")
        _add(archive, f"{info}/RECORD", ("\n".join(record) + "\n").encode())
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / wheel_name()
    out.write_bytes(buffer.getvalue())
    return out


def _add(archive: zipfile.ZipFile, name: str, data: bytes, *, executable: bool = False) -> None:
    entry = zipfile.ZipInfo(name, date_time=_DATE)
    entry.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(entry, data)
