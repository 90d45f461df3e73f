"""A real Celery worker process, on Redis, runs the settlement task against the test database."""

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from checkin.models import Round, Settlement
from checkin.services import challenge_join, checkin_create
from checkin.tasks import settle_round_task
from core.celery import app
from core.clock import local_today
from tests.checkin.factories import ChallengeFactory, at, balance, fund, payout_legs
from tests.factories import UserFactory


def _database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_settles_a_round():
    # Given a round whose window closed two days ago (in real time: the worker does not travel)
    challenge = ChallengeFactory(bonus=100)
    users = [UserFactory() for _ in range(2)]
    for user in users:
        fund(user, 100)
    day = local_today() - dt.timedelta(days=2)
    with time_machine.travel(at(day.year, day.month, day.day, 12) - dt.timedelta(days=1), tick=False):
        for user, stake in zip(users, [10, 30], strict=True):
            challenge_join(user=user, challenge=challenge, stake=stake)
    with time_machine.travel(at(day.year, day.month, day.day, 6, 30), tick=False):
        checkin_create(user=users[0], challenge=challenge)
    round_id = Round.objects.get().pk
    connection.close()  # the worker gets the database to itself between our polls

    env = {
        **os.environ,
        "CELERY_EAGER": "0",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.REDIS_URL,
        "DATABASE_URL": _database_url(),
        "DJANGO_DEBUG": "1",
        "WECHAT_MODE": "fake",
        "PYTHONUNBUFFERED": "1",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "core",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # When the task is sent through the broker (not run eagerly here)
        # (The app reads Django settings under the CELERY_ namespace: the namespaced key is the one that counts.)
        app.conf.CELERY_TASK_ALWAYS_EAGER = False
        try:
            assert not app.conf.task_always_eager
            settle_round_task.apply_async(args=[round_id])
        finally:
            app.conf.CELERY_TASK_ALWAYS_EAGER = True

        # Then the worker settles the round
        deadline = time.monotonic() + 60
        settlement = None
        while time.monotonic() < deadline:
            settlement = Settlement.objects.filter(round_id=round_id, state=Settlement.State.DONE).first()
            if settlement is not None or worker.poll() is not None:
                break
            time.sleep(0.25)
        assert settlement is not None, "the worker did not settle the round in time"
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    assert b"settle_round_task" in output
    assert settlement.outcome == Settlement.Outcome.PAID
    assert [balance(u) for u in users] == [90 + 140, 70]
    assert payout_legs() == 1
