"""Demo analytics: segment thresholds, a new-user coupon and a win-back gift; and, with
`seed_demo --history N`, N days of simulated activity through the real services.

The simulation moves time with time-machine (a development requirement), so every row the
services write (events, ledger entries, referrals, scans, orders) carries its simulated time.
"""

import datetime as dt
import math
import random
from dataclasses import dataclass

from analytics.models import AutomationRule, Stage, TagRule
from analytics.services import segment_config, tags_compute
from core.clock import local_midnight, local_today, replay_at
from core.exceptions import ApplicationError

NEW_USER_COUPON = "新人礼：口腔检查预约券"
WINBACK_GIFT = "回归礼：休眠 14 天送 100 积分"
HISTORY_CODE_PREFIX = "hist-"  # fake WeChat login codes of simulated users (openid fake-hist-...)
HISTORY_CHANNELS = [("POSTER-MOMENTS", "朋友圈海报", "other"), ("SCHOOL-TALK", "校园讲座", "event")]


def seed(stdout=None) -> None:
    from mall.models import Product

    segment_config()
    voucher = Product.objects.filter(name="口腔检查预约券").first()
    if voucher is not None and not AutomationRule.objects.filter(name=NEW_USER_COUPON).exists():
        AutomationRule.objects.create(
            name=NEW_USER_COUPON, segment="new", action=AutomationRule.Action.VOUCHER, product=voucher, period_days=0
        )
    if not AutomationRule.objects.filter(name=WINBACK_GIFT).exists():
        AutomationRule.objects.create(
            name=WINBACK_GIFT, stage=Stage.DORMANT, action=AutomationRule.Action.POINTS, points=100, period_days=30
        )
    tags_seed()
    seed_points_value()
    if stdout is not None:
        stdout.write("analytics: segment thresholds, new-user coupon and win-back gift ready")


# What the demo products cost the clinic, in fen (the margins on the dashboard).
DEMO_PRODUCT_COSTS = {"洗牙体验券": 60, "电动牙刷": 1500, "口腔检查预约券": 30}


def seed_points_value() -> None:
    """100 points = 1 yuan (the default), the demo products' costs where none is set, and a first
    liability check so the dashboard has one before the first night."""
    from analytics.models import LiabilityCheck
    from analytics.services import liability_check, points_value
    from mall.models import Product

    points_value()
    for name, cost in DEMO_PRODUCT_COSTS.items():
        Product.objects.filter(name=name, cost__isnull=True).update(cost=cost)
    if not LiabilityCheck.objects.exists():
        liability_check()


# -- tags -----------------------------------------------------------------------------------------

MANUAL_TAGS = [("VIP客户", "运营手动标记的重点客户"), ("员工亲友", "门店员工的亲友")]
VIP_TAG = "VIP客户"
VIP_MEMBERS = ["demo-alice"]  # demo members' WeChat login codes (openid fake-<code>)


def _rule_tags() -> list[tuple[str, str, dict]]:
    """(name, description, rule fields) of the demo's rule tags; those whose channel or product
    the demo lacks are left out."""
    from mall.models import Product
    from referral.demo import DEMO_CHANNEL_CODE
    from referral.models import Channel

    tags = [
        ("新用户", "注册 7 天内（RFM 分群：新用户）", {"kind": TagRule.Kind.SEGMENT, "segment": "new"}),
        ("挑战达人", "参加打卡挑战 3 轮及以上", {"kind": TagRule.Kind.CHALLENGES, "number": 3}),
        ("14天未到访", "连续 14 天没有签到、打卡或到店", {"kind": TagRule.Kind.NO_VISIT, "number": 14}),
        ("已验证手机", "已授权手机号", {"kind": TagRule.Kind.PHONE_VERIFIED}),
        # Profile facts the member gave (accounts.demo gives Bob a city and Alice a birthday).
        ("上海会员", "资料填写的城市为上海", {"kind": TagRule.Kind.CITY, "city": "上海"}),
        ("25-40岁", "按生日计算 25 至 40 岁", {"kind": TagRule.Kind.AGE_BAND, "age_min": 25, "age_max": 40}),
    ]
    channel = Channel.objects.filter(code=DEMO_CHANNEL_CODE).first()
    if channel is not None:
        tags.append(("前台来源", "通过前台渠道码注册", {"kind": TagRule.Kind.CHANNEL, "channel": channel}))
    product = Product.objects.filter(name="洗牙体验券").first()
    if product is not None:
        tags.append(("已兑换洗牙券", "兑换过洗牙体验券（未取消）", {"kind": TagRule.Kind.REDEEMED, "product": product}))
    return tags


def tags_seed() -> None:
    """The demo's tags: two manual ones and a few rule ones (their members come in seed_late)."""
    from core.models import Tag

    for name, description in MANUAL_TAGS:
        Tag.objects.get_or_create(name=name, defaults={"description": description, "kind": Tag.Kind.MANUAL})
    for name, description, rule in _rule_tags():
        tag, created = Tag.objects.get_or_create(
            name=name, defaults={"description": description, "kind": Tag.Kind.RULE}
        )
        if created:
            TagRule.objects.create(tag=tag, **rule)


def seed_late(stdout=None) -> None:
    """Once the demo members exist: Alice is a VIP (a manual tag), and every rule tag is computed."""
    from core.models import Tag, User
    from core.tags import tag_assign

    vip = Tag.objects.filter(name=VIP_TAG, kind=Tag.Kind.MANUAL).first()
    members = User.objects.filter(openid__in=[f"fake-{code}" for code in VIP_MEMBERS]).values_list("pk", flat=True)
    if vip is not None:
        tag_assign(tag=vip, user_ids=list(members))
    results = tags_compute()
    if stdout is not None:
        stdout.write("analytics: tags " + ", ".join(f"{name} {r[0]}" for name, r in results.items()))


# -- history ------------------------------------------------------------------------------------


@dataclass
class SimUser:
    user: object
    joined: dt.date
    engagement: float
    churned: bool = False


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return local_midnight(day) + dt.timedelta(hours=hour, minutes=minute)


def history_simulated() -> bool:
    from core.models import User

    return User.objects.filter(openid__startswith=f"fake-{HISTORY_CODE_PREFIX}").exists()


def history_simulate(*, days: int, stdout=None, seed_value: int = 2026) -> dict:
    """Simulate `days` days ending yesterday: arrivals through channels and invites, phone checks,
    sign-ins, the daily challenge (join, check in, settle) and redemptions, with activity decaying
    as users age. Idempotent: does nothing when a history exists. Returns counts of what it did."""
    from django.db import transaction

    from accounts.services import user_login_wechat, user_verify_phone
    from checkin.models import Challenge
    from checkin.services import challenge_join, checkin_create
    from checkin.services.settlement import rounds_settle_due
    from mall.models import Product
    from mall.services import redemption_create
    from points.services.ledger import account_for_user
    from points.services.signin import signin_create
    from referral.models import Channel, ReferralProfile
    from referral.services import referral_scan_record

    if history_simulated():
        if stdout is not None:
            stdout.write("analytics: a simulated history exists already; nothing to do")
        return {}
    rng = random.Random(seed_value)
    channels = []
    for code, name, kind in HISTORY_CHANNELS:
        channels.append(Channel.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})[0])
    channels += list(Channel.objects.exclude(code__in=[c.code for c in channels]).order_by("pk")[:2])
    daily = Challenge.objects.filter(kind=Challenge.Kind.DAILY, is_active=True).order_by("pk").first()
    products = list(Product.objects.filter(name__in=["口腔检查预约券", "洗牙体验券"]).order_by("price"))
    counts = {"users": 0, "signins": 0, "joins": 0, "checkins": 0, "redemptions": 0, "scans": 0}
    users: list[SimUser] = []
    joined_for: dict[dt.date, list[SimUser]] = {}
    today = local_today()
    first = today - dt.timedelta(days=days)
    sequence = 0

    def quietly(function, **kwargs):
        try:
            with transaction.atomic():
                return function(**kwargs)
        except ApplicationError:
            return None

    for n in range(days):
        day = first + dt.timedelta(days=n)
        weekend = day.weekday() >= 5
        # 1. Yesterday's joiners check in between 05:00 and 09:00, if still engaged.
        for sim in joined_for.pop(day, []):
            age = (day - sim.joined).days
            if not sim.churned and rng.random() < 0.55 + 0.4 * sim.engagement * math.exp(-age / 30):
                with replay_at(_at(day, 5, rng.randint(0, 230))):
                    if quietly(checkin_create, user=sim.user, challenge=daily):
                        counts["checkins"] += 1
        # 2. Due rounds settle after the window closes.
        with replay_at(_at(day, 9, 30)):
            rounds_settle_due()
        # 3. Arrivals: scans (some never register), then sign-ups through a channel, an invite or none.
        arrivals = rng.randint(3, 6) + (2 if weekend else 0)
        for _extra in range(rng.randint(1, 4)):
            channel = rng.choice(channels)
            with replay_at(_at(day, rng.randint(8, 21), rng.randint(0, 59))):
                if referral_scan_record(
                    code=channel.code, profile=None, channel=channel, user_agent=f"sim-{day}-{_extra}", client="sim"
                ):
                    counts["scans"] += 1
        for _arrival in range(arrivals):
            sequence += 1
            moment = _at(day, rng.randint(8, 21), rng.randint(0, 59))
            source = rng.random()
            referral = ""
            with replay_at(moment):
                active_inviters = [s for s in users if not s.churned and s.engagement > 0.5]
                if source < 0.35 and active_inviters:
                    inviter = rng.choice(active_inviters)
                    referral = ReferralProfile.objects.get(user=inviter.user).code
                    if rng.random() < 0.7:
                        profile = ReferralProfile.objects.get(user=inviter.user)
                        referral_scan_record(code=referral, profile=profile, channel=None, user_agent=f"u{sequence}")
                elif source < 0.8:
                    channel = rng.choice(channels)
                    referral = f"c={channel.code}"
                    referral_scan_record(code=channel.code, profile=None, channel=channel, user_agent=f"u{sequence}")
                user, _created = user_login_wechat(code=f"{HISTORY_CODE_PREFIX}{sequence:05d}", referral=referral)
                counts["users"] += 1
            if rng.random() < 0.65:
                with replay_at(moment + dt.timedelta(minutes=3)):
                    quietly(user_verify_phone, user=user, code=f"139{sequence:08d}")
            users.append(SimUser(user=user, joined=day, engagement=rng.uniform(0.15, 1.0)))
        # 4. Everyone else: sign in, join tomorrow's challenge round, redeem; fading with age.
        for sim in users:
            if sim.churned:
                continue
            age = (day - sim.joined).days
            if age > 0 and rng.random() < 0.02 + 0.03 * (1 - sim.engagement):
                sim.churned = True
                continue
            if rng.random() > sim.engagement * (0.25 + 0.75 * math.exp(-age / 10)):
                continue
            with replay_at(_at(day, rng.randint(7, 22), rng.randint(0, 59))):
                if quietly(signin_create, user=sim.user):
                    counts["signins"] += 1
                balance = account_for_user(sim.user).balance
                if daily is not None and balance >= 20 and rng.random() < 0.5:
                    stake = min(balance, rng.choice([10, 10, 20, 30, 50]))
                    if quietly(challenge_join, user=sim.user, challenge=daily, stake=stake):
                        counts["joins"] += 1
                        joined_for.setdefault(day + dt.timedelta(days=1), []).append(sim)
                        balance -= stake
                for product in products:
                    if balance >= product.price and rng.random() < 0.08:
                        if quietly(redemption_create, user=sim.user, product_id=product.pk):
                            counts["redemptions"] += 1
                            balance -= product.price
                        break
        if stdout is not None and (n + 1) % 10 == 0:
            stdout.write(f"analytics: simulated {n + 1}/{days} days, {len(users)} users")
    with replay_at(_at(today, 0, 5)):
        rounds_settle_due()
    # The figures the dashboard draws, as the nightly job would have computed them.
    from analytics.services import metrics_nightly, segments_compute

    metrics_nightly(today=today, days=days + 1)
    segments_compute(on=today - dt.timedelta(days=1))
    tags_compute(on=today - dt.timedelta(days=1))
    if stdout is not None:
        stdout.write("analytics: history " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
