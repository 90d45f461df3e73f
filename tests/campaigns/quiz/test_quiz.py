"""The daily quiz: the draw, answering once a day, never leaking the answers, the admin, the demo."""

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client

from campaigns.quiz.models import QuizAttempt, QuizConfig, QuizQuestion, QuizTopic
from campaigns.quiz.selectors import quiz_draw
from campaigns.quiz.services import quiz_answer
from core.clock import local_today, now
from core.exceptions import ApplicationError
from points.models import Transaction
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from tests.conftest import client_for
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def bank(n=6, *, per_day=3, points=5):
    topic = QuizTopic.objects.create(name="口腔知识")
    questions = [
        QuizQuestion.objects.create(
            topic=topic,
            text=f"问题 {i}",
            options=["甲", "乙", "丙", "丁"],
            correct_index=i % 4,
            explanation=f"解释 {i}",
        )
        for i in range(n)
    ]
    QuizConfig.objects.create(questions_per_day=per_day, points_per_correct=points)
    return questions


def right_answers(user, day=None):
    return {q.id: q.correct_index for q in quiz_draw(user=user, day=day or local_today())}


@pytest.fixture
def demo_quiz():
    from campaigns.demo import seed

    seed()
    seed()  # idempotent
    assert QuizQuestion.objects.count() == 6 and QuizConfig.objects.count() == 1
    return QuizConfig.objects.get()


def test_the_draw_is_the_same_all_day_and_differs_between_users_and_days():
    bank(12, per_day=4)
    alice, bob = UserFactory(), UserFactory()
    today = local_today()
    first = [q.id for q in quiz_draw(user=alice, day=today)]
    assert len(first) == 4 and len(set(first)) == 4
    assert [q.id for q in quiz_draw(user=alice, day=today)] == first
    others = {tuple(q.id for q in quiz_draw(user=u, day=today)) for u in [bob, *UserFactory.create_batch(5)]}
    days = {tuple(q.id for q in quiz_draw(user=alice, day=today + dt.timedelta(days=d))) for d in range(1, 6)}
    assert others - {tuple(first)} and days - {tuple(first)}


def test_a_new_or_switched_off_question_moves_at_most_one_place_of_the_draw():
    questions = bank(10, per_day=3)
    user = UserFactory()
    today = local_today()
    before = [q.id for q in quiz_draw(user=user, day=today)]
    QuizQuestion.objects.filter(pk=before[0]).update(is_active=False)
    after = [q.id for q in quiz_draw(user=user, day=today)]
    assert after[:2] == before[1:] and after[2] not in before
    assert {q.pk for q in questions} >= set(after)


def test_the_draw_takes_only_the_configured_topics():
    bank(4, per_day=3)
    other = QuizTopic.objects.create(name="营养")
    extra = QuizQuestion.objects.create(topic=other, text="别的", options=["a", "b"], correct_index=0)
    QuizConfig.objects.get().topics.set([other])
    assert [q.id for q in quiz_draw(user=UserFactory(), day=local_today())] == [extra.pk]


def test_answering_pays_per_right_answer_once_a_day():
    bank(6, per_day=3, points=5)
    user = UserFactory()
    answers = right_answers(user)
    wrong_id = next(iter(answers))
    answers[wrong_id] = (answers[wrong_id] + 1) % 4

    attempt = quiz_answer(user=user, answers=answers)

    assert (attempt.correct, attempt.points) == (2, 10)
    assert wallet_balance(user=user) == 10
    txn = Transaction.objects.get(key=f"quiz:{user.pk}:{local_today().isoformat()}")
    assert txn.metadata["play"] == "quiz" and txn.entries.get(account__user=user).amount == 10
    with pytest.raises(ApplicationError) as again:
        quiz_answer(user=user, answers=right_answers(user))
    assert again.value.code == "already_answered"
    assert wallet_balance(user=user) == 10
    assert ledger_audit().ok


def test_all_wrong_pays_nothing_and_still_uses_the_day():
    bank(4, per_day=2)
    user = UserFactory()
    attempt = quiz_answer(user=user, answers={k: (v + 1) % 4 for k, v in right_answers(user).items()})
    assert (attempt.correct, attempt.points, attempt.transaction_id) == (0, 0, None)
    assert not Transaction.objects.exists()


def test_the_next_local_day_is_a_new_quiz():
    bank(6, per_day=3, points=5)
    user = UserFactory()
    with time_machine.travel(dt.datetime(2026, 3, 1, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        quiz_answer(user=user, answers=right_answers(user))
    with time_machine.travel(dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        quiz_answer(user=user, answers=right_answers(user))
    assert list(QuizAttempt.objects.filter(user=user).values_list("local_date", flat=True).order_by("local_date")) == [
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 2),
    ]
    assert wallet_balance(user=user) == 30


@pytest.mark.parametrize(
    "tamper",
    [
        "foreign_question",
        "missing_question",
        "index_out_of_range",
    ],
)
def test_answers_outside_the_draw_are_invalid_and_change_nothing(tamper):
    questions = bank(8, per_day=3)
    user = UserFactory()
    answers = right_answers(user)
    if tamper == "foreign_question":
        answers[next(q.pk for q in questions if q.pk not in answers)] = 0
    elif tamper == "missing_question":
        answers.pop(next(iter(answers)))
    else:
        answers[next(iter(answers))] = 4
    with pytest.raises(ApplicationError) as refused:
        quiz_answer(user=user, answers=answers)
    assert (refused.value.code, refused.value.status) == ("invalid", 400)
    assert not QuizAttempt.objects.exists() and not Transaction.objects.exists()


def test_a_switched_off_quiz_or_an_empty_bank_is_closed():
    user = UserFactory()
    with pytest.raises(ApplicationError) as empty:
        quiz_answer(user=user, answers={1: 0})
    assert empty.value.code == "quiz_closed"
    bank(3)
    QuizConfig.objects.update(is_active=False)
    with pytest.raises(ApplicationError) as off:
        quiz_answer(user=user, answers=right_answers(user))
    assert off.value.code == "quiz_closed"


# -- over HTTP ----------------------------------------------------------------------------------


def test_get_never_sends_the_answers(demo_quiz):
    user = UserFactory()
    client = client_for(user)
    response = client.get("/api/quiz/today")
    assert response.status_code == 200
    body = response.json()
    assert body["answered"] is False and body["result"] is None
    assert len(body["questions"]) == 3
    for question in body["questions"]:
        assert set(question) == {"id", "text", "options"}
    raw = json.dumps(body, ensure_ascii=False)
    for question in QuizQuestion.objects.all():
        assert question.explanation not in raw
    assert set(body) == {"date", "questions", "answered", "result"}
    for key in ('"answer"', '"correct', '"is_correct"', '"explanation', '"solution', '"chosen"'):
        assert key not in raw
    assert client.get("/api/quiz/today").json() == body  # a reload shows the same questions


def test_the_demo_quiz_end_to_end_over_http(demo_quiz):
    user = UserFactory(date_joined=now() - dt.timedelta(days=3))
    client = client_for(user)
    questions = client.get("/api/quiz/today").json()["questions"]
    assert all("？" in q["text"] or "?" in q["text"] for q in questions)
    solutions = {q.pk: q.correct_index for q in QuizQuestion.objects.filter(pk__in=[q["id"] for q in questions])}
    wrong = questions[0]["id"]
    answers = {str(qid): (index + 1) % 4 if qid == wrong else index for qid, index in solutions.items()}

    response = client.post("/api/quiz/today", {"answers": answers}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["correct"], body["awarded"], body["points"]) == (2, 10, 10)
    by_id = {row["id"]: row for row in body["explanations"]}
    assert [row["id"] for row in body["explanations"]] == [q["id"] for q in questions]
    assert by_id[wrong]["is_correct"] is False and by_id[wrong]["answer"] == solutions[wrong]
    assert all(row["explanation"] for row in body["explanations"])

    again = client.post("/api/quiz/today", {"answers": answers}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_answered"
    after = client.get("/api/quiz/today").json()
    assert after["answered"] is True and after["result"]["correct"] == 2
    assert [q["id"] for q in after["questions"]] == [q["id"] for q in questions]
    assert ledger_audit().ok


@pytest.mark.parametrize(
    "answers",
    [
        {"999999": 0},
        {"x": 0},
        {"1": "a"},
        {"1": True},
        {"1": -1},
        {},
        [0, 1],
        None,
    ],
)
def test_bad_bodies_are_invalid_over_http(demo_quiz, answers):
    client = client_for(UserFactory())
    response = client.post("/api/quiz/today", {"answers": answers}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not QuizAttempt.objects.exists()


def test_an_index_past_the_options_is_invalid_over_http(demo_quiz):
    user = UserFactory()
    client = client_for(user)
    answers = {str(qid): index for qid, index in right_answers(user).items()}
    answers[next(iter(answers))] = 5
    response = client.post("/api/quiz/today", {"answers": answers}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert "answers" in response.json()["fields"]


def test_the_quiz_needs_a_login(api_client):
    assert api_client.get("/api/quiz/today").status_code == 401


# -- admin --------------------------------------------------------------------------------------


def test_operators_write_options_one_per_line_and_the_right_one_from_1():
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    topic = QuizTopic.objects.create(name="口腔知识")
    response = client.post(
        "/admin/campaigns/quizquestion/add/",
        {
            "topic": topic.pk,
            "text": "牙线每天用几次？",
            "options_text": "不用\n1 次\n\n10 次",
            "correct_number": 2,
            "explanation": "每天至少一次。",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    question = QuizQuestion.objects.get()
    assert (question.options, question.correct_index) == (["不用", "1 次", "10 次"], 1)
    bad = client.post(
        "/admin/campaigns/quizquestion/add/",
        {"text": "只有一个选项", "options_text": "唯一", "correct_number": 3, "is_active": "on"},
    )
    assert bad.status_code == 200 and QuizQuestion.objects.count() == 1
    assert client.get(f"/admin/campaigns/quizquestion/{question.pk}/change/").status_code == 200
    assert client.get("/admin/campaigns/quizconfig/add/").status_code == 200
    assert client.get("/admin/campaigns/quizattempt/").status_code == 200
