"""Demo referral setup: the phone-verified rule (inviter 50, invitee 20) with a milestone ladder,
a distribution commission (5% of friends' redemptions for a year, at most 500 points a month),
the default poster template (generated background) and a front-desk channel. Idempotent."""

from decimal import Decimal

from referral.models import Channel, CommissionRule, Milestone, PosterTemplate, ReferralConfig, RewardRule

DEMO_CLINIC_NAME = "示范口腔诊所"
DEMO_RULE_NAME = "邀请好友：验证手机号"
DEMO_TEMPLATE_NAME = "默认海报"
DEMO_CHANNEL_CODE = "FRONT-DESK"
DEMO_MILESTONES = [(3, 100), (5, 200), (10, 500)]
DEMO_COMMISSION_NAME = "好友兑换分销：5%"


def seed(stdout=None) -> None:
    if not ReferralConfig.objects.exists():
        ReferralConfig.objects.create(clinic_name=DEMO_CLINIC_NAME)  # the landing page's header
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
    CommissionRule.objects.get_or_create(
        name=DEMO_COMMISSION_NAME, defaults={"percent": Decimal("5"), "days": 365, "monthly_cap": 500}
    )
    if not PosterTemplate.objects.filter(name=DEMO_TEMPLATE_NAME).exists():
        PosterTemplate.objects.create(
            name=DEMO_TEMPLATE_NAME,
            text="邀请你一起早起打卡，赢积分好礼",
            is_default=not PosterTemplate.objects.filter(is_default=True).exists(),
        )
    Channel.objects.get_or_create(code=DEMO_CHANNEL_CODE, defaults={"name": "前台", "kind": Channel.Kind.FRONT_DESK})
    if stdout is not None:
        stdout.write("referral: rule, commission, poster template and front-desk channel ready")
