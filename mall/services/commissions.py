"""Distribution commission on orders (分销, docs/commission.md): what the mall tells referral.

A commission is the inviter's reward for someone else's order, so it is decided and paid in the
inviter's own transaction once the order's transaction commits (`order_commission_queue` ->
`mall.tasks.order_commission_task` -> `order_commission_apply`): the inviter's member lock, then
the order row, then the commission. Only a cancellation acts inline (`order_commission_void`,
under the buyer's member lock and the order's, before the refund posts)."""

from django.db import transaction

from core.celery import enqueue_on_commit
from core.locks import lock_members, retry_on_conflict
from mall.models import Order
from mall.services.orders import order_lock
from referral.selectors import commission_may_apply, referral_inviter_id
from referral.services import commission_settle, commission_void
from referral.services.commissions import CANCELLED, COMPLETED, PENDING

_WAITING = (Order.Status.AWAITING_GROUP, Order.Status.AWAITING_ASSIST)


def _outcome(order: Order) -> str | None:
    """Where the order stands for its commission: None while it waits for a group or an assist."""
    if order.status == Order.Status.CANCELLED:
        return CANCELLED
    if order.status in _WAITING:
        return None
    if order.status == Order.Status.COMPLETED:
        return COMPLETED
    return PENDING


def order_commission_queue(*, order: Order, placed: bool = False) -> None:
    """After the current transaction commits, settle the order's commission in the inviter's own
    transaction: call it where an order comes to stand (`placed`: just created) or completes.
    Orders of nobody's friend, gifts, and any order while no rule is active queue nothing."""
    if order.points <= 0:
        return
    if commission_may_apply(invitee_id=order.user_id, order_id=None if placed else order.pk):
        enqueue_on_commit("mall.tasks.order_commission_task", order.pk)


@retry_on_conflict
@transaction.atomic
def order_commission_apply(*, order_id: int):
    """The inviter's side of an order: create its commission (held), pay it once the order is
    completed, void it once cancelled. Safe to run any number of times, in any order."""
    row = Order.objects.filter(pk=order_id).values_list("user_id", "points").first()
    if row is None or row[1] <= 0:
        return None
    inviter_id = referral_inviter_id(invitee_id=row[0])
    if inviter_id is None:
        return None
    lock_members(inviter_id)  # the monthly cap holds across the inviter's friends
    order = order_lock(order_id)
    outcome = _outcome(order)
    if outcome is None:
        return None
    return commission_settle(
        invitee_id=order.user_id,
        order_id=order.pk,
        price=order.points,
        ordered_at=order.created_at,
        outcome=outcome,
    )


def order_commission_void(*, order: Order) -> None:
    """The order is being cancelled, under its owner's member lock and its own row lock, before
    the refund's postings: its held commission becomes void (nothing was posted for it)."""
    if order.points > 0:
        commission_void(order_id=order.pk)
