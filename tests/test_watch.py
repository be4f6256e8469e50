"""`dlpath watch`: a run now, another on each save, a run in progress cancelled by a new save."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.conftest import learner_folder


def _wait(events: list, predicate, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate(events):
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out; events: {events}")


@pytest.mark.slow
def test_a_save_reruns_and_a_save_during_a_run_cancels_it(tmp_path: Path, fixture_projects: Path) -> None:
    from dlpath.grading.watch import watch_folder

    folder = learner_folder(tmp_path, "passes")
    events: list = []
    stop = threading.Event()
    thread = threading.Thread(target=watch_folder, args=(folder,), daemon=True,
                              kwargs=dict(on_event=events.append, stop=stop, extra_args=("--device", "cpu")))
    thread.start()
    try:
        _wait(events, lambda e: any(x.kind == "end" for x in e))
        assert [x.kind for x in events][:2] == ["start", "end"] and events[1].status == 0
        (folder / "notes.txt").write_text("ignored? no: any file of the project counts\n")
        (folder / "train.py").write_text((folder / "train.py").read_text().replace("EPOCHS = 60", "EPOCHS = 61"))
        _wait(events, lambda e: sum(x.kind == "end" for x in e) == 2)
        second = [x for x in events if x.kind == "start"][1]
        assert "train.py" in second.changed
        slow = (folder / "train.py").read_text().replace("def train(model, data, device, log):",
                                                         "import time\n\ndef train(model, data, device, log):\n"
                                                         "    time.sleep(60)")
        (folder / "train.py").write_text(slow)
        _wait(events, lambda e: sum(x.kind == "start" for x in e) == 3)
        time.sleep(6)  # the slow run is under way
        (folder / "train.py").write_text(slow.replace("time.sleep(60)", "pass"))
        _wait(events, lambda e: any(x.kind == "cancelled" for x in e))
        _wait(events, lambda e: sum(x.kind == "end" for x in e) == 3)
        assert [x for x in events if x.kind == "end"][-1].status == 0
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_editors_temporary_files_are_never_named_as_changes(tmp_path: Path) -> None:
    from dlpath.grading.watch import _project_files, relevant_changes

    (tmp_path / "train.py").write_text("x = 1\n")
    (tmp_path / "helper.py").write_text("y = 2\n")
    known = _project_files(tmp_path)
    assert known == {"train.py", "helper.py"}
    # sed -i: writes sedK2qgqh beside train.py, then renames it over train.py (the copy is gone when we look)
    (tmp_path / "train.py").write_text("x = 2\n")
    batch = [str(tmp_path / n) for n in ("sedK2qgqh", "train.py")]
    assert relevant_changes(batch, tmp_path, known) == ("train.py",)
    # vim's probe file and swap file, still there when we look; JetBrains' and Emacs's copies
    for name in ("4913", "train.py.swp", "train.py___jb_tmp___", "#train.py#", "notes.tmp"):
        (tmp_path / name).write_text("")
    assert relevant_changes([str(tmp_path / n) for n in ("4913", "train.py.swp", "train.py___jb_tmp___",
                                                         "#train.py#", "notes.tmp")], tmp_path, known) == ()
    # a file with any other name that came and went between two looks is no file of the project either
    assert relevant_changes([str(tmp_path / "tmpxq81z")], tmp_path, known) == ()
    # a new file, and a file of the project removed, are changes
    (tmp_path / "notes.md").write_text("ok\n")
    (tmp_path / "helper.py").unlink()
    assert relevant_changes([str(tmp_path / "notes.md"), str(tmp_path / "helper.py")], tmp_path,
                            known) == ("helper.py", "notes.md")
    assert known == {"train.py", "notes.md"}
