"""Demo lottery: a wheel (幸运大转盘) with points, a voucher and 谢谢参与. Idempotent."""

from campaigns.lottery.models import Lottery, LotteryPrize
from mall.models import Product

DEMO_LOTTERY_TITLE = "幸运大转盘"
DEMO_LOTTERY_PRODUCT = "抽奖专享·牙线套装"
# name, kind, points, weight, stock (None: no limit)
DEMO_PRIZES = [
    ("5 积分", LotteryPrize.Kind.POINTS, 5, 40, None),
    ("20 积分", LotteryPrize.Kind.POINTS, 20, 15, None),
    ("100 积分", LotteryPrize.Kind.POINTS, 100, 2, 50),
    (DEMO_LOTTERY_PRODUCT, LotteryPrize.Kind.PRODUCT, 0, 3, 10),
    ("谢谢参与", LotteryPrize.Kind.NONE, 0, 40, None),
]


def seed_lottery(stdout=None) -> None:
    """One free draw a day, one more for the day's sign-in, then 10 points a draw, at most 5 a day.
    The voucher prize is kept out of the mall's shelves: it is only won."""
    product, _created = Product.objects.get_or_create(
        name=DEMO_LOTTERY_PRODUCT,
        defaults={
            "kind": Product.Kind.VOUCHER,
            "price": 50,
            "stock": 20,
            "per_user_limit": 0,
            "is_active": False,
            "description": "抽奖获得，到店出示券码领取牙线套装",
        },
    )
    lottery, created = Lottery.objects.get_or_create(
        title=DEMO_LOTTERY_TITLE,
        defaults={
            "kind": Lottery.Kind.WHEEL,
            "cost": 10,
            "free_draws_per_day": 1,
            "extra_draws_per_signin": 1,
            "daily_limit": 5,
        },
    )
    if created:
        LotteryPrize.objects.bulk_create(
            LotteryPrize(
                lottery=lottery,
                name=name,
                kind=kind,
                points=points,
                product=product if kind == LotteryPrize.Kind.PRODUCT else None,
                weight=weight,
                stock=stock,
                sort_order=position,
            )
            for position, (name, kind, points, weight, stock) in enumerate(DEMO_PRIZES)
        )
    if stdout is not None:
        stdout.write("campaigns: lottery 幸运大转盘 ready")
