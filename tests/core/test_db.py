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
