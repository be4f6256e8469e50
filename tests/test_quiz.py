"""`dlpath quiz`: grading answers, feedback on wrong ones, marking reading lessons done.

Every test runs the real command through CliRunner on a tiny curriculum written
here, so the questions, and therefore the expected messages, are fixed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlpath.cli import app

INDEX = """\
format_version: 1
title: Quiz test course
stages:
  - id: one
    title: One
tracks: []
lesson_files: [lessons.yaml]
"""

QUESTIONS = """\
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
          - text: Sideways.
            why: The step follows the negative gradient, not a perpendicular.
"""

LESSONS = f"""\
lessons:
  - id: basics
    stage: one
    title: Basic sums
    summary: Adding numbers.
    objectives: [Add two numbers.]
    prerequisites: []
    hours: 1
    aliases: [sums]
{QUESTIONS}
  - id: later
    stage: one
    title: Later lesson
    summary: Needs the basics.
    objectives: [Go on.]
    prerequisites: [basics]
    hours: 1
{QUESTIONS}
  - id: with-project
    stage: one
    title: A lesson with a project
    summary: Has a project.
    objectives: [Build it.]
    prerequisites: []
    hours: 1
    project: tiny
{QUESTIONS}
  - id: no-quiz
    stage: one
    title: No questions here
    summary: Nothing to ask.
    objectives: [Read.]
    prerequisites: []
    hours: 1
"""


@pytest.fixture
def course(tmp_path: Path) -> Path:
    root = tmp_path / "course" / "curriculum"
    (root / "lessons").mkdir(parents=True)
    (root / "curriculum.yaml").write_text(INDEX)
    (root / "lessons.yaml").write_text(LESSONS)
    for lesson_id in ("basics", "later", "with-project", "no-quiz"):
        (root / "lessons" / f"{lesson_id}.md").write_text(f"## {lesson_id}\n\nText.\n")
    project = tmp_path / "course" / "projects" / "tiny"
    project.mkdir(parents=True)
    (project / "project.yaml").write_text("id: tiny\n")
    return root


def run(runner, course: Path, *args: str, input: str | None = None):
    return runner.invoke(app, ["--curriculum", str(course), *args], input=input)


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def statuses(course: Path) -> dict[str, str]:
    from dlpath.course.loading import load_curriculum
    from dlpath.learner.completion import lesson_statuses as compute
    from dlpath.learner.store import open_store

    with open_store() as store:
        return compute(load_curriculum(course), store.completions())


def test_all_right_marks_a_reading_lesson_done(runner, course):
    result = run(runner, course, "quiz", "basics", "--answers", "2,1")
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    assert "Quiz: Basic sums (2 questions)" in out
    assert "Your answer: 2. Four. Right." in out
    assert "Your answer: 1. Against the gradient. Right." in out
    assert out.endswith("All 2 right. Marked 'basics' done.")
    assert statuses(course)["basics"] == "done"
    assert statuses(course)["later"] == "available"


def test_a_wrong_answer_says_why_and_exits_1(runner, course):
    result = run(runner, course, "quiz", "basics", "--answers", "2,3")
    assert result.exit_code == 1
    out = flat(result.output)
    assert "Your answer: 3. Sideways. Not quite: The step follows the negative gradient, not a perpendicular." in out
    assert out.endswith("1 of 2 right. Reread the lesson (`dlpath show basics`) and try question 2 again.")
    assert statuses(course)["basics"] == "available"


def test_all_wrong_names_every_missed_question(runner, course):
    result = run(runner, course, "quiz", "basics", "--answers", "1 2")
    assert result.exit_code == 1
    out = flat(result.output)
    assert "Not quite: One short; count again." in out
    assert "Not quite: That climbs the loss." in out
    assert out.endswith("0 of 2 right. Reread the lesson (`dlpath show basics`) and try questions 1, 2 again.")


def test_the_right_choice_of_a_missed_question_is_not_revealed(runner, course):
    result = run(runner, course, "quiz", "basics", "--answers", "1,1")
    assert "Four." not in result.output


def test_json_shape(runner, course):
    result = run(runner, course, "quiz", "sums", "--answers", "2,2", "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["lesson"] == "basics"  # the alias resolves to the lesson
    assert (data["total"], data["right"], data["passed"], data["marked_done"]) == (2, 1, False, False)
    assert data["status"] == "available"
    assert data["project"] is None
    assert data["answers"][1] == {
        "number": 2,
        "question": "Which way does gradient descent step?",
        "answer": 2,
        "answer_text": "Along the gradient.",
        "correct": False,
        "why": "That climbs the loss.",
    }
    assert data["answers"][0]["why"] is None


def test_a_lesson_with_a_project_points_to_check(runner, course):
    result = run(runner, course, "quiz", "with-project", "--answers", "2,1")
    assert result.exit_code == 0
    assert flat(result.output).endswith(
        "All 2 right. 'with-project' has a project: pass `dlpath check` to complete it "
        "(start it with `dlpath start tiny`)."
    )
    assert statuses(course)["with-project"] == "available"


def test_unmet_prerequisites_are_not_marked_done(runner, course):
    result = run(runner, course, "quiz", "later", "--answers", "2,1")
    assert result.exit_code == 0
    assert flat(result.output).endswith(
        "All 2 right. 'later' needs basics first, so it is not marked done "
        "(`dlpath done later --force` marks it anyway)."
    )
    assert statuses(course)["later"] == "locked"


def test_a_second_pass_says_already_done(runner, course):
    run(runner, course, "quiz", "basics", "--answers", "2,1")
    result = run(runner, course, "quiz", "basics", "--answers", "2,1")
    assert result.exit_code == 0
    assert flat(result.output).endswith("All 2 right. 'basics' was already done.")


def test_without_a_terminal_or_answers_it_prints_the_questions_and_says_how_to_answer(runner, course):
    result = run(runner, course, "quiz", "basics")
    assert result.exit_code == 0
    assert flat(result.output) == (
        "Quiz: Basic sums (2 questions) 1/2. What is two plus two? 1. Three. 2. Four. "
        "2/2. Which way does gradient descent step? 1. Against the gradient. 2. Along the gradient. 3. Sideways. "
        "No terminal to ask in: answer with one choice number per question, in order, e.g. "
        "`dlpath quiz basics --answers 1,2`."
    )
    from dlpath.learner.store import open_store

    with open_store() as store:
        assert store.completions() == {}


def test_a_notebooks_shell_is_not_a_terminal_to_ask_in(monkeypatch):
    """`!dlpath quiz` in Jupyter runs on a pseudo-terminal that never passes an answer on: asking there hangs."""
    from dlpath.cli import interactive

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty())
    monkeypatch.delenv("DLPATH_NOTEBOOK", raising=False)
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delenv("KAGGLE_KERNEL_RUN_TYPE", raising=False)
    assert interactive()
    monkeypatch.setenv("JPY_PARENT_PID", "1234")
    assert not interactive()


def test_json_needs_answers(runner, course):
    result = run(runner, course, "quiz", "basics", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"error": {
        "code": "no-terminal",
        "message": "--json needs the answers up front: give them with --answers, one choice number per question, "
                   "in order.",
        "hint": "For example: dlpath quiz basics --answers 1,2",
    }}


@pytest.mark.parametrize(
    "answers, message",
    [
        ("2", "Error: lesson 'basics' has 2 questions, but --answers gave 1 answer."),
        ("2,1,1", "Error: lesson 'basics' has 2 questions, but --answers gave 3 answers."),
        ("2,x", "Error: 'x' in --answers is not a choice number."),
        ("2,4", "Error: question 2 has choices 1 to 3; --answers gave 4."),
        ("0,1", "Error: question 1 has choices 1 to 2; --answers gave 0."),
        ("", "Error: lesson 'basics' has 2 questions, but --answers gave 0 answers."),
    ],
)
def test_bad_answers_are_usage_errors(runner, course, answers, message):
    result = run(runner, course, "quiz", "basics", "--answers", answers)
    assert result.exit_code == 2
    out = flat(result.output)
    assert out.startswith(message)
    assert out.endswith(
        "Give one choice number per question, in order, separated by commas: "
        "`dlpath quiz basics --answers 1,2`."
    )
    assert statuses(course)["basics"] == "available"


def test_a_lesson_without_questions(runner, course):
    result = run(runner, course, "quiz", "no-quiz", "--answers", "1")
    assert result.exit_code == 2
    assert flat(result.output) == (
        "Error: lesson 'no-quiz' has no self-check questions. "
        "Read it with `dlpath show no-quiz` and mark it with `dlpath done no-quiz`."
    )


def test_an_unknown_lesson(runner, course):
    result = run(runner, course, "quiz", "basic", "--answers", "1")
    assert result.exit_code == 2
    assert flat(result.output).startswith("Error: there is no lesson 'basic'. Did you mean 'basics'?")


def test_interactive_asks_each_question_and_explains(runner, course, monkeypatch):
    import dlpath.cli.quiz as cli_quiz

    monkeypatch.setattr(cli_quiz, "_interactive", lambda: True)
    # a bad entry is asked again; then a wrong answer, then a right one
    result = run(runner, course, "quiz", "basics", input="7\n1\n1\n")
    assert result.exit_code == 1
    out = flat(result.output)
    assert "1/2. What is two plus two? 1. Three. 2. Four." in out
    assert "Type a number from 1 to 2." in out
    assert "Not quite: One short; count again." in out
    assert "2/2. Which way does gradient descent step?" in out
    assert "Right." in out
    assert out.endswith("1 of 2 right. Reread the lesson (`dlpath show basics`) and try question 1 again.")

    result = run(runner, course, "quiz", "basics", input="2\n1\n")
    assert result.exit_code == 0
    assert flat(result.output).endswith("All 2 right. Marked 'basics' done.")
    assert statuses(course)["basics"] == "done"


def test_core_grade_is_plain_data(course):
    from dlpath.learner import quiz
    from dlpath.course.loading import load_curriculum

    lesson = load_curriculum(course).lesson("basics")
    assert quiz.parse_answers(" 2, 1 ", lesson) == [2, 1]
    results = quiz.grade(lesson, [1, 1])
    assert [r.correct for r in results] == [False, True]
    assert results[0].why == "One short; count again."
