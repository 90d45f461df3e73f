import factory

from campaigns.lottery.models import Lottery, LotteryPrize
from tests.mall.factories import ProductFactory, give_points  # noqa: F401 - re-exported for the tests


class LotteryFactory(factory.django.DjangoModelFactory):
    """A wheel: one free draw a day, then 10 points a draw, at most 5 draws a day."""

    class Meta:
        model = Lottery

    title = factory.Sequence(lambda n: f"大转盘{n}")
    kind = Lottery.Kind.WHEEL
    cost = 10
    free_draws_per_day = 1
    daily_limit = 5


class PrizeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LotteryPrize

    lottery = factory.SubFactory(LotteryFactory)
    name = factory.Sequence(lambda n: f"奖品{n}")
    kind = LotteryPrize.Kind.POINTS
    points = 5
    weight = 1
    stock = None


def nothing(lottery, weight=1, **kwargs):
    return PrizeFactory(
        lottery=lottery, name="谢谢参与", kind=LotteryPrize.Kind.NONE, points=0, weight=weight, **kwargs
    )
