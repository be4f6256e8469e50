"""The shape of the road, computed from the graph, so that a later edit cannot undo it (issue 24).

- a first graded project within the first 2 hours, on real data;
- the first neuron within about 20 hours of the start;
- k-means and PCA (`unsupervised-learning`) before autoencoders and small data, not before the perceptron;
- the vision, healthcare and autonomous-systems tracks free of sequence models;
- the optimizers project on the optimizers lesson;
- real data sets in at least three projects.

"Hours before" a lesson is measured two ways, and both must hold: along the road
`dlpath next` walks for a new learner on a laptop without a track (finishing each
lesson it offers), and as the hours of the lesson's prerequisites, direct or not
(the least a learner must study before it opens).
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace

import pytest

from dlpath.course.loading import load_curriculum
from dlpath.course.planner import LessonStatus, next_lesson
from dlpath.grading.project import list_projects

LAPTOP = SimpleNamespace(cuda_gpu=False, max_vram_gb=None)
FIRST_PROJECT_HOURS = 2  # the first graded project is done within this many hours of the start
FIRST_NEURON_HOURS = 20  # the perceptron lesson opens within this many hours
SEQUENCE_MODELS = {"recurrent-networks", "embeddings-tokenization", "attention-transformers"}
TRACKS_WITHOUT_SEQUENCES = ("vision", "healthcare", "autonomous")


@pytest.fixture(scope="module")
def road():
    curriculum = load_curriculum(None, use_cache=False)
    by_id = {lesson.id: lesson for lesson in curriculum.lessons}

    @cache
    def ancestors(lid: str) -> frozenset[str]:
        out: set[str] = set()
        for p in by_id[lid].prerequisites:
            out |= {p} | ancestors(p)
        return frozenset(out)

    done: dict[str, LessonStatus] = {}
    walk: list[str] = []
    while (offered := next_lesson(curriculum, done, None, LAPTOP).lesson) is not None:
        walk.append(offered.id)
        done[offered.id] = LessonStatus.DONE
    return SimpleNamespace(curriculum=curriculum, by_id=by_id, ancestors=ancestors, walk=walk)


def _hours_before(road, lid: str) -> tuple[float, float]:
    """(hours walked along `next` before `lid` is offered, hours of `lid`'s prerequisites)."""
    walked = sum(road.by_id[x].hours for x in road.walk[: road.walk.index(lid)])
    return walked, sum(road.by_id[a].hours for a in road.ancestors(lid))


def test_the_first_graded_project_is_done_within_two_hours_on_real_data(road):
    first = next(lid for lid in road.walk if road.by_id[lid].project)
    walked, needed = _hours_before(road, first)
    hours = road.by_id[first].hours
    assert walked + hours <= FIRST_PROJECT_HOURS, f"{first} is done after {walked + hours} h of the road"
    assert needed + hours <= FIRST_PROJECT_HOURS
    project = next(p for p in list_projects() if p.id == road.by_id[first].project)
    assert project.dataset.name.startswith("shipped:"), "the first hour runs on real data"


def test_the_first_neuron_opens_within_about_twenty_hours(road):
    walked, needed = _hours_before(road, "neurons-and-perceptron")
    assert walked <= FIRST_NEURON_HOURS and needed <= FIRST_NEURON_HOURS, (walked, needed)


def test_k_means_and_pca_come_where_they_are_needed(road):
    assert "unsupervised-learning" not in road.ancestors("neurons-and-perceptron")
    for lid in ("autoencoders-vae", "small-data"):
        assert "unsupervised-learning" in road.ancestors(lid), lid


@pytest.mark.parametrize("track", TRACKS_WITHOUT_SEQUENCES)
def test_vision_healthcare_and_autonomous_tracks_need_no_sequence_model(road, track):
    lessons = [lesson.id for lesson in road.curriculum.lessons if track in lesson.tracks]
    assert lessons, f"track {track} has no lessons"
    closure = set(lessons).union(*(road.ancestors(lid) for lid in lessons))
    assert closure & SEQUENCE_MODELS == set(), f"{track} needs {sorted(closure & SEQUENCE_MODELS)}"


def test_the_optimizers_project_belongs_to_the_optimizers_lesson():
    (project,) = [p for p in list_projects() if p.id == "optimizers-under-a-step-budget"]
    assert project.lesson == "optimizers-schedules"


def test_real_data_sets_serve_at_least_three_projects():
    real = [p.id for p in list_projects() if p.dataset is not None and p.dataset.name.startswith("shipped:")]
    assert len(real) >= 3, real
