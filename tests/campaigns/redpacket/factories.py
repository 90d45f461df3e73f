import factory

from campaigns.redpacket.models import RedPacketCampaign


class RedPacketCampaignFactory(factory.django.DjangoModelFactory):
    """A 50-point packet for the starter; 3 friends share 30 points; 10 more for a new friend."""

    class Meta:
        model = RedPacketCampaign

    title = factory.Sequence(lambda n: f"红包活动{n}")
    amount = 50
    helpers_needed = 3
    pool = 30
    new_user_bonus = 10
    time_limit_hours = 24
    opens_per_day = 5
