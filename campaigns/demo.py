"""Demo plays: a group-buy and an assist campaign on the mall's demo products. Idempotent."""

from campaigns.assist.models import AssistCampaign
from campaigns.groupbuy.models import GroupBuyOffer
from campaigns.lottery.demo import seed_lottery
from campaigns.quiz.demo import seed_quiz
from campaigns.redpacket.models import RedPacketCampaign
from mall.models import Product


def seed(stdout=None) -> None:
    seed_groupbuy(stdout=stdout)
    seed_assist(stdout=stdout)
    seed_lottery(stdout=stdout)
    seed_quiz(stdout=stdout)
    seed_redpacket(stdout=stdout)


DEMO_GROUPBUY_PRODUCT = "洗牙体验券"


def seed_groupbuy(stdout=None) -> None:
    """A group-buy of the voucher 洗牙体验券 (made by mall.demo): 3 people, 30 points, 24 hours."""
    product = Product.objects.filter(name=DEMO_GROUPBUY_PRODUCT).order_by("pk").first()
    if product is None:
        if stdout is not None:
            stdout.write("campaigns: no 洗牙体验券 product, group-buy demo skipped")
        return
    GroupBuyOffer.objects.get_or_create(
        product=product, defaults={"group_size": 3, "price": 30, "time_limit_hours": 24}
    )
    if stdout is not None:
        stdout.write("campaigns: group-buy of 洗牙体验券 ready")


DEMO_ASSIST_TITLE = "助力领护理套装"
DEMO_ASSIST_PRODUCT = "口腔护理套装"


def seed_assist(stdout=None) -> None:
    """An assist campaign: 3 friends within 48 hours get the starter a care kit (a voucher picked
    up in store, kept out of the mall's shelves: it is only earned by helpers)."""
    product, _created = Product.objects.get_or_create(
        name=DEMO_ASSIST_PRODUCT,
        defaults={
            "kind": Product.Kind.VOUCHER,
            "price": 199,
            "stock": 50,
            "per_user_limit": 1,
            "is_active": False,
            "description": "牙刷、牙膏、牙线，到店出示券码领取",
        },
    )
    AssistCampaign.objects.get_or_create(
        title=DEMO_ASSIST_TITLE,
        defaults={
            "kind": AssistCampaign.Kind.ASSIST,
            "reward_kind": AssistCampaign.RewardKind.PRODUCT,
            "product": product,
            "helpers_required": 3,
            "time_limit_hours": 48,
            "helps_per_day": 3,
            "new_user_counts_double": False,
        },
    )
    if stdout is not None:
        stdout.write("campaigns: assist campaign 助力领护理套装 ready")


DEMO_REDPACKET_TITLE = "拆红包 拼手气"


def seed_redpacket(stdout=None) -> None:
    """A red packet campaign: 3 friends within 24 hours open the starter's 50-point packet and
    share 30 points at random; a friend new to the mini-program gets 10 more."""
    RedPacketCampaign.objects.get_or_create(
        title=DEMO_REDPACKET_TITLE,
        defaults={"amount": 50, "helpers_needed": 3, "pool": 30, "new_user_bonus": 10, "time_limit_hours": 24},
    )
    if stdout is not None:
        stdout.write("campaigns: red packet campaign 拆红包 拼手气 ready")
