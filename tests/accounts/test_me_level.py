"""GET me/level over HTTP: the level, growth, the next level and the privileges (docs/membership.md)."""

import pytest
from django.urls import reverse

from points import demo as points_demo
from points.models import Growth, Level
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory
from tests.points.factories import LevelFactory

pytestmark = pytest.mark.django_db


def growth_of(user, total: int) -> None:
    Growth.objects.update_or_create(user=user, defaults={"total": total})


def test_needs_a_login(api_client):
    assert api_client.get(reverse("me-level")).status_code == 401


def test_my_level_the_next_one_and_the_privileges(user, user_client):
    LevelFactory(name="青铜", threshold=0)
    silver = LevelFactory(name="白银", threshold=500, discount_percent=5, birthday_gift_points=50)
    LevelFactory(name="黄金", threshold=2000)
    growth_of(user, 620)

    response = user_client.get(reverse("me-level"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.json() == {
        "level": "白银",
        "growth": 620,
        "next_level": "黄金",
        "to_next": 1380,
        "privileges": [
            {"code": "mall_discount", "title": "5% off mall prices"},
            {"code": "birthday_gift", "title": "50 points on your birthday"},
        ],
    }

    # A product kept for 白银 (the mall's level gate) is the exclusive-products privilege.
    ProductFactory(level_required=silver)
    codes = [p["code"] for p in user_client.get(reverse("me-level")).json()["privileges"]]
    assert codes == ["mall_discount", "exclusive_products", "birthday_gift"]


def test_a_product_kept_for_a_higher_level_is_not_my_privilege(user, user_client):
    LevelFactory(name="青铜", threshold=0)
    golden = LevelFactory(name="黄金", threshold=2000)
    ProductFactory(level_required=golden)
    ProductFactory(level_required=golden, is_active=False)

    body = user_client.get(reverse("me-level")).json()

    assert (body["level"], body["privileges"]) == ("青铜", [])
    growth_of(user, 2000)
    body = user_client.get(reverse("me-level")).json()
    assert [p["code"] for p in body["privileges"]] == ["exclusive_products"]
    assert (body["next_level"], body["to_next"]) == (None, None)


def test_with_the_demo_levels(api_client):
    points_demo.seed()
    member = UserFactory()
    growth_of(member, 2100)

    body = client_for(member).get(reverse("me-level")).json()

    assert (body["level"], body["growth"], body["next_level"], body["to_next"]) == ("黄金", 2100, "钻石", 2900)
    assert [p["code"] for p in body["privileges"]] == [
        "mall_discount",
        "extra_makeups",
        "extra_lottery_draws",
        "birthday_gift",
    ]


def test_the_demo_gives_old_demo_levels_privileges_but_keeps_an_operators():
    Level.objects.create(name="白银", threshold=500)  # seeded before levels had privileges
    Level.objects.create(name="黄金", threshold=2000, discount_percent=3)  # an operator's choice
    points_demo.seed()
    points_demo.seed()  # idempotent

    by_threshold = {level.threshold: level for level in Level.objects.all()}
    assert len(by_threshold) == 4
    assert (by_threshold[500].discount_percent, by_threshold[500].birthday_gift_points) == (5, 50)
    assert (by_threshold[2000].discount_percent, by_threshold[2000].extra_makeups_per_month) == (3, 0)
    assert by_threshold[5000].extra_lottery_draws_per_day == 2
