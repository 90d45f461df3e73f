"""A lottery kept for tagged members (docs/tags.md): the list does not offer it to others, and
their draw is refused with 403 `tag_required`, drawing and charging nothing."""

import pytest

from campaigns.lottery.models import LotteryDraw
from core.models import Tag
from core.tags import tag_assign
from tests.campaigns.lottery.factories import LotteryFactory, PrizeFactory, give_points
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_member_without_the_tag_neither_sees_the_lottery_nor_draws(db):
    vip = Tag.objects.create(name="VIP客户")
    everyone = LotteryFactory(title="幸运大转盘")
    PrizeFactory(lottery=everyone)
    vip_only = LotteryFactory(title="VIP专享转盘")
    PrizeFactory(lottery=vip_only)
    vip_only.tags.set([vip])
    member = UserFactory()
    give_points(member, 50)
    client = client_for(member)

    assert [row["title"] for row in client.get("/api/lotteries").json()] == ["幸运大转盘"]
    refused = client.post(f"/api/lotteries/{vip_only.pk}/draw")
    assert refused.status_code == 403
    assert refused.json()["code"] == "tag_required"
    assert not LotteryDraw.objects.exists()

    tag_assign(tag=vip, user_ids=[member.pk])
    assert [row["title"] for row in client.get("/api/lotteries").json()] == ["幸运大转盘", "VIP专享转盘"]
    drawn = client.post(f"/api/lotteries/{vip_only.pk}/draw")
    assert drawn.status_code == 201, drawn.json()
    assert LotteryDraw.objects.filter(lottery=vip_only, user=member).count() == 1
