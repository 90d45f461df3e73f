"""Demo referral setup: the phone-verified rule (inviter 50, invitee 20) with a milestone ladder,
the default poster template (generated background) and a front-desk channel. Idempotent."""

from mall.models import Product
from referral.models import (
    AssistCampaign,
    Channel,
    GroupBuyOffer,
    Milestone,
    PosterTemplate,
    ReferralConfig,
    RewardRule,
)

DEMO_RULE_NAME = "邀请好友：验证手机号"
DEMO_TEMPLATE_NAME = "默认海报"
DEMO_CHANNEL_CODE = "FRONT-DESK"
DEMO_MILESTONES = [(3, 100), (5, 200), (10, 500)]


def seed(stdout=None) -> None:
    if not ReferralConfig.objects.exists():
        ReferralConfig.objects.create()
    rule, _created = RewardRule.objects.get_or_create(
        name=DEMO_RULE_NAME,
        defaults={
            "trigger": RewardRule.Trigger.PHONE_VERIFIED,
            "inviter_points": 50,
            "invitee_points": 20,
            "requires_phone": True,
            "qualifies": True,
            "daily_cap": 10,
        },
    )
    for friends, points in DEMO_MILESTONES:
        Milestone.objects.get_or_create(rule=rule, friends=friends, defaults={"points": points})
    if not PosterTemplate.objects.filter(name=DEMO_TEMPLATE_NAME).exists():
        PosterTemplate.objects.create(
            name=DEMO_TEMPLATE_NAME,
            text="邀请你一起早起打卡，赢积分好礼",
            is_default=not PosterTemplate.objects.filter(is_default=True).exists(),
        )
    Channel.objects.get_or_create(code=DEMO_CHANNEL_CODE, defaults={"name": "前台", "kind": Channel.Kind.FRONT_DESK})
    if stdout is not None:
        stdout.write("referral: rule, poster template and front-desk channel ready")
    seed_groupbuy(stdout=stdout)
    seed_assist(stdout=stdout)


DEMO_GROUPBUY_PRODUCT = "洗牙体验券"


def seed_groupbuy(stdout=None) -> None:
    """A group-buy of the voucher 洗牙体验券 (made by mall.demo): 3 people, 30 points, 24 hours."""
    product = Product.objects.filter(name=DEMO_GROUPBUY_PRODUCT).order_by("pk").first()
    if product is None:
        if stdout is not None:
            stdout.write("referral: no 洗牙体验券 product, group-buy demo skipped")
        return
    GroupBuyOffer.objects.get_or_create(
        product=product, defaults={"group_size": 3, "price": 30, "time_limit_hours": 24}
    )
    if stdout is not None:
        stdout.write("referral: group-buy of 洗牙体验券 ready")


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
        stdout.write("referral: assist campaign 助力领护理套装 ready")
