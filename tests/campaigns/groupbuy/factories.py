import factory

from campaigns.groupbuy.models import GroupBuyOffer
from tests.mall.factories import ProductFactory, give_points  # noqa: F401 - re-exported for the tests


class GroupBuyOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupBuyOffer

    product = factory.SubFactory(ProductFactory, price=80, stock=10)
    group_size = 3
    price = 30
    time_limit_hours = 24
