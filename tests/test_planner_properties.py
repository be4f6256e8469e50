"""Property tests of `next` on random curricula (hypothesis)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from hypothesis import given, settings, strategies as st

from dlpath.course.model import Curriculum, Lesson, Requirements, Stage, Track
from dlpath.course.planner import LessonStatus, next_lesson, track_needs
from dlpath.learner.completion import finished_lessons, lesson_statuses

STAGES = ("foundations", "basics", "advanced", "specialization")


@st.composite
def curricula(draw) -> Curriculum:
    n = draw(st.integers(1, 25))
    stage_of = sorted(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    lessons = []
    for i in range(n):
        # prerequisites only among earlier lessons (a DAG), never of a later stage (sorted above)
        prereqs = draw(st.sets(st.integers(0, i - 1), max_size=3)) if i else set()
        lessons.append(Lesson(
            id=f"l{i}", stage=STAGES[stage_of[i]], title=f"Lesson {i}", summary="s", objectives=("o",),
            prerequisites=tuple(f"l{p}" for p in sorted(prereqs)), hours=1.0,
            tracks=("t",) if draw(st.booleans()) else (),
            requires=Requirements(cuda=draw(st.integers(0, 5)) == 0),
            inline_body="body",
        ))
    order = draw(st.permutations(lessons))  # the curriculum's own order need not be topological
    order = sorted(order, key=lambda l: STAGES.index(l.stage))
    return Curriculum(Path("."), "random", tuple(Stage(s, s.title()) for s in STAGES),
                      (Track("t", "T"),), tuple(order))


profiles = st.sampled_from([SimpleNamespace(cuda_gpu=False, max_vram_gb=None),
                            SimpleNamespace(cuda_gpu=True, max_vram_gb=80.0)])


@settings(max_examples=150, deadline=None)
@given(curricula(), st.data(), profiles, st.sampled_from([None, "t"]))
def test_next_never_offers_a_lesson_with_unfinished_prerequisites(curriculum, data, profile, track) -> None:
    done = data.draw(st.sets(st.sampled_from([l.id for l in curriculum.lessons])))
    completions = {i: SimpleNamespace(how="done") for i in done}
    result = next_lesson(curriculum, finished_lessons(curriculum, completions)[0], track, profile)
    for lesson_id in ([result.lesson.id] if result.lesson else []) + result.available:
        lesson = curriculum.by_id[lesson_id]
        assert lesson_id not in done
        assert all(p in done for p in lesson.prerequisites)
        assert not (lesson.requires.cuda and not profile.cuda_gpu)


@settings(max_examples=150, deadline=None)
@given(curricula(), profiles, st.sampled_from([None, "t"]))
def test_completing_next_again_and_again_visits_every_runnable_lesson_once_in_stage_order(
    curriculum, profile, track
) -> None:
    def runnable(lesson: Lesson) -> bool:
        ok = not (lesson.requires.cuda and not profile.cuda_gpu)
        return ok and all(runnable(curriculum.by_id[p]) for p in lesson.prerequisites)

    completions: dict[str, object] = {}
    visited: list[str] = []
    for _ in range(len(curriculum.lessons) + 1):
        result = next_lesson(curriculum, finished_lessons(curriculum, completions)[0], track, profile)
        if result.lesson is None:
            break
        visited.append(result.lesson.id)
        completions[result.lesson.id] = SimpleNamespace(how="done")
    assert len(visited) == len(set(visited))
    assert set(visited) == {l.id for l in curriculum.lessons if runnable(l)}
    # with a track, what it needs comes first (in stage order), then the rest (in stage order)
    needed = track_needs(curriculum, track) or set()
    for group in ([i for i in visited if i in needed], [i for i in visited if i not in needed]):
        stage_index = [STAGES.index(curriculum.by_id[i].stage) for i in group]
        assert stage_index == sorted(stage_index)
    assert visited == [i for i in visited if i in needed] + [i for i in visited if i not in needed]
    status = lesson_statuses(curriculum, completions)
    assert all(status[i] != LessonStatus.AVAILABLE or not runnable(curriculum.by_id[i]) for i in status)


@settings(max_examples=150, deadline=None)
@given(curricula(), st.data(), st.sampled_from([None, "t"]))
def test_next_is_the_first_lesson_of_the_plan(curriculum, data, track) -> None:
    from datetime import date

    from dlpath.learner.schedule import study_plan

    done = data.draw(st.sets(st.sampled_from([l.id for l in curriculum.lessons])))
    completions = {i: SimpleNamespace(how="done", at="2026-01-01") for i in done}
    gpu = SimpleNamespace(cuda_gpu=True, max_vram_gb=80.0)  # nothing passed over for want of hardware
    result = next_lesson(curriculum, finished_lessons(curriculum, completions)[0], track, gpu)
    plan = study_plan(curriculum, completions, track, 6.0, date(2026, 1, 5), date(2026, 1, 5))
    first = next((item.id for week in plan.weeks for item in week.items if item.id is not None), None)
    if result.lesson is not None and first is not None:
        assert result.lesson.id == first
    elif first is not None:  # nothing open now, though the plan has lessons left: they wait behind others
        assert result.available == []
