"""core.db.bulk_update_by_pk: many rows by primary key, one statement per batch (unnest on PostgreSQL)."""

import pytest

from core.db import bulk_update_by_pk
from core.models import User
from tests.factories import UserFactory


@pytest.mark.django_db
def test_writes_each_row_its_own_values_and_leaves_the_rest():
    users = UserFactory.create_batch(5)
    untouched = users.pop()
    for i, user in enumerate(users):
        user.nickname = f"n{i}"
        user.phone_verified = i % 2 == 0
    assert bulk_update_by_pk(User, users, ["nickname", "phone_verified"], batch_size=3) == 4
    rows = dict(User.objects.filter(pk__in=[u.pk for u in users]).values_list("pk", "nickname"))
    assert rows == {u.pk: f"n{i}" for i, u in enumerate(users)}
    assert [u.phone_verified for u in User.objects.filter(pk__in=[u.pk for u in users]).order_by("pk")] == [
        True,
        False,
        True,
        False,
    ]
    assert User.objects.get(pk=untouched.pk).nickname == untouched.nickname
    assert bulk_update_by_pk(User, [], ["nickname"]) == 0


@pytest.mark.django_db
@pytest.mark.postgres
def test_nulls_and_datetimes_on_postgresql():
    import datetime as dt

    users = UserFactory.create_batch(3)
    stamp = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    User.objects.filter(pk__in=[u.pk for u in users]).update(last_login=stamp)
    users[0].last_login = stamp + dt.timedelta(hours=1)
    users[1].last_login = None
    users[2].last_login = None
    assert bulk_update_by_pk(User, users, ["last_login"]) == 3
    got = dict(User.objects.filter(pk__in=[u.pk for u in users]).values_list("pk", "last_login"))
    assert got == {users[0].pk: stamp + dt.timedelta(hours=1), users[1].pk: None, users[2].pk: None}


def _events(rows):
    from events.models import Event

    return sorted(Event.objects.values_list("user_id", "kind", "amount", "ref", "channel"))


@pytest.mark.django_db
@pytest.mark.postgres
def test_insert_rows_returns_ids_in_order_and_matches_the_orm_fallback():
    import datetime as dt

    from core.db import _insert_rows_orm, insert_rows
    from events.models import Event

    users = UserFactory.create_batch(3)
    at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    rows = [(u.pk, 10 * i, f"r{i}") for i, u in enumerate(users)]
    ids = insert_rows(
        Event,
        ["user_id", "amount", "ref"],
        rows,
        same={"kind": "won", "at": at, "channel": "c"},
        returning="id",
        batch_size=2,
    )
    assert [Event.objects.get(pk=pk).ref for pk in ids] == ["r0", "r1", "r2"]  # each id is its row's
    via_sql = _events(rows)
    Event.objects.all().delete()
    fallback = [(*row, "won", at, "c") for row in rows]
    _insert_rows_orm(
        Event,
        ["user_id", "amount", "ref", "kind", "at", "channel"],
        fallback,
        returning=None,
        conflict=None,
        update=None,
        batch_size=2,
    )
    assert _events(rows) == via_sql == sorted((u.pk, "won", 10 * i, f"r{i}", "c") for i, u in enumerate(users))


@pytest.mark.django_db
@pytest.mark.postgres
def test_insert_rows_upsert_overwrites_only_the_named_fields():
    from checkin.models import Standing
    from core.db import insert_rows
    from tests.checkin.factories import ChallengeFactory

    challenge, user = ChallengeFactory(), UserFactory()
    Standing.objects.create(challenge=challenge, user=user, streak=4, best_streak=6, winnings=5)
    insert_rows(
        Standing,
        ["user_id", "winnings", "winnings_score"],
        [(user.pk, 50, 7)],
        same={"challenge_id": challenge.pk, "streak": 0, "best_streak": 0, "streak_score": 0},
        conflict=["challenge", "user"],
        update=["winnings", "winnings_score"],
    )
    standing = Standing.objects.get()
    assert (standing.winnings, standing.winnings_score, standing.streak, standing.best_streak) == (50, 7, 4, 6)


@pytest.mark.django_db
@pytest.mark.postgres
def test_update_rows_writes_json_and_nothing_for_no_rows():
    from core.db import update_rows
    from points.models import Transaction

    txn = Transaction.objects.create(kind="bulk_grant", key="k1", metadata={"a": 1})
    assert update_rows(Transaction, ["metadata", "memo"], [(txn.pk, {"b": [1, 2]}, "m")]) == 1
    txn.refresh_from_db()
    assert (txn.metadata, txn.memo) == ({"b": [1, 2]}, "m")
    assert update_rows(Transaction, ["memo"], []) == 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_fetch_rows_reads_with_array_parameters_and_leaves_other_databases_to_the_orm():
    from types import SimpleNamespace
    from unittest import mock

    from core.db import fetch_rows

    users = UserFactory.create_batch(3)
    ids = [users[2].pk, users[0].pk, 10**12]
    rows = fetch_rows(User, "SELECT id, username FROM core_user WHERE id = ANY(%s::bigint[]) ORDER BY id", [ids])
    assert rows == sorted((u.pk, u.username) for u in (users[0], users[2]))
    with mock.patch("core.db._connection", return_value=SimpleNamespace(vendor="sqlite")):
        assert fetch_rows(User, "SELECT 1", []) is None


def _prepared_statements() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


_NICKNAME_OF = "SELECT nickname FROM core_user WHERE id = %(id)s"


@pytest.mark.django_db(transaction=True)  # statements prepared in a rolled-back transaction are forgotten
@pytest.mark.postgres
def test_fetch_prepared_plans_a_hot_statement_once_per_connection(settings):
    from core.db import fetch_prepared

    user = UserFactory(nickname="小明")
    assert fetch_prepared(User, _NICKNAME_OF, {"id": user.pk}) == [("小明",)]
    assert fetch_prepared(User, _NICKNAME_OF, {"id": user.pk + 1000}) == []
    assert sum("FROM core_user WHERE id = $1" in s for s in _prepared_statements()) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_fetch_prepared_prepares_nothing_when_turned_off(settings):
    """DB_PREPARED_STATEMENTS=0, for a transaction-pooling proxy: the same rows, nothing prepared."""
    from django.db import connection

    from core.db import fetch_prepared

    settings.DB_PREPARED_STATEMENTS = False
    connection.close()  # a fresh connection: nothing prepared on it yet
    user = UserFactory(nickname="小红")
    assert fetch_prepared(User, _NICKNAME_OF, {"id": user.pk}) == [("小红",)]
    assert not any("FROM core_user WHERE id = $1" in s for s in _prepared_statements())
