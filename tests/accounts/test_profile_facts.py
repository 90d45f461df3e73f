"""The member's optional profile facts (birthday, gender, city; docs/privacy.md): set through
`PATCH me`, shown by `GET me` and the export, erased by a deletion; and the nightly birthday gift
that reads the birthday (docs/membership.md "Birthday gift")."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.services import birthday_gifts_run, birthday_members, user_delete, user_update_profile
from core.exceptions import ApplicationError
from core.jobs import all_jobs, nightly_run
from core.models import User
from points.models import Growth, Transaction
from points.selectors import wallet_balance
from tests.conftest import client_for
from tests.factories import StaffFactory, UserFactory
from tests.points.factories import LevelFactory
from tests.reliability.helpers import assert_ledger_clean

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Asia/Shanghai")


def local(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZONE)


# -- PATCH me / GET me ----------------------------------------------------------------------------


@time_machine.travel(local(dt.date(2026, 6, 1)), tick=False)
def test_the_member_sets_reads_and_clears_the_facts(user):
    client = client_for(user)

    response = client.patch(
        "/api/me", {"birthday": "1990-06-01", "gender": "female", "city": "  上海  "}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["birthday"], body["gender"], body["city"]) == ("1990-06-01", "female", "上海")
    user.refresh_from_db()
    assert (user.birthday, user.gender, user.city) == (dt.date(1990, 6, 1), "female", "上海")
    assert client.get("/api/me").json()["city"] == "上海"

    # A field not sent stays; null and empty clear.
    client.patch("/api/me", {"nickname": "新名字"}, format="json")
    user.refresh_from_db()
    assert user.birthday == dt.date(1990, 6, 1)
    response = client.patch("/api/me", {"birthday": None, "gender": "", "city": ""}, format="json")
    assert response.status_code == 200
    assert (response.json()["birthday"], response.json()["gender"], response.json()["city"]) == (None, "", "")


@time_machine.travel(local(dt.date(2026, 6, 1), hour=1), tick=False)  # 2026-05-31 in UTC
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birthday", "2026-06-02"),  # tomorrow, in the site's local day
        ("birthday", "1899-12-31"),
        ("birthday", "1990-02-30"),
        ("birthday", "2001-01-01T00:00:00"),
        ("birthday", 19900101),
        ("gender", "other"),
        ("gender", "MALE"),
        ("city", "长" * 65),
        ("city", 5),
    ],
)
def test_a_wrong_fact_is_400_invalid_on_its_field_and_changes_nothing(user, field, value):
    response = client_for(user).patch("/api/me", {field: value, "nickname": "改了吗"}, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == [field]
    user.refresh_from_db()
    assert user.nickname != "改了吗" and user.birthday is None and user.gender == "" and user.city == ""


def test_an_empty_birthday_in_a_form_is_invalid_as_in_json(user):
    """A form-encoded `birthday=` is no date (the schema says so); only JSON null clears it."""
    client = client_for(user)
    assert client.patch("/api/me", {"birthday": "1990-05-01"}, format="json").status_code == 200
    for sent in ({"birthday": ""}, {"birthday": "", "city": "上海"}):
        response = client.patch("/api/me", sent)  # multipart, as a form would send it
        assert (response.status_code, list(response.json().get("fields", {}))) == (400, ["birthday"])
    response = client.patch("/api/me", {"birthday": ""}, format="json")
    assert (response.status_code, list(response.json().get("fields", {}))) == (400, ["birthday"])
    user.refresh_from_db()
    assert user.birthday == dt.date(1990, 5, 1) and user.city == ""


@time_machine.travel(local(dt.date(2026, 6, 1), hour=1), tick=False)  # still 2026-05-31 in UTC
def test_the_bounds_are_inclusive_and_today_is_the_sites_local_day(user):
    client = client_for(user)
    assert client.patch("/api/me", {"birthday": "2026-06-01"}, format="json").status_code == 200
    assert client.patch("/api/me", {"birthday": "1900-01-01"}, format="json").status_code == 200
    # At most 64 characters as sent (the schema's maxLength counts what was sent), then trimmed.
    assert client.patch("/api/me", {"city": "长" * 64}, format="json").status_code == 200
    user.refresh_from_db()
    assert user.city == "长" * 64


def test_the_service_refuses_what_the_api_would(user):
    with pytest.raises(ApplicationError) as exc:
        user_update_profile(user=user, birthday=dt.date(1800, 1, 1))
    assert (exc.value.code, exc.value.status, list(exc.value.fields)) == ("invalid", 400, ["birthday"])
    with pytest.raises(ApplicationError) as exc:
        user_update_profile(user=user, gender="x")
    assert list(exc.value.fields) == ["gender"]
    with pytest.raises(ApplicationError) as exc:
        user_update_profile(user=user, city="a" * 65)
    assert list(exc.value.fields) == ["city"]


# -- export and deletion --------------------------------------------------------------------------


def test_the_export_includes_the_facts_and_a_deletion_erases_them(user):
    User.objects.filter(pk=user.pk).update(birthday=dt.date(1988, 2, 29), gender="male", city="杭州")
    client = client_for(user)

    profile = client.get("/api/me/export").json()["profile"]
    assert (profile["birthday"], profile["gender"], profile["city"]) == ("1988-02-29", "male", "杭州")

    user_delete(user=User.objects.get(pk=user.pk))

    user.refresh_from_db()
    assert (user.birthday, user.gender, user.city) == (None, "", "")


def test_the_customer_profile_shows_the_facts(user):
    User.objects.filter(pk=user.pk).update(birthday=dt.date(1990, 6, 1), gender="female", city="上海")
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))

    page = client.get(reverse("admin:accounts_customer_change", args=[user.pk])).content.decode()

    assert "1990" in page and "上海" in page


# -- the birthday gift's nightly job --------------------------------------------------------------


@pytest.fixture
def levels():
    LevelFactory(name="青铜", threshold=0)  # no gift
    return LevelFactory(name="黄金", threshold=2000, birthday_gift_points=100)


def member(birthday: dt.date | None, *, growth: int = 2000, **extra) -> User:
    user = UserFactory(birthday=birthday, **extra)
    Growth.objects.update_or_create(user=user, defaults={"total": growth})
    return user


def gifts() -> list[str]:
    return sorted(Transaction.objects.filter(kind=Transaction.Kind.BIRTHDAY_GIFT).values_list("key", flat=True))


def test_the_gift_is_paid_on_the_birthday_only_and_once(levels):
    june_first = member(dt.date(1990, 6, 1))
    june_second = member(dt.date(1985, 6, 2))
    born_today = member(dt.date(2026, 6, 1))  # a baby's first birthday-of-record is today
    no_birthday = member(None)
    bronze = member(dt.date(1990, 6, 1), growth=10)  # 青铜 gives no gift
    deleted = member(dt.date(1990, 6, 1), is_active=False)
    staff = member(dt.date(1990, 6, 1), is_staff=True)

    assert birthday_gifts_run(today=dt.date(2026, 5, 31)) == 0
    assert birthday_gifts_run(today=dt.date(2026, 6, 1)) == 2
    assert birthday_gifts_run(today=dt.date(2026, 6, 1)) == 0  # the job run twice

    balances = [
        wallet_balance(user=u) for u in (june_first, june_second, born_today, no_birthday, bronze, deleted, staff)
    ]
    assert balances == [100, 0, 100, 0, 0, 0, 0]
    assert gifts() == sorted([f"birthday:{june_first.pk}:2026", f"birthday:{born_today.pk}:2026"])

    assert birthday_gifts_run(today=dt.date(2026, 6, 2)) == 1
    assert wallet_balance(user=june_second) == 100

    # A member who moves their birthday to a later day of the same year gets nothing more.
    User.objects.filter(pk=june_first.pk).update(birthday=dt.date(1990, 7, 1))
    assert birthday_gifts_run(today=dt.date(2026, 7, 1)) == 0
    assert wallet_balance(user=june_first) == 100
    # Next year pays again.
    User.objects.filter(pk=june_first.pk).update(birthday=dt.date(1990, 6, 1))
    assert birthday_gifts_run(today=dt.date(2027, 6, 1)) == 2  # june_first and born_today
    assert wallet_balance(user=june_first) == 200
    assert_ledger_clean()


def test_29_february_birthdays_are_paid_on_28_february_in_other_years(levels):
    leap_born = member(dt.date(2000, 2, 29))
    feb_28 = member(dt.date(1999, 2, 28))
    march_first = member(dt.date(1999, 3, 1))

    assert set(birthday_members(today=dt.date(2027, 2, 28))) == {leap_born, feb_28}
    assert set(birthday_members(today=dt.date(2028, 2, 28))) == {feb_28}  # a leap year: the 29th comes
    assert set(birthday_members(today=dt.date(2028, 2, 29))) == {leap_born}
    assert set(birthday_members(today=dt.date(2100, 2, 28))) == {leap_born, feb_28}  # 2100 is no leap year
    assert set(birthday_members(today=dt.date(2027, 3, 1))) == {march_first}

    assert birthday_gifts_run(today=dt.date(2027, 2, 28)) == 2
    assert birthday_gifts_run(today=dt.date(2027, 3, 1)) == 1
    assert birthday_gifts_run(today=dt.date(2028, 2, 28)) == 1  # feb_28 only
    assert birthday_gifts_run(today=dt.date(2028, 2, 29)) == 1  # leap_born on the day itself
    assert [wallet_balance(user=u) for u in (leap_born, feb_28, march_first)] == [200, 200, 100]
    assert_ledger_clean()


def test_the_nightly_job_is_registered_and_uses_the_sites_local_day(levels):
    alice = member(dt.date(1990, 6, 1))
    jobs = {job.name: job for job in all_jobs()}
    assert jobs["birthday_gifts"].task == "accounts.tasks.birthday_gifts_task"

    # 2026-05-31 17:00 UTC is 2026-06-01 01:00 in Asia/Shanghai: her birthday there.
    with time_machine.travel(dt.datetime(2026, 5, 31, 17, tzinfo=dt.UTC), tick=False):
        (first,) = nightly_run(only=["birthday_gifts"])
        (second,) = nightly_run(only=["birthday_gifts"])

    assert first == ("birthday_gifts", True, "1 birthday gifts paid")
    assert second == ("birthday_gifts", True, "0 birthday gifts paid")
    assert wallet_balance(user=alice) == 100
    assert_ledger_clean()
