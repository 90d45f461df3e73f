"""Faults: a settlement SIGKILLed mid-batch, tasks delivered twice, beat twice, Redis gone,
the database connection dropped mid-request, WeChat not answering. Each ends with the ledger clean.

Existing fault tests this file does not repeat (see docs/reliability.md): an in-process crash
after batch k (tests/checkin/test_settlement.py), a real Celery worker settling a round
(tests/checkin/test_worker.py), WeChat transport faults at the client level
(tests/core/test_wechat_live.py), login while WeChat is busy (tests/core/test_auth_api.py).
"""

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.db import close_old_connections, connection
from django.test import Client
from rest_framework_simplejwt.tokens import RefreshToken

from checkin.models import CheckIn, Entry, Round, Settlement
from checkin.services import challenge_join, checkin_create
from checkin.services.leaderboards import leaderboard_read, leaderboards_rebuild
from checkin.tasks import settle_round_task, settle_rounds_task
from core.clock import local_today
from core.models import User
from mall.models import Order
from points.models import Transaction
from tests.checkin.factories import ChallengeFactory, at, balance, fund, payout_legs
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory, give_points
from tests.reliability.helpers import assert_ledger_clean, state_fingerprint

HERE = Path(__file__).resolve().parent


def _database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _past_round(stakes: list[int], *, checkers=None, days_ago: int = 2):
    """A daily round whose window closed `days_ago` days ago in real time; `checkers` checked in."""
    challenge = ChallengeFactory(bonus=100)
    users = [UserFactory() for _ in stakes]
    for user in users:
        fund(user, 1000)
    day = local_today() - dt.timedelta(days=days_ago)
    with time_machine.travel(at(day.year, day.month, day.day, 12) - dt.timedelta(days=1), tick=False):
        for user, stake in zip(users, stakes, strict=True):
            challenge_join(user=user, challenge=challenge, stake=stake)
    for offset, index in enumerate(range(len(stakes)) if checkers is None else checkers):
        with time_machine.travel(at(day.year, day.month, day.day, 6, 30) + dt.timedelta(seconds=offset), tick=False):
            checkin_create(user=users[index], challenge=challenge)
    return challenge, users, Round.objects.get(challenge=challenge)


def _payouts(entries) -> int:
    """Wallet legs of the payout transactions for these entries' users."""
    from points.models import Entry as LedgerEntry

    legs = LedgerEntry.objects.filter(
        transaction__kind=Transaction.Kind.PAYOUT, account__user__in=[e.user_id for e in entries]
    )
    return legs.count()


def _assert_paid_exactly_once(round_, users, stakes):
    pool = sum(stakes) + 100
    entries = list(Entry.objects.filter(round=round_))
    assert sum(e.payout for e in entries) == pool
    assert all(e.paid_at is not None for e in entries)
    assert _payouts(entries) == len(entries)
    assert sum(balance(u) for u in users) == 1000 * len(users) - sum(stakes) + pool
    assert Settlement.objects.get(round=round_).state == Settlement.State.DONE
    assert_ledger_clean()


# -- settlement SIGKILLed in the middle of a batch ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_settlement_sigkilled_mid_batch_then_run_again_pays_each_entry_once():
    stakes = [10, 20, 30, 40, 50, 60, 70]
    _challenge, users, round_ = _past_round(stakes)
    env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONUNBUFFERED": "1"}
    connection.close()

    # When a real settlement process, batches of 2, is killed after posting batch 2 (uncommitted)
    process = subprocess.Popen(
        [sys.executable, str(HERE / "settle_and_hang.py"), str(round_.pk), "2", "2"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        for line in process.stdout:
            lines.append(line.strip())
            if line.strip() == "hanging":
                break
        assert lines[-1:] == ["hanging"], lines
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()

    # Then batch 1 is kept, batch 2 vanished with its transaction, the settlement is half done
    settlement = Settlement.objects.get(round=round_)
    assert settlement.state == Settlement.State.PAYING
    assert settlement.batches == 1
    assert Entry.objects.filter(round=round_, paid_at__isnull=False).count() == 2
    assert payout_legs() == 2
    assert_ledger_clean()

    # And running it again (a fresh process, as the nightly job would) finishes: each entry paid once
    connection.close()
    rerun = subprocess.run(
        [sys.executable, "manage.py", "settle_rounds", "--batch-size", "2"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    settlement.refresh_from_db()
    assert settlement.batches == 4
    _assert_paid_exactly_once(round_, users, stakes)


# -- tasks delivered twice, beat started twice -----------------------------------------------------


def test_tasks_are_acknowledged_late_and_requeued_when_a_worker_dies():
    from core.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_settlement_task_delivered_twice_in_a_row_and_twice_at_once_pays_once():
    stakes = [10, 20, 30, 40, 50]
    _challenge, users, round_ = _past_round(stakes)
    barrier = threading.Barrier(2)
    errors = []

    def deliver():
        try:
            barrier.wait()
            settle_round_task.apply(args=[round_.pk], throw=True)
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    settle_round_task.apply(args=[round_.pk], throw=True)  # a redelivery after it finished

    assert errors == []
    assert Settlement.objects.filter(round=round_).count() == 1
    _assert_paid_exactly_once(round_, users, stakes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_beat_started_twice_runs_the_nightly_settlement_twice_at_once_and_pays_once():
    rounds = [_past_round([10 + i, 20 + i, 30 + i], checkers=[0, 1]) for i in range(3)]
    barrier = threading.Barrier(3)
    errors = []

    def beat_fires():
        try:
            barrier.wait()
            settle_rounds_task.apply(throw=True)
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat_fires) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Settlement.objects.count() == 3
    assert set(Settlement.objects.values_list("state", flat=True)) == {Settlement.State.DONE}
    for _challenge, _users, round_ in rounds:
        entries = list(Entry.objects.filter(round=round_))
        assert _payouts(entries) == 2
        assert sum(e.payout or 0 for e in entries) == sum(e.stake for e in entries) + 100
    assert_ledger_clean()


# -- Redis flushed or down during check-ins --------------------------------------------------------


@pytest.fixture
def morning(db):
    """Ten users enrolled in today's round, at 06:00 on the check-in day."""
    challenge = ChallengeFactory(bonus=100)
    users = [UserFactory() for _ in range(10)]
    with time_machine.travel(at(2026, 3, 1, 12), tick=False):
        for user in users:
            fund(user, 100)
            challenge_join(user=user, challenge=challenge, stake=10)
    return challenge, users


def _client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")


def _boards(challenge, user):
    return {board: leaderboard_read(challenge=challenge, board=board, user=user) for board in ("early", "streak")}


@pytest.mark.redis
@pytest.mark.django_db
def test_redis_flushed_during_check_ins_the_boards_rebuild_and_match(morning):
    from django_redis import get_redis_connection

    challenge, users = morning
    with time_machine.travel(at(2026, 3, 2, 6, 0), tick=False) as clock:
        clients = [_client(u) for u in users]
        for index, client in enumerate(clients):
            if index == 5:
                get_redis_connection("default").flushdb()  # Redis restarted empty mid-rush
            clock.shift(dt.timedelta(seconds=7))
            assert client.post(f"/api/challenges/{challenge.pk}/checkin").status_code in (200, 201)
        served = _boards(challenge, users[0])
        leaderboards_rebuild(challenge_ids=[challenge.pk])
        rebuilt = _boards(challenge, users[0])
        with mock.patch("checkin.services.leaderboards._redis", return_value=None):
            from_database = _boards(challenge, users[0])

    assert CheckIn.objects.filter(entry__round__challenge=challenge).count() == 10
    for board in ("early", "streak"):
        assert served[board] == rebuilt[board] == from_database[board], board
    assert [user_id for _rank, user_id, _score in from_database["early"].rows] == [u.pk for u in users]


def _redis_down(settings) -> dict:
    """Point the cache at a port where nothing listens; returns the real CACHES to restore."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]  # nothing listens there once the socket is closed
    real_caches = settings.CACHES
    settings.CACHES = {
        "default": {
            **real_caches["default"],
            "LOCATION": f"redis://127.0.0.1:{dead_port}/0",
            "OPTIONS": {**real_caches["default"]["OPTIONS"], "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    return real_caches


@pytest.mark.redis
@pytest.mark.django_db
def test_redis_down_during_check_ins_they_still_commit_and_the_boards_rebuild(morning, settings):
    challenge, users = morning
    real_caches = _redis_down(settings)
    with time_machine.travel(at(2026, 3, 2, 6, 0), tick=False) as clock:
        clients = [_client(u) for u in users]
        for client in clients:
            clock.shift(dt.timedelta(seconds=7))
            response = client.post(f"/api/challenges/{challenge.pk}/checkin")
            assert response.status_code in (200, 201), response.content
        board = client.get(f"/api/challenges/{challenge.pk}/leaderboard?board=early")
        assert board.status_code == 200
        assert [row["user"]["id"] for row in board.json()["entries"]] == [u.pk for u in users]

        # Redis is back: the boards rebuild from PostgreSQL and serve the same order
        settings.CACHES = real_caches
        leaderboards_rebuild(challenge_ids=[challenge.pk])
        again = _client(users[0]).get(f"/api/challenges/{challenge.pk}/leaderboard?board=early")

    assert CheckIn.objects.filter(entry__round__challenge=challenge).count() == 10
    assert [row["user"]["id"] for row in again.json()["entries"]] == [u.pk for u in users]


# -- the database connection dropped mid-request; the client retries with the same key -------------


def _drop_connection():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("when", ["before_commit", "after_commit"])
def test_connection_dropped_mid_redemption_and_a_retry_with_the_same_key_makes_one_order(when):
    user = UserFactory()
    give_points(user, 500)
    product = ProductFactory(price=80, stock=5)
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}", raise_request_exception=False
    )
    headers = {"HTTP_IDEMPOTENCY_KEY": "tap-2026-03-02-0001"}
    body = {"product": product.pk, "quantity": 1}
    dropped = {"done": False}

    def drop_after_the_order_insert(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not dropped["done"] and sql.startswith('INSERT INTO "points_order"'):
            dropped["done"] = True
            _drop_connection()
        return result

    def drop_before_answering(*args, **kwargs):
        # The order has committed and the answer is being written (from the order in hand, with no
        # read): the connection dies and the request fails before the client gets its answer.
        dropped["done"] = True
        _drop_connection()
        raise RuntimeError("the answer never reached the client")

    # When the connection dies (inside the transaction, or after it committed, before the answer)
    if when == "before_commit":
        with connection.execute_wrapper(drop_after_the_order_insert):
            first = client.post("/api/mall/redemptions", body, content_type="application/json", **headers)
    else:
        with mock.patch("mall.api.views.s.OrderOutput", side_effect=drop_before_answering):
            first = client.post("/api/mall/redemptions", body, content_type="application/json", **headers)
    assert dropped["done"]
    assert first.status_code == 500
    assert first.json()["code"] == "server_error"
    close_old_connections()  # what the next request does in a real server: drop the broken connection
    connection.close()

    # Then the client's retry with the same key gets one order, and another retry the same one
    retry = client.post("/api/mall/redemptions", body, content_type="application/json", **headers)
    again = client.post("/api/mall/redemptions", body, content_type="application/json", **headers)

    assert retry.status_code == (201 if when == "before_commit" else 200)
    assert again.status_code == 200
    assert retry.json()["id"] == again.json()["id"]
    assert Order.objects.filter(user=user).count() == 1
    assert balance(user) == 500 - 80
    product.refresh_from_db()
    assert product.stock == 4
    assert_ledger_clean()


# -- WeChat timing out or answering errors ----------------------------------------------------------


@pytest.fixture
def silent_wechat(settings):
    """A live WeChat client pointed at a server that accepts connections and never answers."""
    from core.wechat import get_wechat_client

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    settings.WECHAT_CLIENT = "core.wechat.live.LiveWeChatClient"
    settings.WECHAT_APPID, settings.WECHAT_SECRET = "wx-test", "secret"
    settings.WECHAT_API_BASE = f"http://127.0.0.1:{server.getsockname()[1]}"
    settings.WECHAT_TIMEOUT_SECONDS = 0.3
    if hasattr(get_wechat_client, "cache_clear"):
        get_wechat_client.cache_clear()
    yield
    server.close()
    if hasattr(get_wechat_client, "cache_clear"):
        get_wechat_client.cache_clear()


@pytest.mark.django_db
def test_wechat_not_answering_login_is_502_and_nothing_is_half_created(api_client, silent_wechat):
    before = state_fingerprint()
    started = time.monotonic()

    response = api_client.post("/api/auth/wechat/login", {"code": "a-real-looking-code"}, format="json")

    assert response.status_code == 502
    assert response.json()["code"] == "wechat_unavailable"
    assert time.monotonic() - started < 10  # bounded by the timeout, not hanging the worker
    assert state_fingerprint() == before
    assert not User.objects.exists()


@pytest.mark.django_db
def test_wechat_not_answering_phone_verification_is_502_and_changes_nothing(user, silent_wechat):
    client = _client(user)
    before = state_fingerprint()

    response = client.post("/api/me/phone", {"code": "phone-code"}, content_type="application/json")

    assert response.status_code == 502
    assert response.json()["code"] == "wechat_unavailable"
    user.refresh_from_db()
    assert not user.phone_verified and user.phone == ""
    assert state_fingerprint() == before


@pytest.mark.redis
@pytest.mark.django_db
def test_redis_down_and_wechat_silent_phone_verification_is_still_a_clean_502(user, silent_wechat, settings):
    _redis_down(settings)  # the access-token lock lives in Redis
    client = _client(user)
    before = state_fingerprint()

    response = client.post("/api/me/phone", {"code": "phone-code"}, content_type="application/json")

    assert response.status_code == 502
    assert response.json()["code"] == "wechat_unavailable"
    assert state_fingerprint() == before
