"""Untrusted submissions: hostile zips and folders are refused with one clear line; good ones unpack."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from dlpath.grading import submissions as subs
from dlpath.grading.submissions import Submission, SubmissionRefused, find_submissions, fingerprint, unpack

TRAIN = b"def build_model(info):\n    pass\n"


def make_zip(path: Path, entries: dict[str, bytes], *, links: dict[str, str] | None = None,
             compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def refused(path: Path, *, early: bool = True) -> str:
    """Why unpacking `path` is refused (with `early`, fingerprinting it is refused too: no copy is made)."""
    with pytest.raises(SubmissionRefused) as caught:
        unpack(Submission("x", path), path.parent / f"out-{path.name}")
    if early:
        with pytest.raises(SubmissionRefused):
            fingerprint(Submission("x", path))
    return caught.value.message


@pytest.mark.parametrize("name, expected", [
    ("../evil.py", "the zip holds a path that climbs out of its folder ('../evil.py')"),
    ("a/../../evil.py", "the zip holds a path that climbs out of its folder ('a/../../evil.py')"),
    ("..\\evil.py", "the zip holds a path that climbs out of its folder ('..\\\\evil.py')"),
    ("/etc/cron.d/evil", "the zip holds an absolute path ('/etc/cron.d/evil'); only relative paths are unpacked"),
    ("C:\\evil.py", "the zip holds an absolute path ('C:\\\\evil.py'); only relative paths are unpacked"),
])
def test_a_zip_that_writes_outside_its_folder_is_refused(tmp_path: Path, name: str, expected: str) -> None:
    path = make_zip(tmp_path / "s.zip", {"train.py": TRAIN, name: b"x = 1\n"})
    assert refused(path) == expected
    assert not (tmp_path / "evil.py").exists()


def test_a_zip_with_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "s.zip", {"train.py": TRAIN}, links={"data": "/etc"})
    assert refused(path) == "the zip holds a symbolic link ('data'); links are not unpacked"


def test_a_zip_bomb_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "s.zip", {"train.py": TRAIN, "weights.bin": bytes(50 * 2**20)})
    assert path.stat().st_size < 2**20
    assert refused(path).startswith("the zip entry 'weights.bin' expands ")
    assert "a zip bomb" in refused(path)
    assert not (tmp_path / "out-s.zip").exists() or not any((tmp_path / "out-s.zip").rglob("weights.bin"))


def test_a_zip_too_large_in_all_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subs, "MAX_BYTES", 3000)
    path = make_zip(tmp_path / "s.zip", {"train.py": TRAIN, **{f"f{i}.txt": os.urandom(1000) for i in range(4)}},
                    compression=zipfile.ZIP_STORED)
    assert refused(path).startswith("the zip")  # the file itself, or what it unpacks to, is over the limit


def test_a_zip_whose_headers_lie_is_refused_while_unpacking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_zip(tmp_path / "s.zip", {"train.py": TRAIN, "big.txt": os.urandom(4000)},
                    compression=zipfile.ZIP_STORED)
    real = subs._zip_entries

    def lying(p: Path):  # what a forged central directory would say: "big.txt" is 10 bytes
        entries = real(p)
        for info, _ in entries:
            if info.filename == "big.txt":
                info.file_size = 10
        return entries

    monkeypatch.setattr(subs, "_zip_entries", lying)
    message = refused(path, early=False)  # zipfile stops at the size it was told, then the checksum fails
    assert message.startswith(("the zip unpacks to more than its headers say", "the zip is damaged (Bad CRC-32"))
    written = tmp_path / "out-s.zip" / "big.txt"
    assert not written.exists() or written.stat().st_size <= 10


@pytest.mark.parametrize("entries, expected", [
    ({"train.py": TRAIN}, None),
    ({"alice/train.py": TRAIN, "alice/util.py": b"", "__MACOSX/alice/._train.py": b"junk"}, "alice"),
    ({"README.txt": b"hi"}, "no train.py in the submission (it holds README.txt)"),
    ({"notebook.ipynb": b"{}", "model.py": b"", "a/b.py": b"", "c.py": b"", "d.csv": b""},
     "no train.py in the submission (it holds a/b.py, c.py, d.csv, model.py and 1 more)"),
    ({"a/train.py": TRAIN, "b/train.py": TRAIN}, "several train.py in the submission (a/train.py, b/train.py); "
                                                 "hand in one project"),
])
def test_train_py_is_found_at_the_top_or_as_the_only_one(tmp_path: Path, entries: dict, expected: str | None) -> None:
    path = make_zip(tmp_path / "s.zip", entries)
    if expected is None or "/" not in expected and expected.isidentifier():
        folder = unpack(Submission("x", path), tmp_path / "out")
        assert (folder / "train.py").read_bytes() == TRAIN
        assert folder == (tmp_path / "out" / expected if expected else tmp_path / "out")
        assert not (tmp_path / "out" / "__MACOSX").exists()
    else:
        assert refused(path, early=False) == expected


def test_other_refusals_say_why(tmp_path: Path) -> None:
    (tmp_path / "garbage.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    assert refused(tmp_path / "garbage.zip").startswith("not a readable zip")
    encrypted = make_zip(tmp_path / "enc.zip", {"train.py": TRAIN})
    data = bytearray(encrypted.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the "encrypted" flag bit
        at = data.find(signature)
        data[at + offset] |= 1
    encrypted.write_bytes(bytes(data))
    assert refused(encrypted) == "the zip holds an encrypted entry ('train.py')"
    twice = tmp_path / "twice.zip"
    with zipfile.ZipFile(twice, "w") as archive:
        archive.writestr("train.py", TRAIN)
        with pytest.warns(UserWarning):
            archive.writestr("train.py", b"other")
    assert refused(twice) == "the zip holds 'train.py' twice"


def test_a_folder_with_a_link_is_refused_and_a_good_one_is_copied(tmp_path: Path) -> None:
    folder = tmp_path / "bob"
    (folder / "sub").mkdir(parents=True)
    (folder / "train.py").write_bytes(TRAIN)
    (folder / "sub" / "data.txt").write_text("1,2\n")
    copied = unpack(Submission("bob", folder), tmp_path / "work")
    assert (copied / "train.py").read_bytes() == TRAIN and (copied / "sub" / "data.txt").is_file()
    before = fingerprint(Submission("bob", folder))
    assert fingerprint(Submission("bob", folder)) == before
    (folder / "sub" / "data.txt").write_text("1,3\n")
    assert fingerprint(Submission("bob", folder)) != before
    (folder / "secrets").symlink_to("/etc/passwd")
    assert refused(folder) == "the folder holds a symbolic link ('secrets'); links are not graded"


def test_find_submissions_takes_folders_and_zips_and_names_them(tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    make_zip(tmp_path / "bob.zip", {"train.py": TRAIN})
    (tmp_path / "carol").mkdir()
    make_zip(tmp_path / "carol.zip", {"train.py": TRAIN})
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "grades").mkdir()
    found, skipped = find_submissions(tmp_path, exclude=(tmp_path / "grades",))
    assert [(s.student, s.path.name) for s in found] == [("alice", "alice"), ("bob", "bob.zip"),
                                                        ("carol", "carol"), ("carol.zip", "carol.zip")]
    assert skipped == ["notes.txt"]
