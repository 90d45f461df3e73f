import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from core.exceptions import ApplicationError
from points.models import PointsTask, TaskCompletion, Transaction
from points.selectors import growth_total, points_tasks_for, wallet_balance
from points.services.tasks import task_complete_by_client, task_complete_by_server
from tests.factories import UserFactory
from tests.points.factories import PointsTaskFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
F = PointsTask.Frequency


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def error_code(call) -> tuple[str, int]:
    with pytest.raises(ApplicationError) as exc:
        call()
    return exc.value.code, exc.value.status


@pytest.mark.django_db
class TestFrequencies:
    def test_once_task_pays_once_ever(self, user):
        task = PointsTaskFactory(frequency=F.ONCE, points=30)

        completion = task_complete_by_client(user=user, code=task.code)

        assert completion.period == "once"
        assert wallet_balance(user=user) == 30
        with time_machine.travel(dt.datetime.now(tz=SHANGHAI) + dt.timedelta(days=400)):
            assert error_code(lambda: task_complete_by_client(user=user, code=task.code)) == ("task_already_done", 409)
        assert wallet_balance(user=user) == 30

    def test_daily_task_once_per_local_day(self, user):
        task = PointsTaskFactory(frequency=F.DAILY, points=5)
        with time_machine.travel(at(2026, 11, 23, 23, 58), tick=False):
            task_complete_by_client(user=user, code=task.code)
            assert error_code(lambda: task_complete_by_client(user=user, code=task.code)) == ("task_already_done", 409)
        # 16:30 UTC is 00:30 the next day in Shanghai: a new local day although the UTC date is the same.
        with time_machine.travel(at(2026, 11, 24, 0, 30), tick=False):
            completion = task_complete_by_client(user=user, code=task.code)
        assert completion.period == "2026-11-24"
        assert wallet_balance(user=user) == 10

    def test_weekly_task_once_per_iso_week(self, user):
        task = PointsTaskFactory(frequency=F.WEEKLY, points=7)
        with time_machine.travel(at(2026, 11, 23, 9), tick=False):  # a Monday
            assert task_complete_by_client(user=user, code=task.code).period == "2026-W48"
        with time_machine.travel(at(2026, 11, 29, 22), tick=False):  # Sunday, same week
            assert error_code(lambda: task_complete_by_client(user=user, code=task.code))[0] == "task_already_done"
        with time_machine.travel(at(2026, 11, 30, 8), tick=False):
            assert task_complete_by_client(user=user, code=task.code).period == "2026-W49"
        assert wallet_balance(user=user) == 14

    def test_unlimited_task_stops_at_daily_cap_and_resumes_next_day(self, user):
        task = PointsTaskFactory(frequency=F.UNLIMITED, daily_cap=3, points=2)
        with time_machine.travel(at(2026, 11, 23, 10), tick=False):
            periods = [task_complete_by_client(user=user, code=task.code).period for _ in range(3)]
            assert periods == ["2026-11-23#1", "2026-11-23#2", "2026-11-23#3"]
            assert error_code(lambda: task_complete_by_client(user=user, code=task.code)) == (
                "task_daily_cap_reached",
                409,
            )
            assert points_tasks_for(user=user)[0]["done"] is True
        with time_machine.travel(at(2026, 11, 24, 10), tick=False):
            task_complete_by_client(user=user, code=task.code)
            assert points_tasks_for(user=user)[0]["done"] is False
        assert wallet_balance(user=user) == 8

    def test_unlimited_task_without_cap(self, user):
        task = PointsTaskFactory(frequency=F.UNLIMITED, daily_cap=0, points=1)
        for _ in range(12):
            task_complete_by_client(user=user, code=task.code)
        assert wallet_balance(user=user) == 12


@pytest.mark.django_db
class TestAvailability:
    def test_unknown_inactive_and_out_of_period_tasks_are_not_found(self, user):
        PointsTaskFactory(code="off", is_active=False)
        PointsTaskFactory(code="later", starts_at=at(2030, 1, 1))
        PointsTaskFactory(code="over", ends_at=at(2020, 1, 1))
        for code in ("nope", "off", "later", "over"):
            assert error_code(lambda code=code: task_complete_by_client(user=user, code=code)) == (
                "task_not_found",
                404,
            )
        assert TaskCompletion.objects.count() == 0

    def test_period_edges(self, user):
        task = PointsTaskFactory(starts_at=at(2026, 11, 23, 10), ends_at=at(2026, 11, 24, 10))
        with time_machine.travel(at(2026, 11, 23, 9, 59), tick=False):
            assert error_code(lambda: task_complete_by_client(user=user, code=task.code))[0] == "task_not_found"
        with time_machine.travel(at(2026, 11, 23, 10), tick=False):
            task_complete_by_client(user=user, code=task.code)
        with time_machine.travel(at(2026, 11, 24, 10), tick=False):
            assert error_code(lambda: task_complete_by_client(user=user, code=task.code))[0] == "task_not_found"

    def test_client_cannot_complete_a_server_task(self, user):
        task = PointsTaskFactory(client_completable=False, frequency=F.ONCE)

        assert error_code(lambda: task_complete_by_client(user=user, code=task.code)) == ("task_server_only", 403)

        assert task_complete_by_server(user=user, code=task.code) is not None
        assert wallet_balance(user=user) == 10

    def test_server_completion_returns_none_when_not_available(self, user):
        PointsTaskFactory(code="inactive", is_active=False)
        PointsTaskFactory(code="welcome", frequency=F.ONCE, points=100, client_completable=False)

        assert task_complete_by_server(user=user, code="missing") is None
        assert task_complete_by_server(user=user, code="inactive") is None
        first = task_complete_by_server(user=user, code="welcome")
        assert first is not None and first.points == 100
        assert task_complete_by_server(user=user, code="welcome") is None
        assert wallet_balance(user=user) == 100
        assert Transaction.objects.filter(kind="task_reward").count() == 1

    def test_reward_is_a_ledger_transaction_with_growth(self, user):
        task = PointsTaskFactory(frequency=F.ONCE, points=50, growth=20)

        completion = task_complete_by_server(user=user, code=task.code)

        txn = completion.transaction
        assert txn.kind == "task_reward" and txn.key == f"task:{task.pk}:{user.pk}:once"
        assert sorted(txn.entries.values_list("amount", flat=True)) == [-50, 50]
        assert completion.growth == 20
        assert growth_total(user=user) == 20

    def test_zero_point_task_posts_nothing(self, user):
        task = PointsTaskFactory(points=0, growth=5)

        completion = task_complete_by_client(user=user, code=task.code)

        assert completion.transaction is None
        assert Transaction.objects.count() == 0

    def test_list_shows_done_and_available(self, user):
        PointsTaskFactory(code="server", client_completable=False, frequency=F.ONCE, sort_order=1)
        PointsTaskFactory(code="daily", frequency=F.DAILY, sort_order=2)
        PointsTaskFactory(code="hidden", is_active=False)
        task_complete_by_client(user=user, code="daily")

        rows = {row["code"]: row for row in points_tasks_for(user=user)}

        assert set(rows) == {"server", "daily"}
        assert (rows["server"]["done"], rows["server"]["available"]) == (False, False)
        assert (rows["daily"]["done"], rows["daily"]["available"]) == (True, False)
        other = {row["code"]: row for row in points_tasks_for(user=UserFactory())}
        assert other["daily"]["available"] is True

    def test_server_task_inside_a_failing_caller_transaction_rolls_back(self, user):
        from django.db import transaction

        PointsTaskFactory(code="welcome", frequency=F.ONCE, points=100, client_completable=False)
        with pytest.raises(RuntimeError), transaction.atomic():
            task_complete_by_server(user=user, code="welcome")
            raise RuntimeError
        assert wallet_balance(user=user) == 0
        assert TaskCompletion.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_completions_of_a_daily_task_give_one():
    user = UserFactory()
    task = PointsTaskFactory(frequency=F.DAILY, points=5)
    results, barrier = [], threading.Barrier(20)

    def tap():
        try:
            barrier.wait()
            task_complete_by_client(user=user, code=task.code)
            results.append("ok")
        except ApplicationError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count("ok") == 1
    assert results.count("task_already_done") == 19
    assert TaskCompletion.objects.filter(task=task, user=user).count() == 1
    assert wallet_balance(user=user) == 5


@pytest.mark.django_db
def test_registration_and_phone_verification_complete_their_server_tasks():
    from accounts.services import user_login_wechat, user_verify_phone

    PointsTaskFactory(code="welcome", frequency=F.ONCE, points=100, client_completable=False)
    PointsTaskFactory(code="phone_verified", frequency=F.ONCE, points=50, client_completable=False)

    user, created = user_login_wechat(code="points-newcomer")
    assert created and wallet_balance(user=user) == 100
    user_login_wechat(code="points-newcomer")  # a second login is not a registration
    user_verify_phone(user=user, code="13800000011")
    user_verify_phone(user=user, code="13800000012")  # verified again: no second reward

    assert wallet_balance(user=user) == 150
    assert set(TaskCompletion.objects.filter(user=user).values_list("task__code", flat=True)) == {
        "welcome",
        "phone_verified",
    }


@pytest.mark.django_db
def test_registration_without_a_welcome_task_still_works():
    from accounts.services import user_login_wechat

    user, created = user_login_wechat(code="points-no-welcome")

    assert created and wallet_balance(user=user) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("frequency", "daily_cap"), [(F.ONCE, 0), (F.DAILY, 0), (F.WEEKLY, 0), (F.UNLIMITED, 2), (F.UNLIMITED, 0)]
)
def test_the_lock_free_pending_read_answers_as_the_locked_check(user, frequency, daily_cap):
    """task_pending (plain SQL, before any lock) must agree with _refusal (under the locks): a task
    it calls done or capped is never offered, and one it calls pending is not refused."""
    from core.clock import local_today
    from points.services.tasks import _refusal, task_pending

    task = PointsTaskFactory(code="daily_read", frequency=frequency, daily_cap=daily_cap, points=1)
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        answers = []
        for _ in range(4):
            pending = task_pending(user=user, code=task.code)
            refused = _refusal(task, user, local_today())[0] is not None
            answers.append(pending is not None)
            assert (pending is None) == refused
            task_complete_by_server(user=user, code=task.code)
        task.is_active = False
        task.save(update_fields=["is_active"])
        assert task_pending(user=user, code=task.code) is None
    expected = {F.ONCE: 1, F.DAILY: 1, F.WEEKLY: 1}.get(frequency, daily_cap or 4)
    assert answers == [True] * expected + [False] * (4 - expected)
