"""Distribution commission (分销): an inviter earns a share of what their friends pay in points at
the mall, held until the order completes, paid once, void when the order is cancelled.

The mall is above referral: it calls these with the facts of an order (its id, buyer, price, when
it was placed and where it stands) and referral never reads the mall.

Lock order (docs/concurrency.md): a commission is the inviter's, so it is decided and paid in the
inviter's own transaction (`mall.tasks.order_commission_task`, queued when the order's own
transaction commits), under the inviter's member lock: that lock is what makes the monthly cap
hold when several friends of one inviter redeem at once. Then the order (the mall's row, locked by
the caller), then the commission row, then issuance and the inviter's wallet. A cancelled order
voids its held commission in the cancelling transaction instead (the buyer's member lock, the
order, then the commission row), before that transaction's postings. Paying posts issuance ->
the inviter's wallet under the key `commission:<id>`, so it happens once however often it runs;
a held or void commission has posted nothing.
"""

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.clock import now
from core.locks import lock_one, require_member
from points.models import Transaction
from points.services.ledger import account_for_user, account_issuance, ledger_post
from referral.models import Commission, CommissionRule, Referral
from referral.selectors import commission_rule_current

# Where the order stands, as the mall tells it.
PENDING = "pending"  # placed and standing, not yet completed
COMPLETED = "completed"  # vouchers verified, goods received: the commission is earned
CANCELLED = "cancelled"  # refunded: a held commission is void
OUTCOMES = (PENDING, COMPLETED, CANCELLED)

COUNTING = [Commission.Status.HELD, Commission.Status.PAID]


def commission_key(commission_id: int) -> str:
    return f"commission:{commission_id}"


def commission_amount(*, price: int, rule: CommissionRule) -> int:
    """The rule's share of `price` points, rounded down to a whole point."""
    share = Decimal(price) * rule.percent / Decimal(100)
    return int(share.to_integral_value(rounding=ROUND_DOWN))


def _month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


def commission_month_total(*, inviter_id: int, day: dt.date) -> int:
    """Points of the inviter's held and paid commissions in `day`'s calendar month (what the cap counts)."""
    first, following = _month_bounds(day)
    return Commission.objects.filter(
        inviter_id=inviter_id, status__in=COUNTING, local_date__gte=first, local_date__lt=following
    ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]


def _commission_create(*, invitee_id: int, order_id: int, price: int, ordered_at: dt.datetime) -> Commission | None:
    referral = Referral.objects.select_related("inviter").filter(invitee_id=invitee_id).first()
    if referral is None or referral.status == Referral.Status.REJECTED or not referral.inviter.is_active:
        return None
    require_member(referral.inviter_id)  # the monthly cap is the inviter's invariant
    rule = commission_rule_current(at=ordered_at)
    if rule is None:
        return None
    if rule.days and ordered_at > referral.created_at + dt.timedelta(days=rule.days):
        return None
    full = commission_amount(price=price, rule=rule)
    if full <= 0:
        return None
    day = timezone.localdate(ordered_at)
    amount, capped = full, False
    if rule.monthly_cap:
        left = max(0, rule.monthly_cap - commission_month_total(inviter_id=referral.inviter_id, day=day))
        if full > left:
            amount, capped = left, True
    try:
        with transaction.atomic():
            return Commission.objects.create(
                rule=rule,
                referral=referral,
                inviter_id=referral.inviter_id,
                invitee_id=invitee_id,
                order=order_id,
                price=price,
                amount=amount,
                capped=capped,
                status=Commission.Status.HELD if amount else Commission.Status.VOID,
                reason="" if amount else Commission.Reason.CAPPED,
                local_date=day,
                settled_at=None if amount else now(),
            )
    except IntegrityError:  # the order's commission exists (the caller's order lock makes this rare)
        return Commission.objects.filter(order=order_id).first()


def _commission_pay(*, commission: Commission) -> None:
    commission.transaction = ledger_post(
        kind=Transaction.Kind.COMMISSION,
        key=commission_key(commission.pk),
        legs=[(account_issuance(), -commission.amount), (account_for_user(commission.inviter), commission.amount)],
        memo=f"分销佣金: 订单 {commission.order}",
        metadata={"commission": commission.pk, "order": commission.order, "invitee": commission.invitee_id},
    )
    commission.status, commission.settled_at = Commission.Status.PAID, now()
    commission.save(update_fields=["transaction", "status", "settled_at"])


def _commission_void(*, commission: Commission) -> None:
    commission.status, commission.reason, commission.settled_at = (
        Commission.Status.VOID,
        Commission.Reason.REFUNDED,
        now(),
    )
    commission.save(update_fields=["status", "reason", "settled_at"])


def commission_settle(
    *, invitee_id: int, order_id: int, price: int, ordered_at: dt.datetime, outcome: str
) -> Commission | None:
    """Bring the commission of one order in line with where the order stands, in the inviter's
    transaction: the caller holds the inviter's member lock and the order's row lock.

    A standing order without a commission gets one (held; void at once when the monthly cap left
    nothing), if a rule applies: the newest active rule at `ordered_at`, the buyer bound to an
    inviter no more than the rule's days before, and a share of at least one point. A completed
    order's held commission is paid; a cancelled order's is void. Running it again changes nothing.
    Returns the commission, or None when the order earns none."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown order outcome {outcome!r}")
    commission = lock_one(Commission.objects.select_related("inviter").filter(order=order_id))
    if commission is None:
        if outcome == CANCELLED or price <= 0:
            return None
        commission = _commission_create(invitee_id=invitee_id, order_id=order_id, price=price, ordered_at=ordered_at)
        if commission is None:
            return None
    if commission.status == Commission.Status.HELD:
        if outcome == COMPLETED:
            _commission_pay(commission=commission)
        elif outcome == CANCELLED:
            _commission_void(commission=commission)
    return commission


def commission_void(*, order_id: int) -> Commission | None:
    """The order is being cancelled (the caller holds its lock, before any of its postings): its
    held commission becomes void and nothing is posted. A paid commission stays paid: the mall
    never cancels a completed order, and completion is what pays (docs/commission.md)."""
    commission = lock_one(Commission.objects.filter(order=order_id))
    if commission is not None and commission.status == Commission.Status.HELD:
        _commission_void(commission=commission)
    return commission
