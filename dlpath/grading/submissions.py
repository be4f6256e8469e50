"""Students' submissions: found in a folder, fingerprinted, and unpacked with suspicion.

A class's submissions are a folder holding one folder or one `.zip` per
student (`find_submissions`). Everything in them is untrusted, so before any
code runs:

- a zip is read from its central directory first and refused, with one line
  that says why, when an entry has an absolute path or a `..` component, is a
  symbolic link or a device, is encrypted, appears twice, or when the entries
  add up to more than `MAX_BYTES` or `MAX_FILES`, or one entry expands more
  than `MAX_RATIO` times (a zip bomb). Extraction then counts the bytes it
  really writes, so a zip whose headers lie is stopped too;
- a folder is refused for the same reasons (symbolic links, devices, too big);
- the submission is copied into a fresh folder of the grader's (`unpack`): the
  learner's code never runs in, nor writes to, what the student handed in.

`train.py` is looked for at the top of the submission, else as the only
`train.py` anywhere in it (students often zip the folder rather than its
files). Nothing here imports torch or runs the student's code.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dlpath.errors import UsageError
from dlpath.text import clean

__all__ = ["Submission", "SubmissionRefused", "find_submissions", "fingerprint", "unpack", "python_sources",
           "submitted_at", "MAX_BYTES", "MAX_FILES", "MAX_RATIO"]

MAX_BYTES = 100 * 2**20  #: the most a submission may hold, unpacked
MAX_FILES = 2000  #: the most files (and folders) a submission may hold
MAX_RATIO = 100  #: the most one zip entry over 1 MiB may expand (unpacked size / packed size)
_RATIO_FLOOR = 2**20  #: entries smaller than this may compress as well as they like
_IGNORED = ("__MACOSX", ".DS_Store", "__pycache__")
_CHUNK = 1 << 16


class SubmissionRefused(UsageError):
    """A submission that is not graded: the message says why, in one line, for the summary."""


@dataclass(frozen=True)
class Submission:
    """One student's work as handed in."""

    student: str  #: the name in the summary: the folder's name, or the zip's without `.zip`
    path: Path  #: the folder or the zip


def find_submissions(folder: Path, *, exclude: tuple[Path, ...] = ()) -> tuple[list[Submission], list[str]]:
    """(each folder or zip in `folder`, sorted by name; the names of the other files, which are ignored).

    Hidden entries and `exclude` (the output folder, when it is inside) are passed over.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder: `dlpath grade` grades a folder holding one folder or "
                         ".zip per student.")
    skipped: list[str] = []
    found: list[tuple[str, Path]] = []
    hidden = {p.resolve() for p in exclude}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name in _IGNORED or entry.resolve() in hidden:
            continue
        if entry.is_dir():
            found.append((entry.name, entry))
        elif entry.is_file() and entry.suffix.lower() == ".zip":
            found.append((entry.name[:-4], entry))
        else:
            skipped.append(entry.name)
    names = [name for name, _ in found]
    submissions = [Submission(name if names.count(name) == 1 else path.name, path) for name, path in found]
    return submissions, skipped


# ------------------------------------------------------------------ checking


def _entry_path(raw: str) -> PurePosixPath:
    """A zip entry's name as a relative path, or SubmissionRefused."""
    name = raw.replace("\\", "/")
    shown = clean(raw)[:120]
    if "\x00" in name:
        raise SubmissionRefused(f"the zip holds an entry with a NUL byte in its name ({shown!r})")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise SubmissionRefused(f"the zip holds an absolute path ({shown!r}); only relative paths are unpacked")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise SubmissionRefused(f"the zip holds a path that climbs out of its folder ({shown!r})")
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def _zip_entries(path: Path) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Every entry of the zip at `path`, checked; SubmissionRefused at the first problem."""
    if path.stat().st_size > MAX_BYTES:
        raise SubmissionRefused(f"the zip is larger than {MAX_BYTES // 2**20} MB")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SubmissionRefused(f"not a readable zip ({clean(str(exc))[:200]})") from None
    with archive:
        infos = archive.infolist()
    if len(infos) > MAX_FILES:
        raise SubmissionRefused(f"the zip holds {len(infos)} entries, more than the {MAX_FILES} allowed")
    total = 0
    seen: set[PurePosixPath] = set()
    entries = []
    for info in infos:
        rel = _entry_path(info.filename)
        shown = clean(info.filename)[:120]
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise SubmissionRefused(f"the zip holds a symbolic link ({shown!r}); links are not unpacked")
        if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise SubmissionRefused(f"the zip holds a special file ({shown!r}); only files and folders are unpacked")
        if info.flag_bits & 0x1:
            raise SubmissionRefused(f"the zip holds an encrypted entry ({shown!r})")
        if rel in seen and not info.is_dir():
            raise SubmissionRefused(f"the zip holds {shown!r} twice")
        seen.add(rel)
        total += info.file_size
        if total > MAX_BYTES:
            raise SubmissionRefused(f"the zip unpacks to more than {MAX_BYTES // 2**20} MB (a zip bomb?)")
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size):
            raise SubmissionRefused(
                f"the zip entry {shown!r} expands {info.file_size // max(1, info.compress_size)} times "
                f"(more than {MAX_RATIO}): a zip bomb")
        entries.append((info, rel))
    return entries


def _folder_files(folder: Path) -> list[Path]:
    """Every file under `folder`, checked (no links, no devices, within the limits), sorted."""
    files: list[Path] = []
    total = 0
    count = 0
    for where, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if d not in _IGNORED]
        for name in dirs + names:
            if name in _IGNORED:
                continue
            path = Path(where) / name
            info = path.lstat()
            shown = clean(str(path.relative_to(folder)))[:120]
            if stat.S_ISLNK(info.st_mode):
                raise SubmissionRefused(f"the folder holds a symbolic link ({shown!r}); links are not graded")
            count += 1
            if count > MAX_FILES:
                raise SubmissionRefused(f"the folder holds more than {MAX_FILES} files")
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                raise SubmissionRefused(f"the folder holds a special file ({shown!r})")
            total += info.st_size
            if total > MAX_BYTES:
                raise SubmissionRefused(f"the folder holds more than {MAX_BYTES // 2**20} MB")
            files.append(path)
    return sorted(files)


def fingerprint(submission: Submission) -> str:
    """The SHA-256 of what the student handed in (the zip's bytes, or the folder's paths and contents).

    Checks the submission on the way (SubmissionRefused), so a refused one costs no copy.
    """
    digest = hashlib.sha256()
    path = submission.path
    try:
        if path.is_dir():
            for file in _folder_files(path):
                rel = file.relative_to(path).as_posix().encode("utf-8", "surrogateescape")
                digest.update(len(rel).to_bytes(4, "big") + rel)
                with open(file, "rb") as f:
                    for chunk in iter(lambda: f.read(_CHUNK), b""):
                        digest.update(chunk)
                digest.update(b"\x00")
        else:
            _zip_entries(path)
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(_CHUNK), b""):
                    digest.update(chunk)
    except OSError as exc:
        raise SubmissionRefused(f"cannot be read ({clean(exc.strerror or str(exc))})") from None
    return digest.hexdigest()


# ------------------------------------------------------------------ unpacking


def _extract(path: Path, dest: Path) -> None:
    entries = _zip_entries(path)
    dest.mkdir(parents=True)
    written = 0
    with zipfile.ZipFile(path) as archive:
        for info, rel in entries:
            if rel.parts and rel.parts[0] in _IGNORED:
                continue
            target = dest.joinpath(*rel.parts)
            try:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(target, "xb") as out:
                    size = 0
                    for chunk in iter(lambda: source.read(_CHUNK), b""):
                        size += len(chunk)
                        written += len(chunk)
                        if size > info.file_size or written > MAX_BYTES:
                            raise SubmissionRefused("the zip unpacks to more than its headers say (a zip bomb)")
                        out.write(chunk)
            except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
                raise SubmissionRefused(f"the zip is damaged ({clean(str(exc))[:200]})") from None
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                raise SubmissionRefused(f"the zip holds {clean(info.filename)[:120]!r} twice, or as a file and "
                                        "a folder") from None


def _train_folder(root: Path, entry: str = "train.py") -> Path:
    """The folder of the submission's `entry` (train.py, or an exercise folder's exercises.py): the top, else the
    one folder holding the only such file."""
    if (root / entry).is_file():
        return root
    found = [p for p in root.rglob(entry) if p.is_file() and not set(p.relative_to(root).parts) & set(_IGNORED)]
    if len(found) == 1:
        return found[0].parent
    if not found:
        held = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                      if p.is_file() and not set(p.relative_to(root).parts) & set(_IGNORED))
        what = (f"it holds {', '.join(clean(h)[:60] for h in held[:4])}" + (f" and {len(held) - 4} more" if len(held) > 4
                else "")) if held else "it is empty"
        raise SubmissionRefused(f"no {entry} in the submission ({what})")
    shown = ", ".join(sorted(p.relative_to(root).as_posix() for p in found)[:4])
    raise SubmissionRefused(f"several {entry} in the submission ({shown}); hand in one project")


def unpack(submission: Submission, dest: Path, entry: str = "train.py") -> Path:
    """Copy (or extract) `submission` into the empty folder `dest`; the folder that holds its `entry` file."""
    path = submission.path
    try:
        if path.is_dir():
            files = _folder_files(path)
            dest.mkdir(parents=True)
            for file in files:
                target = dest / file.relative_to(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, target, follow_symlinks=False)
        else:
            _extract(path, dest)
    except OSError as exc:
        raise SubmissionRefused(f"cannot be unpacked ({clean(exc.strerror or str(exc))})") from None
    return _train_folder(dest, entry)


# ------------------------------------------------------------------ reading without unpacking


def python_sources(submission: Submission, *, limit: int = 1_000_000) -> dict[str, str]:
    """{path: text} of the submission's Python files (each up to `limit` bytes), read in place, never run.

    A zip is checked as for grading first (SubmissionRefused); hidden folders, `__MACOSX` and the
    like are passed over. Text that is not UTF-8 is read with replacement characters.
    """
    path = submission.path
    out: dict[str, str] = {}
    try:
        if path.is_dir():
            for file in _folder_files(path):
                rel = file.relative_to(path)
                if file.suffix == ".py" and not any(p.startswith(".") for p in rel.parts):
                    with open(file, "rb") as f:
                        out[rel.as_posix()] = f.read(limit).decode("utf-8", errors="replace")
        else:
            entries = _zip_entries(path)
            with zipfile.ZipFile(path) as archive:
                for info, rel in entries:
                    if info.is_dir() or rel.suffix != ".py" or (rel.parts and rel.parts[0] in _IGNORED) or \
                            any(p.startswith(".") for p in rel.parts):
                        continue
                    with archive.open(info) as f:
                        out[rel.as_posix()] = f.read(limit).decode("utf-8", errors="replace")
    except (OSError, zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
        raise SubmissionRefused(f"cannot be read ({clean(str(exc))[:200]})") from None
    return out


def submitted_at(submission: Submission) -> datetime.datetime:
    """When the submission was handed in, as its files tell: the zip's time, or the newest file's in a folder."""
    path = submission.path
    times = [path.stat().st_mtime]
    if path.is_dir():
        for where, dirs, names in os.walk(path, followlinks=False):
            dirs[:] = [d for d in dirs if d not in _IGNORED]
            times.extend(os.lstat(os.path.join(where, n)).st_mtime for n in names if n not in _IGNORED)
    return datetime.datetime.fromtimestamp(max(times), tz=datetime.timezone.utc)
