"""Self-check quizzes: grade a learner's answers to a lesson's questions.

Every content lesson carries 2-4 multiple-choice questions in its metadata
(`Lesson.questions`, docs/curriculum-format.md). `dlpath quiz ID` asks them;
this module does the work that does not depend on a terminal:

- `parse_answers` turns "2,1,3" into choice numbers, checking count and range;
- `check_answer` grades one answer (for the interactive mode, which gives
  feedback after each question);
- `finish` turns the graded answers into a `QuizResult` and, when every answer
  is right and the lesson has no project, marks the lesson done in the store;
- `take_quiz` does all of it at once (the `--answers` mode).

A wrong answer carries the `why` written for that choice. The right choice of a
missed question is not revealed: the why is the hint, and the lesson body is
the place to find the answer, so that a retry is still a real self-check.

Choice numbers are 1-based everywhere, as the learner types them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from dlpath.errors import UsageError
from dlpath.learner.completion import CompletionKind, complete, graded_work, lesson_statuses

__all__ = [
    "AnswerResult",
    "QuizResult",
    "NoQuestions",
    "BadAnswers",
    "questions_of",
    "example_answers",
    "choice_numbers",
    "parse_answers",
    "check_answer",
    "grade",
    "finish",
    "take_quiz",
]


class NoQuestions(UsageError):
    """The lesson has no self-check questions."""


class BadAnswers(UsageError):
    """The `--answers` text cannot be read or does not fit the questions."""


@dataclass(frozen=True)
class AnswerResult:
    """One question, the learner's answer, and whether it is right."""

    number: int  # the question's 1-based position
    question: str
    answer: int  # the 1-based choice the learner gave
    answer_text: str
    correct: bool
    why: str | None  # why the answer is wrong; None when it is right


@dataclass(frozen=True)
class QuizResult:
    """The outcome of one quiz; its fields are the `--json` shape."""

    lesson: str  # the lesson's id
    title: str
    total: int  # how many questions
    right: int  # how many answered correctly
    passed: bool  # every answer right
    answers: list[AnswerResult]
    project: str | None  # the lesson's project, which `dlpath check` must pass to complete it
    status: str  # the lesson's status afterwards: done, skipped, available or locked
    marked_done: bool  # this quiz marked the lesson done
    message: str  # one sentence for the learner: what happened and what to do next


def questions_of(lesson: Any) -> tuple[Any, ...]:
    """The lesson's questions; `NoQuestions` if it has none."""
    if not lesson.questions:
        raise NoQuestions(
            f"lesson '{lesson.id}' has no self-check questions.",
            hint=f"Read it with `dlpath show {lesson.id}` and mark it with `dlpath done {lesson.id}`.",
        )
    return tuple(lesson.questions)


def example_answers(questions: Sequence[Any]) -> str:
    """A well-formed `--answers` value for these questions, for help messages."""
    return ",".join(str(min(i % 3 + 1, len(q.choices))) for i, q in enumerate(questions))


def choice_numbers(text: str, error: type[UsageError], hint: str) -> list[int]:
    """The numbers in an `--answers` text ("2,1,3" or "2 1 3"); `error` for anything else."""
    numbers: list[int] = []
    for part in (p.strip() for p in text.replace(" ", ",").split(",")):
        if not part:
            continue
        if not part.isdigit():
            raise error(f"'{part}' in --answers is not a choice number.", hint=hint)
        numbers.append(int(part))
    return numbers


def parse_answers(text: str, lesson: Any) -> list[int]:
    """The 1-based choice numbers in `text` ("2,1,3"), checked against the lesson's questions."""
    questions = questions_of(lesson)
    example = example_answers(questions)
    hint = (
        f"Give one choice number per question, in order, separated by commas: "
        f"`dlpath quiz {lesson.id} --answers {example}`."
    )
    numbers = choice_numbers(text, BadAnswers, hint)
    if len(numbers) != len(questions):
        raise BadAnswers(
            f"lesson '{lesson.id}' has {len(questions)} questions, but --answers gave "
            f"{len(numbers)} answer{'' if len(numbers) == 1 else 's'}.",
            hint=hint,
        )
    for i, (n, q) in enumerate(zip(numbers, questions), 1):
        if not 1 <= n <= len(q.choices):
            raise BadAnswers(
                f"question {i} has choices 1 to {len(q.choices)}; --answers gave {n}.",
                hint=hint,
            )
    return numbers


def check_answer(question: Any, number: int, answer: int) -> AnswerResult:
    """Grade choice `answer` (1-based) of `question`, the `number`-th of its quiz."""
    if not 1 <= answer <= len(question.choices):
        raise BadAnswers(f"question {number} has choices 1 to {len(question.choices)}; got {answer}.")
    choice = question.choices[answer - 1]
    return AnswerResult(
        number=number,
        question=question.question,
        answer=answer,
        answer_text=choice.text,
        correct=bool(choice.correct),
        why=None if choice.correct else (choice.why or "That is not the right choice."),
    )


def grade(lesson: Any, answers: Sequence[int]) -> list[AnswerResult]:
    """Grade one answer per question, in order."""
    questions = questions_of(lesson)
    if len(answers) != len(questions):
        raise BadAnswers(f"lesson '{lesson.id}' has {len(questions)} questions, but {len(answers)} answers were given.")
    return [check_answer(q, i, a) for i, (q, a) in enumerate(zip(questions, answers), 1)]


def finish(curriculum: Any, store: Any, lesson: Any, answers: Sequence[AnswerResult]) -> QuizResult:
    """Sum up graded answers and, when all are right, mark a reading lesson done.

    A lesson with a project is only completed by `dlpath check`; a lesson whose
    prerequisites are not done is not marked (as with `dlpath done`), and the
    message says how to mark it anyway.
    """
    right = sum(1 for a in answers if a.correct)
    total = len(answers)
    passed = right == total
    marked = False
    if not passed:
        missed = ", ".join(str(a.number) for a in answers if not a.correct)
        message = (
            f"{right} of {total} right. Reread the lesson (`dlpath show {lesson.id}`) "
            f"and try question{'s' if right < total - 1 else ''} {missed} again."
        )
    elif lesson.hands_on:
        message = (f"All {total} right. '{lesson.id}' {graded_work(lesson)} "
                   f"(start it with `dlpath start {lesson.hands_on[0][1]}`).")
    else:
        done = complete(curriculum, store, lesson.id, CompletionKind.DONE)
        marked = done.recorded
        if done.already:
            message = f"All {total} right. '{lesson.id}' was already done."
        elif done.unmet:
            message = (
                f"All {total} right. '{lesson.id}' needs {', '.join(done.unmet)} first, so it is not "
                f"marked done (`dlpath done {lesson.id} --force` marks it anyway)."
            )
        else:
            message = f"All {total} right. Marked '{lesson.id}' done."
    status = lesson_statuses(curriculum, store.completions())[lesson.id]
    return QuizResult(
        lesson=lesson.id,
        title=lesson.title,
        total=total,
        right=right,
        passed=passed,
        answers=list(answers),
        project=lesson.project,
        status=status,
        marked_done=marked,
        message=message,
    )


def take_quiz(curriculum: Any, store: Any, lesson_id: str, answers: str) -> QuizResult:
    """Grade `answers` ("2,1,3") for the lesson `lesson_id` (an id or alias) and record a pass."""
    lesson = curriculum.lesson(lesson_id)
    numbers = parse_answers(answers, lesson)
    return finish(curriculum, store, lesson, grade(lesson, numbers))
