"""`dlpath watch`: a run now, another on each save, a run in progress cancelled by a new save."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.conftest import learner_folder

pytestmark = pytest.mark.slow


def _wait(events: list, predicate, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate(events):
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out; events: {events}")


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
