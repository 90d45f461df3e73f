"""The lottery under real concurrency: threads against PostgreSQL, each scenario ending with a clean audit."""

import pytest

from campaigns.lottery.models import LotteryDraw, LotteryPrize
from campaigns.lottery.services import lottery_draw
from mall.models import Coupon, Order
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from tests.campaigns.lottery.factories import LotteryFactory, PrizeFactory, ProductFactory, give_points
from tests.factories import UserFactory
from tests.reliability.helpers import run_together, while_held

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def drew(results):
    return [r for r in results if isinstance(r, tuple)]


def test_a_points_prize_is_never_oversold_under_concurrent_draws():
    # Given a paid lottery whose only prize has 3 left
    lottery = LotteryFactory(cost=10, free_draws_per_day=0)
    prize = PrizeFactory(lottery=lottery, points=100, weight=1, stock=3)
    users = [UserFactory() for _ in range(12)]
    for user in users:
        give_points(user, 10)

    # When twelve users draw at once
    results = run_together(*[lambda u=u: lottery_draw(user=u, lottery_id=lottery.pk) for u in users])

    # Then three win it, nine pay and get nothing (the out-of-stock weight went to no prize)
    draws = drew(results)
    assert len(draws) == 12
    won = [d for d, _created in draws if d.prize_id == prize.pk]
    assert len(won) == 3
    assert all(d.prize_id is None for d, _created in draws if d not in won)
    prize.refresh_from_db()
    assert prize.stock == 0
    assert sorted(wallet_balance(user=u) for u in users) == [0] * 9 + [100] * 3
    assert ledger_audit().ok


def test_a_product_prize_is_never_oversold_and_takes_the_mall_stock_once_each():
    product = ProductFactory(kind="voucher", stock=4)
    lottery = LotteryFactory(cost=0)
    prize = PrizeFactory(lottery=lottery, kind=LotteryPrize.Kind.PRODUCT, product=product, points=0, stock=None)
    users = [UserFactory() for _ in range(10)]

    results = run_together(*[lambda u=u: lottery_draw(user=u, lottery_id=lottery.pk) for u in users])

    won = [d for d, _created in drew(results) if d.prize_id == prize.pk]
    assert len(won) == 4 and len(drew(results)) == 10
    product.refresh_from_db()
    assert product.stock == 0
    assert Order.objects.filter(product=product).count() == 4
    assert Coupon.objects.filter(product=product).count() == 4
    assert ledger_audit().ok


def test_one_idempotency_key_sent_five_times_at_once_draws_once():
    lottery = LotteryFactory(cost=10, free_draws_per_day=0)
    PrizeFactory(lottery=lottery, points=1, weight=1)
    user = UserFactory()
    give_points(user, 100)

    results = run_together(
        *[lambda: lottery_draw(user=user, lottery_id=lottery.pk, idempotency_key="tap-1") for _ in range(5)]
    )

    assert len({draw.pk for draw, _created in drew(results)}) == 1
    assert sum(created for _draw, created in drew(results)) == 1
    assert LotteryDraw.objects.count() == 1
    assert wallet_balance(user=user) == 100 - 10 + 1
    assert ledger_audit().ok


def test_the_daily_limit_holds_when_one_user_taps_at_once():
    lottery = LotteryFactory(cost=5, free_draws_per_day=1, daily_limit=3)
    PrizeFactory(lottery=lottery, points=1, weight=1)
    user = UserFactory()
    give_points(user, 100)

    results = run_together(*[lambda: lottery_draw(user=user, lottery_id=lottery.pk) for _ in range(6)])

    assert len(drew(results)) == 3
    assert sorted(r for r in results if not isinstance(r, tuple)) == ["no_draws_left"] * 3
    assert wallet_balance(user=user) == 100 - 2 * 5 + 3
    assert ledger_audit().ok


def test_a_draw_in_progress_does_not_hold_up_another_users_draw():
    """Each draw of a wheel with points prizes locks an issuance account to its commit: one row
    for every draw of the site made them go one at a time. Members draw from their own shard."""
    from points.services.ledger import SHARDS

    first, second = UserFactory(), UserFactory()
    while second.pk % SHARDS == first.pk % SHARDS:
        second = UserFactory()
    lottery = LotteryFactory(cost=1, free_draws_per_day=0)
    PrizeFactory(lottery=lottery, points=5, weight=1, stock=None)  # every draw wins 5 points
    for user in (first, second):
        give_points(user, 10)

    results = while_held(
        lambda: lottery_draw(user=first, lottery_id=lottery.pk),
        lambda: lottery_draw(user=second, lottery_id=lottery.pk),
    )

    assert len(drew(results)) == 2, results
    assert wallet_balance(user=first) == wallet_balance(user=second) == 10 - 1 + 5
    assert ledger_audit().ok
