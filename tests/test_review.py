"""`dlpath review`: spaced repetition (FSRS) of the self-check questions of lessons done.

A tiny course written here fixes the questions. Lessons are "completed" days
ago by rewriting the completion's time in the store, so the real clock can run.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dlpath.cli import app
from dlpath.learner.store import open_store, store_path

INDEX = """\
format_version: 1
title: Review test course
stages:
  - id: one
    title: One
lesson_files: [lessons.yaml]
"""

LESSONS = """\
lessons:
  - id: sums
    stage: one
    title: Basic sums
    summary: Adding numbers.
    objectives: [Add two numbers.]
    hours: 1
    questions:
      - question: What is two plus two?
        choices:
          - text: Three.
            why: One short; count again.
          - text: Four.
            correct: true
      - question: Which way does gradient descent step?
        choices:
          - text: Against the gradient.
            correct: true
          - text: Along the gradient.
            why: That climbs the loss.
  - id: later
    stage: one
    title: Later lesson
    summary: Needs the sums.
    objectives: [Go on.]
    prerequisites: [sums]
    hours: 2
    questions:
      - question: Is this the later lesson?
        choices:
          - text: "Yes."
            correct: true
          - text: "No."
            why: It is.
"""


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "course"
    (root / "lessons").mkdir(parents=True)
    (root / "curriculum.yaml").write_text(INDEX)
    (root / "lessons.yaml").write_text(LESSONS)
    for lesson in ("sums", "later"):
        (root / "lessons" / f"{lesson}.md").write_text(f"# {lesson}\n\nThe body of {lesson}, long enough to count.\n")
    monkeypatch.setenv("DLPATH_CURRICULUM", str(root))
    return root


def flat(text: str) -> str:
    """The output with its line wrapping undone (messages wrap at the terminal's width)."""
    return " ".join(text.split())


def run(runner, *args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def done_days_ago(runner, lesson: str, days: float) -> None:
    run(runner, "done", lesson)
    at = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="microseconds")
    db = sqlite3.connect(store_path())
    db.execute("UPDATE completions SET at = ? WHERE lesson = ?", (at, lesson))
    db.commit()
    db.close()


def test_nothing_to_review_on_a_fresh_home(runner, course) -> None:
    result = run(runner, "review")
    assert flat(result.output) == (
        "Nothing to review yet: the questions of each lesson you finish come back for review a day later. "
        "`dlpath next` shows what to learn now."
    )


def test_questions_come_due_a_day_after_the_lesson(runner, course) -> None:
    run(runner, "done", "sums")
    assert run(runner, "review").output == "Nothing to review now (2 questions under review). Next review: tomorrow.\n"
    assert json.loads(run(runner, "next", "--json").output)["reviews_due"] == 0


def test_due_lists_the_questions_without_their_answers(runner, course) -> None:
    done_days_ago(runner, "sums", 2)
    out = run(runner, "review", "--due").output
    assert out.startswith("2 questions due for review  (2 under review)\n")
    assert "  1. What is two plus two?  sums, question 1\n       1. Three.\n       2. Four.\n" in out
    data = json.loads(run(runner, "review", "--due", "--json").output)
    assert set(data) == {"now", "due", "due_total", "next_due", "cards"}
    assert data["due_total"] == 2 and data["cards"] == 2 and data["next_due"] is None
    first = data["due"][0]
    assert set(first) == {"card", "lesson", "lesson_title", "number", "question", "choices", "due", "new"}
    assert first["choices"] == ["Three.", "Four."] and first["new"] is True and first["lesson"] == "sums"
    assert "correct" not in json.dumps(data) and "why" not in json.dumps(data)


def test_next_mentions_reviews_due(runner, course) -> None:
    done_days_ago(runner, "sums", 2)
    out = run(runner, "next").output
    assert "Review:    dlpath review   2 questions from earlier lessons due" in out
    assert json.loads(run(runner, "next", "--json").output)["reviews_due"] == 2


def test_right_answers_are_scheduled_days_ahead(runner, course) -> None:
    done_days_ago(runner, "sums", 2)
    result = run(runner, "review", "--answers", "2,1")
    assert "Your answer: 2. Four." in result.output
    assert "Right. It comes back in 2 days." in result.output
    assert result.output.endswith("2 of 2 right. Next review: in 2 days (" + _in_days(2) + ").\n")
    assert run(runner, "review", "--due").output == (
        f"Nothing to review now (2 questions under review). Next review: in 2 days ({_in_days(2)}).\n"
    )
    with open_store() as store:
        cards = store.review_cards()
        assert len(cards) == 2 and store.review_count() == 2
        assert {c.lesson for c in cards.values()} == {"sums"}


def _in_days(n: int) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=n)).date().isoformat()


def test_a_wrong_answer_says_why_and_comes_back_tomorrow(runner, course) -> None:
    done_days_ago(runner, "sums", 2)
    result = run(runner, "review", "--answers", "1,1", code=1)
    assert "Not quite: One short; count again. It comes back tomorrow." in result.output
    assert flat(result.output).endswith(
        "1 of 2 right. The ones you missed come back soon; `dlpath show sums` has the answers. "
        "Next review: tomorrow."
    )


def test_answers_json_shape(runner, course) -> None:
    done_days_ago(runner, "sums", 2)
    data = json.loads(run(runner, "review", "--answers", "2", "--json").output)
    assert set(data) == {"total", "right", "answers", "due_left", "next_due", "message"}
    assert data["total"] == 1 and data["right"] == 1 and data["due_left"] == 1
    (answer,) = data["answers"]
    assert set(answer) == {"card", "lesson", "number", "question", "answer", "answer_text", "correct", "why",
                           "next_due", "interval_days"}
    assert answer["interval_days"] == 2.0 and answer["why"] is None and answer["card"].startswith("sums/")
    assert data["message"] == "1 of 1 right. 1 more question is due: `dlpath review`."


@pytest.mark.parametrize("answers, message", [
    ("2,1,1", "Error: 2 questions are due now, but --answers gave 3 answers."),
    ("2,x", "Error: 'x' in --answers is not a choice number."),
    ("9,1", "Error: question 1 due (sums, question 1) has choices 1 to 2; --answers gave 9."),
    (",", "Error: --answers gave no answer."),
])
def test_bad_answers_are_explained(runner, course, answers: str, message: str) -> None:
    done_days_ago(runner, "sums", 2)
    result = run(runner, "review", "--answers", answers, code=2)
    assert result.output == (
        f"{message}\n`dlpath review --due` lists the questions due, in order; give one choice number for each.\n"
    )
    with open_store() as store:
        assert store.review_count() == 0  # nothing recorded from bad input


def test_answers_when_nothing_is_due(runner, course) -> None:
    result = run(runner, "review", "--answers", "1", code=2)
    assert result.output.startswith("Error: --answers were given, but no question is due. Nothing to review yet")


def test_without_a_terminal_it_says_how(runner, course) -> None:
    done_days_ago(runner, "sums", 2)
    result = run(runner, "review", code=2)
    assert result.output == (
        "Error: there is no terminal to ask questions in: give them with --answers, one choice number per "
        "question due, in order.\n`dlpath review --due` lists the questions due, in that order.\n"
    )
    data = json.loads(run(runner, "review", "--json", code=2).stdout)
    assert data["error"]["code"] == "no-terminal"
    assert data["error"]["message"].startswith("--json needs the answers up front")


def test_interactive_review_asks_and_stores_each_answer(runner, course, monkeypatch: pytest.MonkeyPatch) -> None:
    import dlpath.cli.companion as companion

    monkeypatch.setattr(companion, "_interactive", lambda: True)
    done_days_ago(runner, "sums", 2)
    result = runner.invoke(app, ["review"], input="5\n2\n2\n")
    assert result.exit_code == 1, result.output
    out = result.output
    assert "Review 1/2  from Basic sums [sums]\nWhat is two plus two?\n  1. Three.\n  2. Four.\n" in out
    assert "Type a number from 1 to 2." in out
    assert "Right. It comes back in 2 days." in out and "Not quite: That climbs the loss." in out
    with open_store() as store:
        assert store.review_count() == 2


def test_ctrl_c_in_a_review_keeps_the_answers_given(runner, course, monkeypatch: pytest.MonkeyPatch) -> None:
    import dlpath.cli.companion as companion

    monkeypatch.setattr(companion, "_interactive", lambda: True)
    done_days_ago(runner, "sums", 2)
    result = runner.invoke(app, ["review"], input="2\n")  # then the input ends, as Ctrl-D would
    assert result.exit_code == 130
    assert "Error: interrupted.\n" in result.output
    with open_store() as store:
        assert store.review_count() == 1


def test_skipped_lessons_are_not_reviewed(runner, course) -> None:
    run(runner, "skip", "sums")
    db = sqlite3.connect(store_path())
    db.execute("UPDATE completions SET at = '2000-01-01T00:00:00.000000+00:00'")
    db.commit()
    db.close()
    assert run(runner, "review").output.startswith("Nothing to review yet")


def test_the_schedule_follows_fsrs(course) -> None:
    from dlpath.course.loading import load_curriculum
    from dlpath.learner.review import answer, review_queue

    curriculum = load_curriculum()
    start = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    with open_store() as store:
        store.complete("sums")
        db = store._db
        db.execute("UPDATE completions SET at = ?", ("2026-01-01T09:00:00.000000+00:00",))
        now = start
        intervals = []
        for right in (True, True, False, True):
            queue = review_queue(curriculum, store.completions(), store.review_due_times(), now)
            item = next(d for d in queue.due if d.number == 1)
            result = answer(curriculum, store, item, 2 if right else 1, now)
            intervals.append(result.interval_days)
            now = datetime.fromisoformat(result.next_due)
    assert intervals == [2.0, 11.0, 2.0, 5.0]


def test_a_changed_question_is_a_new_card(course) -> None:
    from dlpath.learner.review import card_id

    assert card_id("sums", "What is two plus two?") == card_id("sums", "What is two plus two?")
    assert card_id("sums", "What is two plus two?") != card_id("sums", "What is two plus three?")


def test_everyday_commands_never_import_heavy_modules(course, runner) -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from dlpath.cli import app\n"
        "for args in (['next'], ['progress'], ['map'], ['show', 'sums'], ['review']):\n"
        "    r = CliRunner().invoke(app, args); assert r.exit_code == 0, (args, r.output)\n"
        "print(sorted(m for m in ('torch', 'numpy', 'fsrs', 'plotext', 'watchfiles', 'nbclient', 'matplotlib',"
        " 'rich.markdown') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['rich.markdown']"  # only `show` renders Markdown
