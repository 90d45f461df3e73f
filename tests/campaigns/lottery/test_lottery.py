"""The draw service: allowance, cost, prizes, stock, the odds and their snapshot, idempotency."""

import datetime as dt
from collections import Counter

import pytest
import time_machine

from campaigns.lottery import services
from campaigns.lottery.models import LotteryDraw, LotteryPrize
from campaigns.lottery.selectors import lottery_allowance, lottery_odds, lottery_prizes, odds_published
from campaigns.lottery.services import lottery_draw
from core.clock import local_today, now
from core.exceptions import ApplicationError
from mall.models import Coupon, Order
from points.models import Signin, Transaction
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from points.services.tasks import task_complete_by_server
from referral.models import Referral
from tests.campaigns.lottery.factories import LotteryFactory, PrizeFactory, ProductFactory, give_points, nothing
from tests.factories import UserFactory
from tests.points.factories import PointsTaskFactory

pytestmark = pytest.mark.django_db


def code_of(call):
    with pytest.raises(ApplicationError) as exc:
        call()
    return exc.value.code


def test_the_first_draw_of_the_day_is_free_then_each_costs_the_price():
    lottery = LotteryFactory(cost=10, free_draws_per_day=1, daily_limit=3)
    PrizeFactory(lottery=lottery, points=5, weight=1)
    user = UserFactory()
    give_points(user, 30)

    first, created = lottery_draw(user=user, lottery_id=lottery.pk)
    second, _ = lottery_draw(user=user, lottery_id=lottery.pk)

    assert created and (first.free, first.cost, first.cost_transaction) == (True, 0, None)
    assert (second.free, second.cost) == (False, 10)
    assert second.cost_transaction.kind == services.KIND_COST
    assert (first.prize_kind, first.points_won, first.prize_transaction.kind) == ("points", 5, services.KIND_PRIZE)
    assert wallet_balance(user=user) == 30 + 5 + 5 - 10
    assert lottery_allowance(lottery=lottery, user=user).left == 1
    assert ledger_audit().ok


def test_the_daily_limit_counts_every_draw_and_a_new_day_starts_over():
    lottery = LotteryFactory(cost=1, free_draws_per_day=1, daily_limit=2)
    nothing(lottery)
    user = UserFactory()
    give_points(user, 10)
    lottery_draw(user=user, lottery_id=lottery.pk)
    lottery_draw(user=user, lottery_id=lottery.pk)

    assert code_of(lambda: lottery_draw(user=user, lottery_id=lottery.pk)) == "no_draws_left"
    with time_machine.travel(now() + dt.timedelta(days=1)):
        draw, _ = lottery_draw(user=user, lottery_id=lottery.pk)
        assert draw.free
    assert wallet_balance(user=user) == 9


def test_a_free_lottery_allows_the_free_draws_only():
    lottery = LotteryFactory(cost=0, free_draws_per_day=2, daily_limit=10)
    nothing(lottery)
    user = UserFactory()
    lottery_draw(user=user, lottery_id=lottery.pk)
    lottery_draw(user=user, lottery_id=lottery.pk)
    assert code_of(lambda: lottery_draw(user=user, lottery_id=lottery.pk)) == "no_draws_left"
    assert lottery_allowance(lottery=lottery, user=user).left == 0


def test_a_paid_draw_without_the_points_is_refused_and_changes_nothing():
    lottery = LotteryFactory(cost=10, free_draws_per_day=0)
    PrizeFactory(lottery=lottery, points=50)
    user = UserFactory()
    give_points(user, 9)

    assert code_of(lambda: lottery_draw(user=user, lottery_id=lottery.pk)) == "insufficient_points"
    assert wallet_balance(user=user) == 9
    assert not LotteryDraw.objects.exists()


def test_a_closed_or_unknown_lottery():
    user = UserFactory()
    closed = LotteryFactory(ends_at=now() - dt.timedelta(minutes=1))
    off = LotteryFactory(is_active=False)
    assert code_of(lambda: lottery_draw(user=user, lottery_id=closed.pk)) == "lottery_closed"
    assert code_of(lambda: lottery_draw(user=user, lottery_id=off.pk)) == "not_found"
    assert code_of(lambda: lottery_draw(user=user, lottery_id=999999)) == "not_found"


def test_signing_in_completing_a_task_and_a_qualified_invite_earn_free_draws():
    lottery = LotteryFactory(
        cost=0, free_draws_per_day=1, extra_draws_per_signin=2, extra_draws_per_task=1, daily_limit=10
    )
    user = UserFactory()
    assert lottery_allowance(lottery=lottery, user=user).left == 1
    Signin.objects.create(user=user, local_date=local_today(), streak=1)
    assert lottery_allowance(lottery=lottery, user=user).left == 3
    PointsTaskFactory(code="lottery_test", points=1)
    task_complete_by_server(user=user, code="lottery_test")
    allowance = lottery_allowance(lottery=lottery, user=user)
    assert (allowance.free, allowance.left) == (4, 4)

    lottery.extra_draws_per_invite = 3
    Referral.objects.create(inviter=user, invitee=UserFactory(), status=Referral.Status.QUALIFIED, qualified_at=now())
    Referral.objects.create(inviter=user, invitee=UserFactory())  # registered, not qualified: nothing
    yesterday = now() - dt.timedelta(days=1)
    Referral.objects.create(
        inviter=user, invitee=UserFactory(), status=Referral.Status.QUALIFIED, qualified_at=yesterday
    )
    assert lottery_allowance(lottery=lottery, user=user).free == 7


def test_a_product_prize_is_an_order_with_its_voucher_and_takes_both_stocks():
    product = ProductFactory(kind="voucher", stock=5, price=80)
    lottery = LotteryFactory(cost=0)
    prize = PrizeFactory(lottery=lottery, kind=LotteryPrize.Kind.PRODUCT, product=product, points=0, stock=2)
    user = UserFactory()

    draw, _ = lottery_draw(user=user, lottery_id=lottery.pk)

    assert draw.prize == prize and draw.order is not None
    assert (draw.order.points, draw.order.status) == (0, Order.Status.FULFILLED)
    assert Coupon.objects.filter(order=draw.order, user=user).count() == 1
    prize.refresh_from_db()
    product.refresh_from_db()
    assert (prize.stock, product.stock) == (1, 4)


def test_a_prize_out_of_stock_gives_its_weight_to_nothing_and_the_odds_say_so():
    lottery = LotteryFactory(cost=0, free_draws_per_day=5)
    gone = PrizeFactory(lottery=lottery, points=100, weight=3, stock=0)
    kept = PrizeFactory(lottery=lottery, points=5, weight=1)
    none = nothing(lottery, weight=1)

    odds = lottery_odds(prizes=lottery_prizes(lottery=lottery))
    published = {row["id"]: row["probability"] for row in odds_published(odds)}
    assert published == {gone.pk: 0.0, kept.pk: 0.2, none.pk: 0.8}

    draws = [lottery_draw(user=UserFactory(), lottery_id=lottery.pk)[0] for _ in range(20)]
    assert all(d.prize_id != gone.pk for d in draws)
    snapshot = draws[0].odds
    assert snapshot["total"] == 5 and 0 <= snapshot["roll"] < 5
    row = next(r for r in snapshot["prizes"] if r["id"] == gone.pk)
    assert (row["configured_weight"], row["stock"], row["weight"]) == (3, 0, 0)


def test_without_a_none_prize_the_published_odds_add_thanks_for_taking_part():
    lottery = LotteryFactory(cost=0)
    gone = PrizeFactory(lottery=lottery, weight=1, stock=0)
    kept = PrizeFactory(lottery=lottery, weight=1)
    published = odds_published(lottery_odds(prizes=lottery_prizes(lottery=lottery)))
    assert [(r["id"], r["kind"], r["probability"]) for r in published] == [
        (gone.pk, "points", 0.0),
        (kept.pk, "points", 0.5),
        (None, "none", 0.5),
    ]
    assert sum(r["probability"] for r in published) == 1

    user = UserFactory()
    draw, _ = lottery_draw(user=user, lottery_id=lottery.pk)
    assert draw.prize_id in (kept.pk, None)


def test_the_last_unit_goes_once_and_the_next_draw_rolls_again(monkeypatch):
    lottery = LotteryFactory(cost=0, free_draws_per_day=5)
    prize = PrizeFactory(lottery=lottery, points=7, weight=1, stock=1)
    nothing(lottery, weight=1)
    monkeypatch.setattr(services.secrets, "randbelow", lambda n: 0)  # always lands on the first outcome

    first, _ = lottery_draw(user=UserFactory(), lottery_id=lottery.pk)
    second, _ = lottery_draw(user=UserFactory(), lottery_id=lottery.pk)

    assert first.prize == prize and second.prize.kind == "none"
    prize.refresh_from_db()
    assert prize.stock == 0


def test_the_mall_refusing_a_product_turns_it_into_nothing_for_that_draw(monkeypatch):
    product = ProductFactory(kind="voucher", stock=5, per_user_limit=1)
    lottery = LotteryFactory(cost=0, free_draws_per_day=5)
    prize = PrizeFactory(lottery=lottery, kind=LotteryPrize.Kind.PRODUCT, product=product, points=0, stock=5)
    nothing(lottery, weight=1)
    monkeypatch.setattr(services.secrets, "randbelow", lambda n: 0)
    user = UserFactory()

    first, _ = lottery_draw(user=user, lottery_id=lottery.pk)
    second, _ = lottery_draw(user=user, lottery_id=lottery.pk)  # the per-user limit of 1 is reached

    assert first.prize == prize and second.prize.kind == "none"
    assert second.odds["excluded"] == [prize.pk] and second.odds["rolls"] == 2
    prize.refresh_from_db()
    assert prize.stock == 4 and Order.objects.filter(user=user).count() == 1


def test_the_same_idempotency_key_returns_the_first_draw_and_draws_nothing():
    lottery = LotteryFactory(cost=10, free_draws_per_day=0)
    PrizeFactory(lottery=lottery, points=3)
    user = UserFactory()
    give_points(user, 100)

    first, created = lottery_draw(user=user, lottery_id=lottery.pk, idempotency_key="k-1")
    again, created_again = lottery_draw(user=user, lottery_id=lottery.pk, idempotency_key="k-1")

    assert created and not created_again and again.pk == first.pk
    assert LotteryDraw.objects.count() == 1
    assert wallet_balance(user=user) == 100 - 10 + 3
    assert Transaction.objects.filter(kind=services.KIND_COST).count() == 1


def test_a_roll_lands_on_the_prize_whose_weight_covers_it():
    odds = {
        "prizes": [{"id": 1, "weight": 2}, {"id": 2, "weight": 0}, {"id": 3, "weight": 3}],
        "no_prize": {"weight": 1},
    }
    assert [services.lottery_roll(odds, r) for r in range(6)] == [1, 1, 3, 3, 3, None]


def test_the_odds_converge_to_the_published_ones():
    """3,000 draws at the service level: Pearson's chi-square against the published odds stays under
    the 0.01% critical value for 3 degrees of freedom (21.11), so a fair wheel fails 1 run in 10,000."""
    lottery = LotteryFactory(cost=0, free_draws_per_day=10_000, daily_limit=10_000)
    prizes = [
        PrizeFactory(lottery=lottery, points=1, weight=50),
        PrizeFactory(lottery=lottery, points=2, weight=30),
        PrizeFactory(lottery=lottery, points=3, weight=15),
        nothing(lottery, weight=5),
    ]
    published = {
        r["id"]: r["probability"] for r in odds_published(lottery_odds(prizes=lottery_prizes(lottery=lottery)))
    }
    user = UserFactory()
    draws = 3000

    for _ in range(draws):
        lottery_draw(user=user, lottery_id=lottery.pk)

    seen = Counter(LotteryDraw.objects.filter(lottery=lottery).values_list("prize_id", flat=True))
    chi_square = sum((seen[p.pk] - draws * published[p.pk]) ** 2 / (draws * published[p.pk]) for p in prizes)
    assert sum(seen.values()) == draws
    assert chi_square < 21.11, (chi_square, seen)
    assert ledger_audit().ok
