import factory

from campaigns.assist.models import AssistCampaign
from tests.mall.factories import ProductFactory, give_points  # noqa: F401 - re-exported for the tests


class AssistCampaignFactory(factory.django.DjangoModelFactory):
    """An assist paid in points: 3 helpers within 48 hours earn the starter 50 points."""

    class Meta:
        model = AssistCampaign

    title = factory.Sequence(lambda n: f"助力活动{n}")
    kind = AssistCampaign.Kind.ASSIST
    reward_kind = AssistCampaign.RewardKind.POINTS
    reward_points = 50
    helpers_required = 3
    time_limit_hours = 48
    helps_per_day = 3


class BargainCampaignFactory(AssistCampaignFactory):
    """A bargain of a 200-point product down to 20 with 4 helpers."""

    kind = AssistCampaign.Kind.BARGAIN
    reward_kind = AssistCampaign.RewardKind.PRODUCT
    reward_points = 0
    product = factory.SubFactory(ProductFactory, price=200, stock=10)
    floor_price = 20
    helpers_required = 4
    seed = "bargain-test"
