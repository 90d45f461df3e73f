"""Demo points rules: tasks (a 100-point welcome for every new user), the sign-in table, levels."""

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
    ("share_app", "分享小程序", 5, 2, F.DAILY, 0, True),
    ("read_article", "阅读口腔科普文章", 2, 1, F.UNLIMITED, 3, True),
]
DEMO_SIGNIN_REWARDS = [5, 5, 10, 10, 15, 15, 30]  # days 1..7
DEMO_LEVELS = [("青铜", 0), ("白银", 500), ("黄金", 2000), ("钻石", 5000)]


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
        Level.objects.get_or_create(threshold=threshold, defaults={"name": name})
    if stdout is not None:
        stdout.write(f"points: {len(DEMO_TASKS)} tasks, {len(DEMO_SIGNIN_REWARDS)} sign-in days, levels")
    seed_mall(stdout=stdout)


# -- points mall --------------------------------------------------------------------------------

DEMO_PRODUCTS = [
    # name, kind, price, stock (None: unlimited), per-user limit, category, description
    ("洗牙体验券", "voucher", 80, 5, 1, "到店体验", "到店洗牙一次，凭券码核销。"),
    ("电动牙刷", "physical", 2000, 10, 0, "实物", "声波电动牙刷一支，可邮寄或到店自提。"),
    ("口腔检查预约券", "voucher", 50, None, 0, "到店体验", "口腔检查一次，凭券码核销。"),
]
DEMO_SLOT_ITEMS = [
    # title, link type, target (a product name resolves to its id), sort order
    ("洗牙体验券限量兑换", "product", "洗牙体验券", 1),
    ("早起打卡挑战", "page", "/pages/challenges/index", 2),
]


def seed_mall(stdout=None) -> None:
    """The demo mall: three products, a store, the operator and store-staff groups, a home banner."""
    from core.models import Slot, SlotItem
    from core.slots import slot_cache_clear
    from points.models import Product, Store
    from points.services.mall import roles_seed

    roles_seed()
    Store.objects.get_or_create(name="示范门店", defaults={"address": "上海市示范路 1 号"})
    products = {}
    for order, (name, kind, price, stock, limit, category, description) in enumerate(DEMO_PRODUCTS):
        products[name], _created = Product.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "price": price,
                "stock": stock,
                "per_user_limit": limit,
                "category": category,
                "description": description,
                "sort_order": order,
            },
        )
    slot, _created = Slot.objects.get_or_create(key="home_banner", defaults={"name": "首页轮播"})
    for title, link_type, target, order in DEMO_SLOT_ITEMS:
        if target in products:
            target = str(products[target].pk)
        SlotItem.objects.get_or_create(
            slot=slot, title=title, defaults={"link_type": link_type, "target": target, "sort_order": order}
        )
    slot_cache_clear(key=slot.key)
    if stdout is not None:
        stdout.write(f"mall: {len(DEMO_PRODUCTS)} products, a store, a home_banner slot, operator and staff groups")
