"""Demo points rules: tasks (a 100-point welcome for every new user), the sign-in table, levels and
their privileges."""

from points.models import Level, PointsTask, SigninReward
from points.services.signin import signin_config

F = PointsTask.Frequency

DEMO_TASKS = [
    # code, title, points, growth, frequency, daily cap, client completable
    ("welcome", "新人礼", 100, 10, F.ONCE, 0, False),
    ("phone_verified", "绑定手机号", 50, 10, F.ONCE, 0, False),
    ("first_checkin", "完成首次打卡", 20, 10, F.ONCE, 0, False),
    ("profile_complete", "完善个人资料", 10, 5, F.ONCE, 0, False),
    # Paid to the inviter each time a friend qualifies (the referral rule decides when), 5 a day at most.
    ("invite_friend", "邀请好友", 10, 5, F.UNLIMITED, 5, False),
    # Paid to the sharer for each distinct friend who opens their share (a landing visit or a new user), 3 a day.
    ("share_opened", "好友打开你的分享", 5, 2, F.UNLIMITED, 3, False),
    ("read_article", "阅读口腔科普文章", 2, 1, F.UNLIMITED, 3, True),
]
DEMO_SIGNIN_REWARDS = [5, 5, 10, 10, 15, 15, 30]  # days 1..7
DEMO_LEVELS = [("青铜", 0), ("白银", 500), ("黄金", 2000), ("钻石", 5000)]
# Privileges by threshold (docs/membership.md): % off mall prices, extra makeup check-ins a month,
# extra lottery draws a day, birthday gift in points.
DEMO_PRIVILEGES = {
    0: (0, 0, 0, 0),
    500: (5, 1, 0, 50),
    2000: (10, 2, 1, 100),
    5000: (15, 3, 2, 200),
}
PRIVILEGE_FIELDS = (
    "discount_percent",
    "extra_makeups_per_month",
    "extra_lottery_draws_per_day",
    "birthday_gift_points",
)


def seed(stdout=None) -> None:
    for order, (code, title, points, growth, frequency, cap, client) in enumerate(DEMO_TASKS):
        PointsTask.objects.get_or_create(
            code=code,
            defaults={
                "title": title,
                "points": points,
                "growth": growth,
                "frequency": frequency,
                "daily_cap": cap,
                "client_completable": client,
                "sort_order": order,
            },
        )
    signin_config()  # created with a 7-day cycle, 20-point makeups, two a month
    for day, points in enumerate(DEMO_SIGNIN_REWARDS, start=1):
        SigninReward.objects.get_or_create(day=day, defaults={"points": points, "growth": 1})
    for name, threshold in DEMO_LEVELS:
        privileges = dict(zip(PRIVILEGE_FIELDS, DEMO_PRIVILEGES[threshold], strict=True))
        level, created = Level.objects.get_or_create(threshold=threshold, defaults={"name": name, **privileges})
        if not created and not any(getattr(level, field) for field in PRIVILEGE_FIELDS):
            # A demo seeded before levels had privileges: give them, unless an operator set some.
            Level.objects.filter(pk=level.pk).update(**privileges)
    if stdout is not None:
        stdout.write(
            f"points: {len(DEMO_TASKS)} tasks, {len(DEMO_SIGNIN_REWARDS)} sign-in days, levels with privileges"
        )
