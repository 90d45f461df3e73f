"""The daily quiz under real concurrency: threads against PostgreSQL."""

import pytest

from campaigns.quiz.models import QuizAttempt, QuizConfig, QuizQuestion
from campaigns.quiz.selectors import quiz_draw
from campaigns.quiz.services import quiz_answer
from core.clock import local_today
from points.models import Transaction
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from tests.factories import UserFactory
from tests.reliability.helpers import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_submissions_at_once_give_one_attempt_paid_once():
    for i in range(5):
        QuizQuestion.objects.create(text=f"问题 {i}", options=["甲", "乙", "丙"], correct_index=i % 3)
    QuizConfig.objects.create(questions_per_day=3, points_per_correct=7)
    user = UserFactory()
    answers = {q.id: q.correct_index for q in quiz_draw(user=user, day=local_today())}

    results = run_together(
        *[lambda: quiz_answer(user=user, answers=answers) for _ in range(10)], allow=("already_answered",)
    )

    assert sum(isinstance(r, QuizAttempt) for r in results) == 1
    assert sorted(r for r in results if not isinstance(r, QuizAttempt)) == ["already_answered"] * 9
    assert QuizAttempt.objects.filter(user=user).count() == 1
    assert Transaction.objects.filter(key__startswith=f"quiz:{user.pk}:").count() == 1
    assert wallet_balance(user=user) == 21
    assert ledger_audit().ok


def test_many_users_answer_at_once():
    for i in range(6):
        QuizQuestion.objects.create(text=f"问题 {i}", options=["甲", "乙"], correct_index=i % 2)
    QuizConfig.objects.create(questions_per_day=2, points_per_correct=3)
    users = UserFactory.create_batch(8)
    calls = [
        lambda u=u: quiz_answer(user=u, answers={q.id: q.correct_index for q in quiz_draw(user=u, day=local_today())})
        for u in users
    ]
    results = run_together(*calls)
    assert all(isinstance(r, QuizAttempt) for r in results)
    assert all(wallet_balance(user=u) == 6 for u in users)
    assert ledger_audit().ok
