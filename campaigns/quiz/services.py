"""Answering the daily quiz: once per user and local day, paying points per right answer.

Lock order (docs/concurrency.md): the member, then the accounts (one ledger_post). The unique
(user, local_date) constraint makes two submissions at once give one attempt and one payment.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from campaigns.quiz.models import QuizAttempt
from campaigns.quiz.selectors import quiz_attempt_of, quiz_config, quiz_draw
from core.clock import local_today
from core.exceptions import ApplicationError
from core.locks import atomic_with_retry, lock_members
from events.services import event_record
from points.models import Transaction
from points.services.ledger import account_for_user, account_issuance, ledger_post

# The ledger kind of a quiz reward (a kind of its own, `quiz_reward`, needs a points migration).
QUIZ_TRANSACTION_KIND = Transaction.Kind.QUIZ_REWARD


def already_answered() -> ApplicationError:
    return ApplicationError("already_answered", _("You have already answered today's quiz."), 409)


def quiz_closed() -> ApplicationError:
    return ApplicationError("quiz_closed", _("There is no quiz today."), 409)


def _invalid(message: str) -> ApplicationError:
    return ApplicationError("invalid", message, 400, fields={"answers": [message]})


def quiz_key(*, user_id: int, day) -> str:
    return f"quiz:{user_id}:{day.isoformat()}"


@atomic_with_retry
def quiz_answer(*, user, answers: dict[int, int]) -> QuizAttempt:
    """Submit today's answers ({question id: option index}, one for every question drawn)."""
    config = quiz_config()
    if not config.is_active:
        raise quiz_closed()
    lock_members(user)
    today = local_today()
    if quiz_attempt_of(user=user, day=today) is not None:
        raise already_answered()
    drawn = quiz_draw(user=user, day=today, config=config)
    if not drawn:
        raise quiz_closed()
    by_id = {question.id: question for question in drawn}
    if set(answers) - set(by_id):
        raise _invalid(_("Some answers are for questions that are not in today's quiz."))
    if set(by_id) - set(answers):
        raise _invalid(_("Answer every question of today's quiz."))
    if any(not 0 <= index < len(by_id[question_id].options) for question_id, index in answers.items()):
        raise _invalid(_("An answer names an option the question does not have."))

    correct = sum(1 for question in drawn if answers[question.id] == question.correct_index)
    points = correct * config.points_per_correct
    try:
        with transaction.atomic():
            attempt = QuizAttempt.objects.create(
                user=user,
                local_date=today,
                questions=[question.id for question in drawn],
                answers={str(question.id): answers[question.id] for question in drawn},
                solutions={str(question.id): question.correct_index for question in drawn},
                correct=correct,
                points=points,
            )
    except IntegrityError:
        raise already_answered() from None
    if points:
        attempt.transaction = ledger_post(
            kind=QUIZ_TRANSACTION_KIND,
            key=quiz_key(user_id=user.pk, day=today),
            legs=[(account_issuance(), -points), (account_for_user(user), points)],
            memo=_("Daily quiz: %(correct)d of %(total)d right") % {"correct": correct, "total": len(drawn)},
            metadata={"play": "quiz", "date": today.isoformat(), "correct": correct, "attempt": attempt.pk},
        )
        attempt.save(update_fields=["transaction"])
    event_record(user=user, kind="quizzed", amount=points, ref=f"quiz:{attempt.pk}")
    return attempt
