"""A product kept for tagged members (docs/tags.md): the mall does not offer it to others, and
their redemption is refused with 403 `tag_required`, taking nothing."""

import pytest
from django.urls import reverse

from core.models import Tag
from core.tags import tag_assign
from mall.models import Order
from points.selectors import wallet_balance
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory, give_points

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip_product():
    vip = Tag.objects.create(name="VIP客户")
    product = ProductFactory(name="VIP专享洗牙", price=50, stock=3)
    product.tags.set([vip, Tag.objects.create(name="员工亲友")])
    return product, vip


def listed(client) -> list[str]:
    return [p["name"] for p in client.get(reverse("mall-products")).json()["results"]]


def test_a_member_without_the_tag_neither_sees_nor_redeems_it(vip_product):
    product, vip = vip_product
    ProductFactory(name="口腔检查预约券", price=10)
    member = UserFactory()
    give_points(member, 100)
    client = client_for(member)

    assert listed(client) == ["口腔检查预约券"]
    refused = client.post(reverse("mall-redemptions"), {"product": product.pk}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "tag_required"
    assert wallet_balance(user=member) == 100 and not Order.objects.exists()
    product.refresh_from_db()
    assert product.stock == 3

    # Tagged (with one of the product's tags): offered, and redeemed.
    tag_assign(tag=vip, user_ids=[member.pk])
    assert listed(client) == ["VIP专享洗牙", "口腔检查预约券"]
    done = client.post(reverse("mall-redemptions"), {"product": product.pk}, format="json")
    assert done.status_code == 201, done.json()
    assert wallet_balance(user=member) == 50


def test_a_product_with_two_tags_is_listed_once_beside_the_untagged(vip_product):
    _product, vip = vip_product
    member = UserFactory()
    tag_assign(tag=vip, user_ids=[member.pk])
    ProductFactory(name="口腔检查预约券", price=10)
    names = listed(client_for(member))
    assert names == ["VIP专享洗牙", "口腔检查预约券"]  # a product with two tags is listed once
