"""Extra lottery draws, a level privilege (docs/membership.md "Level privileges"): the level's
extra draws add to every lottery's free draws of the day; the lottery's daily limit still caps all."""

import pytest

from campaigns.lottery.selectors import lottery_allowance
from campaigns.lottery.services import lottery_draw
from core.exceptions import ApplicationError
from points.models import Growth
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from tests.campaigns.lottery.factories import LotteryFactory, give_points, nothing
from tests.factories import UserFactory
from tests.points.factories import LevelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def levels():
    LevelFactory(name="青铜", threshold=0)
    return LevelFactory(name="黄金", threshold=2000, extra_lottery_draws_per_day=2)


def member_of(growth: int):
    user = UserFactory()
    Growth.objects.create(user=user, total=growth)
    give_points(user, 100)
    return user


def test_a_levels_extra_draws_are_free_draws_of_every_day(levels):
    lottery = LotteryFactory(cost=10, free_draws_per_day=1, daily_limit=5)
    nothing(lottery)
    golden, bronze = member_of(2000), member_of(0)

    assert lottery_allowance(lottery=lottery, user=golden).free_left == 3
    assert lottery_allowance(lottery=lottery, user=bronze).free_left == 1

    draws = [lottery_draw(user=golden, lottery_id=lottery.pk)[0] for _ in range(4)]

    assert [d.free for d in draws] == [True, True, True, False]
    assert [d.cost for d in draws] == [0, 0, 0, 10]
    assert wallet_balance(user=golden) == 100 - 10
    assert ledger_audit().ok


def test_a_free_only_lottery_gives_the_extra_draws_and_the_daily_limit_still_caps(levels):
    lottery = LotteryFactory(cost=0, free_draws_per_day=1, daily_limit=2)
    nothing(lottery)
    golden = member_of(2000)

    lottery_draw(user=golden, lottery_id=lottery.pk)
    lottery_draw(user=golden, lottery_id=lottery.pk)  # the level's: the lottery alone allows one
    with pytest.raises(ApplicationError) as caught:
        lottery_draw(user=golden, lottery_id=lottery.pk)  # 3 free by the level, 2 a day by the lottery
    assert caught.value.code == "no_draws_left"

    bronze = member_of(0)
    lottery_draw(user=bronze, lottery_id=lottery.pk)
    with pytest.raises(ApplicationError):
        lottery_draw(user=bronze, lottery_id=lottery.pk)
