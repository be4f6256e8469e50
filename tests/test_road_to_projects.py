"""A learner who follows `dlpath next` on a laptop without a GPU meets every shipped project, on every track."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dlpath.course.loading import load_curriculum
from dlpath.course.planner import next_lesson
from dlpath.learner.completion import finished_lessons
from dlpath.grading.project import list_projects

LAPTOP = SimpleNamespace(cuda_gpu=False, max_vram_gb=None)


def _follow_next(curriculum, track):
    """The lessons `next` offers, in order, to a learner who finishes each one (projects by passing them)."""
    done: dict[str, SimpleNamespace] = {}
    order = []
    while True:
        result = next_lesson(curriculum, finished_lessons(curriculum, done)[0], track, LAPTOP)
        if result.lesson is None:
            return order, result
        order.append(result.lesson.id)
        done[result.lesson.id] = SimpleNamespace(how="done")


TRACKS = [None] + [t.id for t in load_curriculum(None, use_cache=False).tracks]


@pytest.mark.parametrize("track", TRACKS)
def test_following_next_reaches_every_project_lesson(track):
    curriculum = load_curriculum(None, use_cache=False)
    order, last = _follow_next(curriculum, track)
    offered = set(order)
    projects = [p for p in list_projects() if p.hands_on == "project"]  # exercise folders: test_exercises.py
    assert len(projects) >= 20
    missing = [f"{p.id} ({p.lesson})" for p in projects
               if p.lesson not in offered and not curriculum.lesson(p.lesson).requires.cuda]
    assert not missing, f"`next` never offers the lessons of {missing}"
    for p in projects:
        lesson = curriculum.lesson(p.lesson)
        assert lesson.project == p.id, f"{lesson.id} does not link to {p.id}"


def test_every_track_lists_its_capstone():
    from dlpath.learner.roadmap import track_list

    curriculum = load_curriculum(None, use_cache=False)
    tracks = track_list(curriculum, None).tracks
    assert tracks
    for track in tracks:
        assert track.capstones, f"track {track.id} has no graded project in its specialization lessons"
        for capstone in track.capstones:
            assert capstone.lesson in track.lessons and capstone.proves
