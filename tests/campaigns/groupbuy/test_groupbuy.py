import datetime as dt

import pytest
import time_machine
from django.db.models import Sum

from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyMember
from campaigns.groupbuy.services import (
    groupbuy_group_expire,
    groupbuy_group_join,
    groupbuy_group_open,
    groupbuys_expire_due,
)
from campaigns.tasks import group_expire_task, groups_expire_due_task
from core.clock import now
from core.exceptions import ApplicationError
from mall.models import Coupon, Order, Product
from mall.services import redemption_cancel, redemption_create
from points.models import Account, Transaction
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from points.services.ledger import account_escrow, account_sink
from referral.models import Referral
from tests.campaigns.groupbuy.factories import GroupBuyOfferFactory, give_points
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def rich_user(points=100, **kwargs):
    user = UserFactory(**kwargs)
    give_points(user, points)
    return user


def sink_balance():
    return Account.objects.get(pk=account_sink().pk).balance


def test_open_takes_stock_points_and_an_awaiting_order():
    offer = GroupBuyOfferFactory()
    leader = rich_user()
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    assert group.status == GroupBuyGroup.Status.OPEN
    assert group.member_count == 1
    assert abs(group.expires_at - (now() + dt.timedelta(hours=24))) < dt.timedelta(seconds=5)
    order = Order.objects.get(user=leader)
    assert order.status == Order.Status.AWAITING_GROUP
    assert order.points == 30
    assert order.transaction.key == f"groupbuy:join:{group.members.get().pk}"
    assert wallet_balance(user=leader) == 70
    assert account_escrow(group.pk).balance == 30
    assert Product.objects.get(pk=offer.product_id).stock == 9
    assert ledger_audit().ok


def test_full_group_succeeds_fulfils_orders_and_moves_escrow_to_sink():
    offer = GroupBuyOfferFactory()
    leader, second, third = rich_user(), rich_user(), rich_user()
    sink_before = sink_balance()
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    groupbuy_group_join(user=second, group_id=group.pk)
    assert GroupBuyGroup.objects.get(pk=group.pk).status == GroupBuyGroup.Status.OPEN
    group = groupbuy_group_join(user=third, group_id=group.pk)

    group.refresh_from_db()
    assert group.status == GroupBuyGroup.Status.SUCCEEDED
    assert group.member_count == 3
    orders = Order.objects.filter(product=offer.product)
    assert sorted(orders.values_list("status", flat=True)) == [Order.Status.FULFILLED] * 3
    assert Coupon.objects.filter(order__in=orders, status=Coupon.Status.UNUSED).count() == 3
    assert account_escrow(group.pk).balance == 0
    assert sink_balance() - sink_before == 90
    assert Transaction.objects.filter(key=f"groupbuy:settle:{group.pk}").count() == 1
    assert [wallet_balance(user=u) for u in (leader, second, third)] == [70, 70, 70]
    assert Product.objects.get(pk=offer.product_id).stock == 7
    assert ledger_audit().ok


def test_physical_product_orders_wait_for_operators_after_success():
    offer = GroupBuyOfferFactory(product__kind=Product.Kind.PHYSICAL, group_size=2)
    leader, friend = rich_user(), rich_user()
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    groupbuy_group_join(user=friend, group_id=group.pk)
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.CREATED}
    assert not Coupon.objects.exists()


def test_expiry_refunds_every_member_and_returns_stock():
    offer = GroupBuyOfferFactory()
    leader, friend = rich_user(), rich_user()
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    groupbuy_group_join(user=friend, group_id=group.pk)
    assert groupbuy_group_expire(group_id=group.pk) is False  # not due yet
    with time_machine.travel(group.expires_at + dt.timedelta(seconds=1)):
        assert groupbuy_group_expire(group_id=group.pk) is True
    group.refresh_from_db()
    assert group.status == GroupBuyGroup.Status.FAILED
    assert wallet_balance(user=leader) == 100 and wallet_balance(user=friend) == 100
    assert account_escrow(group.pk).balance == 0
    assert Product.objects.get(pk=offer.product_id).stock == 10
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.CANCELLED}
    for member in GroupBuyMember.objects.filter(group=group):
        assert member.refund.key == f"groupbuy:refund:{member.pk}"
        assert member.refund.refund_of_id == member.transaction_id
        assert member.order.refund_id == member.refund_id
    assert ledger_audit().ok


def test_expiry_twice_and_task_delivered_twice_refund_once():
    offer = GroupBuyOfferFactory()
    leader = rich_user()
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    with time_machine.travel(group.expires_at + dt.timedelta(minutes=1)):
        group_expire_task.apply(args=[group.pk])
        group_expire_task.apply(args=[group.pk])
        assert groups_expire_due_task.apply().get() == 0
        assert groupbuys_expire_due() == 0
    assert Transaction.objects.filter(kind=Transaction.Kind.REFUND).count() == 1
    assert wallet_balance(user=leader) == 100
    assert ledger_audit().ok


def test_sweep_fails_only_due_open_groups():
    offer = GroupBuyOfferFactory(group_size=2)
    due = groupbuy_group_open(user=rich_user(), offer_id=offer.pk)
    full = groupbuy_group_open(user=rich_user(), offer_id=offer.pk)
    groupbuy_group_join(user=rich_user(), group_id=full.pk)
    with time_machine.travel(now() + dt.timedelta(hours=2)):
        later = groupbuy_group_open(user=rich_user(), offer_id=offer.pk)
    with time_machine.travel(due.expires_at + dt.timedelta(minutes=1)):
        assert groupbuys_expire_due() == 1
    statuses = dict(GroupBuyGroup.objects.values_list("pk", "status"))
    assert statuses == {
        due.pk: GroupBuyGroup.Status.FAILED,
        full.pk: GroupBuyGroup.Status.SUCCEEDED,
        later.pk: GroupBuyGroup.Status.OPEN,
    }


def test_late_task_after_success_changes_nothing():
    offer = GroupBuyOfferFactory(group_size=2)
    group = groupbuy_group_open(user=rich_user(), offer_id=offer.pk)
    groupbuy_group_join(user=rich_user(), group_id=group.pk)
    with time_machine.travel(group.expires_at + dt.timedelta(hours=1)):
        assert groupbuy_group_expire(group_id=group.pk) is False
    assert GroupBuyGroup.objects.get(pk=group.pk).status == GroupBuyGroup.Status.SUCCEEDED
    assert not Transaction.objects.filter(kind=Transaction.Kind.REFUND).exists()


def _code(callable_):
    with pytest.raises(ApplicationError) as caught:
        callable_()
    return caught.value.code, caught.value.status


def test_error_codes():
    offer = GroupBuyOfferFactory(group_size=2)
    leader, friend, late = rich_user(), rich_user(), rich_user()
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    assert _code(lambda: groupbuy_group_join(user=leader, group_id=group.pk)) == ("already_member", 409)
    poor = rich_user(points=10)
    assert _code(lambda: groupbuy_group_join(user=poor, group_id=group.pk)) == ("insufficient_points", 400)
    groupbuy_group_join(user=friend, group_id=group.pk)
    assert _code(lambda: groupbuy_group_join(user=late, group_id=group.pk)) == ("group_full", 409)
    assert _code(lambda: groupbuy_group_join(user=late, group_id=10**9)) == ("not_found", 404)
    assert GroupBuyMember.objects.filter(group=group).count() == 2
    assert wallet_balance(user=poor) == 10 and wallet_balance(user=late) == 100


def test_join_after_deadline_is_closed_before_the_sweep():
    offer = GroupBuyOfferFactory()
    group = groupbuy_group_open(user=rich_user(), offer_id=offer.pk)
    friend = rich_user()
    with time_machine.travel(group.expires_at):
        assert _code(lambda: groupbuy_group_join(user=friend, group_id=group.pk)) == ("group_closed", 409)
    assert GroupBuyGroup.objects.get(pk=group.pk).status == GroupBuyGroup.Status.OPEN
    assert wallet_balance(user=friend) == 100


def test_join_failed_group_is_closed():
    offer = GroupBuyOfferFactory()
    group = groupbuy_group_open(user=rich_user(), offer_id=offer.pk)
    groupbuy_group_expire(group_id=group.pk, force=True)
    assert _code(lambda: groupbuy_group_join(user=rich_user(), group_id=group.pk)) == ("group_closed", 409)


def test_out_of_stock():
    offer = GroupBuyOfferFactory(product__stock=1)
    group = groupbuy_group_open(user=rich_user(), offer_id=offer.pk)
    friend = rich_user()
    assert _code(lambda: groupbuy_group_join(user=friend, group_id=group.pk)) == ("out_of_stock", 409)
    assert _code(lambda: groupbuy_group_open(user=friend, offer_id=offer.pk)) == ("out_of_stock", 409)
    assert wallet_balance(user=friend) == 100
    assert not GroupBuyMember.objects.filter(user=friend).exists()
    assert GroupBuyGroup.objects.count() == 1  # the refused open rolled back


def test_join_counts_toward_per_user_limit():
    offer = GroupBuyOfferFactory(product__per_user_limit=1)
    leader = rich_user(points=300)
    groupbuy_group_open(user=leader, offer_id=offer.pk)
    assert _code(lambda: redemption_create(user=leader, product_id=offer.product_id)) == ("limit_reached", 409)
    assert _code(lambda: groupbuy_group_open(user=leader, offer_id=offer.pk)) == ("limit_reached", 409)


def test_awaiting_order_cannot_be_cancelled_in_the_mall():
    offer = GroupBuyOfferFactory()
    leader = rich_user()
    groupbuy_group_open(user=leader, offer_id=offer.pk)
    order = Order.objects.get(user=leader)
    assert _code(lambda: redemption_cancel(order=order, actor=leader, by_customer=True)) == ("invalid_state", 409)
    assert wallet_balance(user=leader) == 70


def test_offer_limits():
    offer = GroupBuyOfferFactory(groups_per_user=1, total_groups=2)
    leader = rich_user()
    groupbuy_group_open(user=leader, offer_id=offer.pk)
    assert _code(lambda: groupbuy_group_open(user=leader, offer_id=offer.pk)) == ("limit_reached", 409)
    groupbuy_group_open(user=rich_user(), offer_id=offer.pk)
    assert _code(lambda: groupbuy_group_open(user=rich_user(), offer_id=offer.pk)) == ("offer_sold_out", 409)
    offer.is_active = False
    offer.save()
    assert _code(lambda: groupbuy_group_open(user=rich_user(), offer_id=offer.pk)) == ("not_found", 404)


def test_offer_outside_window_is_closed():
    offer = GroupBuyOfferFactory(ends_at=now() - dt.timedelta(hours=1))
    assert _code(lambda: groupbuy_group_open(user=rich_user(), offer_id=offer.pk)) == ("offer_closed", 409)


def test_new_users_only():
    offer = GroupBuyOfferFactory(new_users_only=True)
    group = groupbuy_group_open(user=rich_user(), offer_id=offer.pk)
    veteran = rich_user(points=500)
    redemption_create(user=veteran, product_id=GroupBuyOfferFactory().product_id)
    assert _code(lambda: groupbuy_group_join(user=veteran, group_id=group.pk)) == ("new_users_only", 403)
    groupbuy_group_join(user=rich_user(), group_id=group.pk)
    assert GroupBuyGroup.objects.get(pk=group.pk).member_count == 2


def test_new_member_is_bound_to_the_leader_old_one_is_not():
    offer = GroupBuyOfferFactory(group_size=3)
    leader = rich_user()
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    newcomer = rich_user()
    old_timer = rich_user(date_joined=now() - dt.timedelta(days=30))
    groupbuy_group_join(user=newcomer, group_id=group.pk)
    groupbuy_group_join(user=old_timer, group_id=group.pk)
    assert Referral.objects.get(invitee=newcomer).inviter == leader
    assert not Referral.objects.filter(invitee=old_timer).exists()
    assert not Referral.objects.filter(invitee=leader).exists()


def test_escrow_total_matches_members_while_open():
    offer = GroupBuyOfferFactory(group_size=4)
    group = groupbuy_group_open(user=rich_user(), offer_id=offer.pk)
    for _n in range(2):
        groupbuy_group_join(user=rich_user(), group_id=group.pk)
    paid = Transaction.objects.filter(kind=Transaction.Kind.GROUPBUY, key__startswith="groupbuy:join:")
    assert paid.count() == 3
    escrow = account_escrow(group.pk)
    assert escrow.balance == 90 == escrow.entries.aggregate(total=Sum("amount"))["total"]


def test_success_records_a_redeemed_event_per_member():
    from events.models import Event

    offer = GroupBuyOfferFactory(group_size=2)
    leader, friend = rich_user(), rich_user()
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    assert not Event.objects.filter(kind="redeemed").exists()  # waiting for the group is not a redemption
    groupbuy_group_join(user=friend, group_id=group.pk)
    assert sorted(Event.objects.filter(kind="redeemed").values_list("user_id", "amount")) == sorted(
        [(leader.pk, 30), (friend.pk, 30)]
    )
