"""Level privileges in points: the discount's arithmetic, the birthday gift, the level card, the
admin (docs/membership.md "Level privileges")."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from points.models import Growth, Level, Transaction
from points.selectors import level_privileges, member_level_card, wallet_balance
from points.services.audit import ledger_audit
from points.services.privileges import birthday_gift_pay, birthday_gifts_pay, level_discount
from tests.factories import StaffFactory, UserFactory
from tests.points.factories import LevelFactory

pytestmark = pytest.mark.django_db


def growth_of(user, total: int) -> None:
    """Set the member's growth value (the levels read it; how it was earned does not matter here)."""
    Growth.objects.update_or_create(user=user, defaults={"total": total})


# -- the discount's arithmetic -----------------------------------------------------------------


@pytest.mark.django_db(False)
@given(price=st.integers(min_value=-(10**6), max_value=10**12), percent=st.integers(min_value=-50, max_value=500))
def test_the_discount_is_whole_points_rounded_down_and_never_makes_a_price_negative_or_free(price, percent):
    off = level_discount(price=price, percent=percent)

    assert isinstance(off, int)
    assert off >= 0
    paid = price - off
    if price >= 1:
        # Never below 1 point for a priced product, whatever the percent (at most 99% applies).
        assert 1 <= paid <= price
        expected = price * min(max(percent, 0), 99) // 100
        assert off == expected
        # Rounded down: the member's off is the largest whole number of points not above the exact share.
        assert off * 100 <= price * min(max(percent, 0), 99) < (off + 1) * 100
    else:
        assert off == 0


@pytest.mark.django_db(False)
@given(price=st.integers(min_value=1, max_value=10**9), percent=st.integers(min_value=0, max_value=99))
def test_the_discount_only_grows_with_the_percent(price, percent):
    # A higher level never pays more for the same product.
    assert level_discount(price=price, percent=percent) <= level_discount(price=price, percent=min(percent + 1, 99))


@pytest.mark.parametrize(
    ("price", "percent", "off"),
    [(80, 10, 8), (85, 10, 8), (1, 99, 0), (2, 99, 1), (100, 99, 99), (9, 10, 0), (2000, 15, 300), (80, 0, 0)],
)
def test_discount_examples(price, percent, off):
    assert level_discount(price=price, percent=percent) == off


def test_a_level_cannot_give_100_percent_off():
    level = Level(name="满级", threshold=99999, discount_percent=100)
    with pytest.raises(ValidationError) as caught:
        level.full_clean()
    assert "discount_percent" in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Level.objects.create(name="满级", threshold=99999, discount_percent=100)


# -- the birthday gift -------------------------------------------------------------------------


@pytest.fixture
def golden():
    LevelFactory(name="青铜", threshold=0)
    return LevelFactory(name="黄金", threshold=2000, birthday_gift_points=100)


def test_the_birthday_gift_is_paid_once_a_year_through_the_ledger(user, golden):
    growth_of(user, 2500)
    birthday = dt.date(2026, 6, 1)

    first = birthday_gift_pay(user=user, today=birthday)
    again = birthday_gift_pay(user=user, today=birthday)

    assert first is not None and again.pk == first.pk
    assert (first.kind, first.key) == (Transaction.Kind.BIRTHDAY_GIFT, f"birthday:{user.pk}:2026")
    assert wallet_balance(user=user) == 100
    assert Transaction.objects.filter(kind=Transaction.Kind.BIRTHDAY_GIFT).count() == 1
    assert ledger_audit().ok


def test_the_nightly_job_run_twice_pays_each_birthday_once(golden):
    members = [UserFactory() for _ in range(3)]
    for member in members[:2]:
        growth_of(member, 2000)
    # The third is 青铜: its level gives no gift.
    birthday = dt.date(2026, 6, 1)

    assert birthday_gifts_pay(users=members, today=birthday) == 2
    assert birthday_gifts_pay(users=members, today=birthday) == 0

    assert [wallet_balance(user=m) for m in members] == [100, 100, 0]
    assert Transaction.objects.filter(kind=Transaction.Kind.BIRTHDAY_GIFT).count() == 2
    assert ledger_audit().ok


def test_next_year_pays_again_and_a_level_reached_later_in_the_year_pays_nothing_more(user, golden):
    diamond = LevelFactory(name="钻石", threshold=5000, birthday_gift_points=200)
    growth_of(user, 2000)
    birthday_gift_pay(user=user, today=dt.date(2026, 6, 1))

    growth_of(user, diamond.threshold)
    assert birthday_gift_pay(user=user, today=dt.date(2026, 12, 31)).metadata["level"] == golden.pk
    assert wallet_balance(user=user) == 100

    next_year = birthday_gift_pay(user=user, today=dt.date(2027, 6, 1))
    assert next_year.key == f"birthday:{user.pk}:2027"
    assert wallet_balance(user=user) == 100 + 200


def test_no_level_or_no_gift_pays_nothing(user):
    assert birthday_gift_pay(user=user, today=dt.date(2026, 6, 1)) is None  # no levels at all
    LevelFactory(name="青铜", threshold=0)
    assert birthday_gift_pay(user=user, today=dt.date(2026, 6, 1)) is None
    assert not Transaction.objects.exists()


# -- the level card (GET me/level's content) ---------------------------------------------------


def test_the_card_shows_the_level_the_next_one_and_the_privileges(user):
    LevelFactory(name="青铜", threshold=0)
    LevelFactory(
        name="白银",
        threshold=500,
        discount_percent=5,
        extra_makeups_per_month=1,
        extra_lottery_draws_per_day=2,
        birthday_gift_points=50,
    )
    LevelFactory(name="黄金", threshold=2000)
    growth_of(user, 640)

    card = member_level_card(user=user, exclusive_products=lambda level: level.name == "白银")

    assert {k: card[k] for k in ("level", "growth", "next_level", "to_next")} == {
        "level": "白银",
        "growth": 640,
        "next_level": "黄金",
        "to_next": 2000 - 640,
    }
    assert [p["code"] for p in card["privileges"]] == [
        "mall_discount",
        "extra_makeups",
        "extra_lottery_draws",
        "exclusive_products",
        "birthday_gift",
    ]
    assert all(p["title"] for p in card["privileges"])


def test_the_card_at_the_top_and_below_the_lowest_level(user):
    assert member_level_card(user=user) == {
        "level": None,
        "growth": 0,
        "next_level": None,
        "to_next": None,
        "privileges": [],
    }
    LevelFactory(name="白银", threshold=500)
    assert member_level_card(user=user)["next_level"] == "白银" and member_level_card(user=user)["to_next"] == 500
    growth_of(user, 900)
    card = member_level_card(user=user)
    assert (card["level"], card["next_level"], card["to_next"], card["privileges"]) == ("白银", None, None, [])


def test_privilege_titles_say_what_the_level_gives():
    from django.utils import translation

    level = Level(name="黄金", threshold=2000, discount_percent=10, birthday_gift_points=100)
    with translation.override("en"):
        titles = [(p["code"], p["title"]) for p in level_privileges(level)]
    assert titles == [("mall_discount", "10% off mall prices"), ("birthday_gift", "100 points on your birthday")]


# -- the admin ---------------------------------------------------------------------------------


def test_operators_edit_the_privileges_in_the_admin(client):
    staff = StaffFactory(is_superuser=True)
    client.force_login(staff)
    level = LevelFactory(name="黄金", threshold=2000)
    url = reverse("admin:points_level_change", args=[level.pk])

    page = client.get(url)
    assert page.status_code == 200
    for field in ("discount_percent", "extra_makeups_per_month", "extra_lottery_draws_per_day", "birthday_gift_points"):
        assert f'name="{field}"' in page.content.decode()

    form = {
        "name": "黄金",
        "threshold": 2000,
        "discount_percent": 100,
        "extra_makeups_per_month": 2,
        "extra_lottery_draws_per_day": 1,
        "birthday_gift_points": 100,
    }
    refused = client.post(url, form)
    assert refused.status_code == 200 and "discount_percent" in refused.context["adminform"].form.errors

    assert client.post(url, {**form, "discount_percent": 10}).status_code == 302
    level.refresh_from_db()
    assert (level.discount_percent, level.extra_makeups_per_month, level.birthday_gift_points) == (10, 2, 100)
