"""Spaced review of what was learned (`dlpath review`): the self-check questions
of lessons already done, scheduled with FSRS (the `fsrs` package).

Cards. Every self-check question of a lesson the learner read or passed (not
one they tested out of with `skip`) is a card, named
`<lesson id>/<checksum of the question's text>`, so that a question an author
rewrites starts afresh while reordering questions changes nothing. A card
never reviewed is *new*: it comes due one day after its lesson was completed
(the quiz that completed it was the first encounter). Its schedule lives in
the progress store (`review_cards`, `review_log`; `dlpath.learner.store`), as the
FSRS card's own JSON plus its due time.

Answers. A right answer is FSRS's "Good", a wrong one "Again". The scheduler
has no learning steps (a learner runs `dlpath review` once a day or so, not
every ten minutes) and no fuzz (the same answers give the same schedule).

Time is always passed in (`now`, an aware UTC datetime), so tests and the
store agree on it. `due_count` is what `dlpath next` uses: it never imports
fsrs; only answering does.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Mapping, Sequence

from dlpath.errors import UsageError
from dlpath.learner.store import CompletionKind

__all__ = [
    "NEW_CARD_DELAY",
    "DueQuestion",
    "ReviewQueue",
    "ReviewAnswer",
    "ReviewResult",
    "BadReviewAnswers",
    "NothingDue",
    "new_scheduler",
    "nothing_due_message",
    "card_id",
    "due_count",
    "review_queue",
    "parse_answers",
    "answer",
    "summarize",
    "take_review",
    "iso",
]

NEW_CARD_DELAY = timedelta(days=1)  # a new card comes due this long after its lesson was completed
DESIRED_RETENTION = 0.9  # FSRS's default: schedule each card when recall is 90 % likely


class BadReviewAnswers(UsageError):
    """The `--answers` of `dlpath review` cannot be read or do not fit the questions due."""


class NothingDue(UsageError):
    """`--answers` were given but no question is due."""


@dataclass(frozen=True)
class DueQuestion:
    """A question due for review (its right answer is not part of it)."""

    card: str
    lesson: str  # the lesson's id
    lesson_title: str
    number: int  # the question's position in its lesson's quiz, 1-based
    question: str
    choices: list[str]
    due: str  # ISO 8601, UTC
    new: bool  # never reviewed before


@dataclass(frozen=True)
class ReviewQueue:
    """`dlpath review --due --json`: what is due now, oldest first."""

    now: str
    due: list[DueQuestion]  # at most `limit` of them
    due_total: int  # every question due now
    next_due: str | None  # when the next question not due yet comes due; None when there is none
    cards: int  # questions under review: those of every lesson read or passed


@dataclass(frozen=True)
class ReviewAnswer:
    """One answer given in a review, and when that question comes back."""

    card: str
    lesson: str
    number: int
    question: str
    answer: int  # the 1-based choice given
    answer_text: str
    correct: bool
    why: str | None  # why the answer is wrong; None when it is right
    next_due: str  # ISO 8601, UTC
    interval_days: float  # from now to next_due


@dataclass(frozen=True)
class ReviewResult:
    """`dlpath review --answers ... --json`."""

    total: int
    right: int
    answers: list[ReviewAnswer]
    due_left: int  # questions still due after these answers
    next_due: str | None
    message: str


# ---------------------------------------------------------------- time


def iso(moment: datetime) -> str:
    """The store's time format: ISO 8601 in UTC with microseconds (ordered as text)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------- cards


def card_id(lesson_id: str, question_text: str) -> str:
    """The card of a question: the lesson and a checksum of the question's text."""
    return f"{lesson_id}/{zlib.crc32(question_text.encode('utf-8')):08x}"


def _reviewable(curriculum: Any, completions: Mapping[str, Any]) -> Iterator[tuple[Any, int, Any, str]]:
    """(lesson, number, question, completed at) for each question of a lesson read or passed."""
    completed: dict[str, str] = {}
    for stored, completion in completions.items():
        lesson_id = curriculum.canonical_id(stored)
        if lesson_id is None or completion.how == CompletionKind.SKIPPED:
            continue
        if lesson_id not in completed or completion.at < completed[lesson_id]:
            completed[lesson_id] = completion.at
    for lesson in curriculum.lessons:
        at = completed.get(lesson.id)
        if at is None:
            continue
        for number, question in enumerate(lesson.questions, 1):
            yield lesson, number, question, at


def _new_due(completed_at: str) -> str:
    return iso(_parse(completed_at) + NEW_CARD_DELAY)


def due_count(curriculum: Any, completions: Mapping[str, Any], due_times: Mapping[str, str], now: datetime) -> int:
    """How many questions are due at `now` (`due_times`: {card: due} from the store). Cheap; no fsrs."""
    cutoff = iso(now)
    count = 0
    for lesson, _, question, at in _reviewable(curriculum, completions):
        due = due_times.get(card_id(lesson.id, question.question))
        if due is None:
            due = _new_due(at)
        if due <= cutoff:
            count += 1
    return count


def review_queue(
    curriculum: Any, completions: Mapping[str, Any], due_times: Mapping[str, str], now: datetime, limit: int = 20,
) -> ReviewQueue:
    """The questions due at `now`, longest overdue first (then in curriculum order)."""
    cutoff = iso(now)
    due: list[tuple[str, int, DueQuestion]] = []
    later: list[str] = []
    total = 0
    for order, (lesson, number, question, at) in enumerate(_reviewable(curriculum, completions)):
        total += 1
        card = card_id(lesson.id, question.question)
        when = due_times.get(card)
        new = when is None
        if when is None:
            when = _new_due(at)
        if when > cutoff:
            later.append(when)
            continue
        due.append((when, order, DueQuestion(
            card=card, lesson=lesson.id, lesson_title=lesson.title, number=number, question=question.question,
            choices=[c.text for c in question.choices], due=when, new=new,
        )))
    due.sort(key=lambda item: (item[0], item[1]))
    return ReviewQueue(
        now=cutoff, due=[d for _, _, d in due[:limit]], due_total=len(due),
        next_due=min(later) if later else None, cards=total,
    )


def _question(curriculum: Any, item: DueQuestion) -> Any:
    lesson = curriculum.lesson(item.lesson)
    return lesson.questions[item.number - 1]


# ---------------------------------------------------------------- answering


def parse_answers(text: str, queue: ReviewQueue) -> list[int]:
    """The 1-based choices in `text` ("2,1,3"), one per question due, in queue order."""
    hint = "`dlpath review --due` lists the questions due, in order; give one choice number for each."
    from dlpath.learner.quiz import choice_numbers

    numbers = choice_numbers(text, BadReviewAnswers, hint)
    if not numbers:
        raise BadReviewAnswers("--answers gave no answer.", hint=hint)
    if len(numbers) > len(queue.due):
        due = len(queue.due)
        raise BadReviewAnswers(
            f"{due} question{'' if due == 1 else 's'} {'is' if due == 1 else 'are'} due now, "
            f"but --answers gave {len(numbers)} answers.",
            hint=hint,
        )
    for i, (n, item) in enumerate(zip(numbers, queue.due), 1):
        if not 1 <= n <= len(item.choices):
            raise BadReviewAnswers(
                f"question {i} due ({item.lesson}, question {item.number}) has choices 1 to "
                f"{len(item.choices)}; --answers gave {n}.",
                hint=hint,
            )
    return numbers


def new_scheduler() -> Any:
    """The FSRS scheduler dlpath uses (see the module's docstring)."""
    from fsrs import Scheduler  # only answering needs it

    return Scheduler(desired_retention=DESIRED_RETENTION, learning_steps=(), relearning_steps=(),
                     enable_fuzzing=False)


def answer(curriculum: Any, store: Any, item: DueQuestion, choice: int, now: datetime,
           scheduler: Any = None) -> ReviewAnswer:
    """Grade `choice` for a due question, reschedule its card with FSRS and store both at once."""
    from fsrs import Card, Rating

    question = _question(curriculum, item)
    if not 1 <= choice <= len(question.choices):
        raise BadReviewAnswers(f"this question has choices 1 to {len(question.choices)}; got {choice}.")
    picked = question.choices[choice - 1]
    correct = bool(picked.correct)
    scheduler = scheduler or new_scheduler()
    stored = store.review_cards().get(item.card)
    if stored is not None:
        card = Card.from_dict(stored.state)
    else:
        card = Card(card_id=zlib.crc32(item.card.encode("utf-8")), due=_parse(item.due))
    rating = Rating.Good if correct else Rating.Again
    card, _log = scheduler.review_card(card, rating, review_datetime=now.astimezone(timezone.utc))
    next_due = iso(card.due)
    store.save_review(item.card, item.lesson, card.to_dict(), next_due, correct=correct, rating=int(rating),
                      at=iso(now))
    return ReviewAnswer(
        card=item.card, lesson=item.lesson, number=item.number, question=item.question, answer=choice,
        answer_text=picked.text, correct=correct,
        why=None if correct else (picked.why or "That is not the right choice."),
        next_due=next_due, interval_days=round((card.due - now).total_seconds() / 86400, 1),
    )


def _when(due: str | None, now: datetime) -> str:
    if due is None:
        return "none scheduled"
    days = (_parse(due).date() - now.astimezone(timezone.utc).date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days ({due[:10]})"


def summarize(curriculum: Any, store: Any, answers: Sequence[ReviewAnswer], now: datetime) -> ReviewResult:
    """The closing summary: how many right, what is still due, when the next review is."""
    queue = review_queue(curriculum, store.completions(), store.review_due_times(), now, limit=0)
    right = sum(a.correct for a in answers)
    total = len(answers)
    if queue.due_total:
        after = f"{queue.due_total} more question{'s are' if queue.due_total != 1 else ' is'} due: `dlpath review`."
    elif queue.next_due:
        after = f"Next review: {_when(queue.next_due, now)}."
    else:
        after = "Nothing else is scheduled."
    lead = f"{right} of {total} right." if total else "Nothing answered."
    if total and right < total:
        missed = list(dict.fromkeys(a.lesson for a in answers if not a.correct))
        shows = " or ".join(f"`dlpath show {lesson}`" for lesson in missed)
        lead += f" The ones you missed come back soon; {shows} has the answers."
    return ReviewResult(total=total, right=right, answers=list(answers), due_left=queue.due_total,
                        next_due=queue.next_due, message=f"{lead} {after}")


def take_review(curriculum: Any, store: Any, answers_text: str, now: datetime, limit: int = 20) -> ReviewResult:
    """Answer the first questions due, in order, with `answers_text` ("2,1,3") (the `--answers` mode)."""
    queue = review_queue(curriculum, store.completions(), store.review_due_times(), now, limit=limit)
    if not queue.due:
        raise NothingDue(f"--answers were given, but no question is due. {nothing_due_message(queue, now)}")
    numbers = parse_answers(answers_text, queue)
    scheduler = new_scheduler()
    results = [answer(curriculum, store, item, n, now, scheduler) for item, n in zip(queue.due, numbers)]
    return summarize(curriculum, store, results, now)


def nothing_due_message(queue: ReviewQueue, now: datetime) -> str:
    """What `dlpath review` says when nothing is due."""
    if not queue.cards:
        return ("Nothing to review yet: the questions of each lesson you finish come back for review "
                "a day later. `dlpath next` shows what to learn now.")
    return (f"Nothing to review now ({queue.cards} question{'s' if queue.cards != 1 else ''} under review). "
            f"Next review: {_when(queue.next_due, now)}.")
