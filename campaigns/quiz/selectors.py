"""Reads of the daily quiz. The draw is a pure function of the bank, the user and the local day, so
a reload shows the same questions and reading never writes."""

import datetime as dt
import hashlib
from dataclasses import dataclass

from campaigns.quiz.models import QuizAttempt, QuizConfig, QuizQuestion


def quiz_config() -> QuizConfig:
    """The settings row (defaults until an operator saves one; reading never creates it)."""
    return QuizConfig.objects.order_by("pk").first() or QuizConfig()


def _rank(user_id: int, day: dt.date, question_id: int) -> bytes:
    return hashlib.sha256(f"quiz:{user_id}:{day.isoformat()}:{question_id}".encode()).digest()


@dataclass(frozen=True)
class DrawnQuestion:
    id: int
    text: str
    options: list
    correct_index: int
    explanation: str


def quiz_draw(*, user, day: dt.date, config: QuizConfig | None = None) -> list[DrawnQuestion]:
    """Today's K questions for `user`: each active question ranked by a hash of (user, day, question),
    the K lowest, in rank order. Stable as the bank changes: a new question enters a user's draw
    only if it ranks among their K; a switched-off one is replaced by the next in rank."""
    config = config or quiz_config()
    questions = QuizQuestion.objects.filter(is_active=True)
    if config.pk is not None:
        topic_ids = list(config.topics.values_list("pk", flat=True))
        if topic_ids:
            questions = questions.filter(topic_id__in=topic_ids)
    rows = list(questions.values_list("pk", "text", "options", "correct_index", "explanation"))
    rows.sort(key=lambda row: _rank(user.pk, day, row[0]))
    return [DrawnQuestion(*row) for row in rows[: config.questions_per_day]]


def quiz_attempt_of(*, user, day: dt.date) -> QuizAttempt | None:
    return QuizAttempt.objects.filter(user=user, local_date=day).first()


def quiz_explanations(*, attempt: QuizAttempt) -> list[dict]:
    """After an attempt, each question of it with the chosen and the right option and why."""
    explanations = dict(QuizQuestion.objects.filter(pk__in=attempt.questions).values_list("pk", "explanation"))
    rows = []
    for question_id in attempt.questions:
        chosen = attempt.answers.get(str(question_id))
        answer = attempt.solutions.get(str(question_id))
        rows.append(
            {
                "id": question_id,
                "chosen": chosen,
                "answer": answer,
                "is_correct": chosen is not None and chosen == answer,
                "explanation": explanations.get(question_id, ""),
            }
        )
    return rows
