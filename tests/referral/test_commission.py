"""Distribution commission (分销): held on a friend's redemption, paid once when the order
completes, void when it is cancelled, within the binding window and the monthly cap."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from core.exceptions import ApplicationError
from mall.models import Order, Product
from mall.services import (
    STORE_STAFF_GROUP,
    coupon_verify,
    order_commission_apply,
    redemption_cancel,
    redemption_complete,
    redemption_create,
    redemption_fulfil,
    roles_seed,
)
from mall.tasks import order_commission_task
from points.models import Transaction
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from referral.models import Commission, CommissionRule, Referral
from referral.services import commission_settle
from referral.services.commissions import commission_amount, commission_key
from tests.conftest import client_for
from tests.factories import StaffFactory
from tests.mall.factories import ProductFactory, StoreFactory, give_points
from tests.referral.factories import CommissionRuleFactory, UserFactory, invite

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what the enclosed code queues for after its commit (the inviter's commission task)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def inviter():
    return UserFactory()


@pytest.fixture
def friend(inviter):
    friend = invite(inviter)
    give_points(friend, 1000)
    return friend


@pytest.fixture
def clerk(db):
    roles_seed()
    staff = StaffFactory(is_staff=False)
    staff.groups.add(Group.objects.get(name=STORE_STAFF_GROUP))
    StoreFactory().staff.add(staff)
    return staff


def redeem(commit, user, product, **kwargs) -> Order:
    with commit():
        return redemption_create(user=user, product_id=product.pk, **kwargs)


def verify_all(commit, order, clerk) -> None:
    with commit():
        for coupon in order.coupons.all():
            coupon_verify(code=coupon.code, staff=clerk)


def commission_credits():
    return Transaction.objects.filter(kind=Transaction.Kind.COMMISSION)


def test_a_friends_redemption_earns_a_held_commission_that_posts_nothing(commit, inviter, friend):
    CommissionRuleFactory(percent=Decimal("10"))
    order = redeem(commit, friend, ProductFactory(price=85, stock=None))

    commission = Commission.objects.get()
    assert (commission.order, commission.price, commission.amount) == (order.pk, 85, 8)  # 8.5 rounded down
    assert commission.status == Commission.Status.HELD
    assert commission.inviter_id == inviter.pk and commission.invitee_id == friend.pk
    assert wallet_balance(user=inviter) == 0
    assert not commission_credits().exists()
    assert ledger_audit().ok


def test_verifying_the_voucher_pays_it_once(commit, inviter, friend, clerk):
    CommissionRuleFactory(percent=Decimal("10"))
    order = redeem(commit, friend, ProductFactory(price=80, stock=None))

    verify_all(commit, order, clerk)

    commission = Commission.objects.get()
    assert commission.status == Commission.Status.PAID and commission.settled_at is not None
    assert wallet_balance(user=inviter) == 8
    assert commission.transaction.key == commission_key(commission.pk) == f"commission:{commission.pk}"
    # Completion processed again, the task delivered twice, the voucher scanned again: nothing more.
    with commit():
        order_commission_apply(order_id=order.pk)
    order_commission_task.apply(args=[order.pk])
    with pytest.raises(ApplicationError) as exc:
        coupon_verify(code=order.coupons.get().code, staff=clerk)
    assert exc.value.code == "already_used"
    assert wallet_balance(user=inviter) == 8
    assert commission_credits().count() == 1
    call_command("audit_ledger")


def test_an_order_of_several_vouchers_pays_when_the_last_is_used(commit, inviter, friend, clerk):
    CommissionRuleFactory(percent=Decimal("10"))
    order = redeem(commit, friend, ProductFactory(price=50, stock=None), quantity=2)
    first, second = order.coupons.order_by("pk")

    with commit():
        coupon_verify(code=first.code, staff=clerk)
    assert Commission.objects.get().status == Commission.Status.HELD
    with commit():
        coupon_verify(code=second.code, staff=clerk)

    assert Commission.objects.get().status == Commission.Status.PAID
    assert wallet_balance(user=inviter) == 10


def test_physical_goods_pay_when_the_order_is_completed(commit, inviter, friend):
    CommissionRuleFactory(percent=Decimal("5"))
    product = ProductFactory(kind=Product.Kind.PHYSICAL, price=400, stock=None)
    order = redeem(commit, friend, product, address="上海市示范路 1 号")

    with commit():
        redemption_fulfil(order=order)
    assert Commission.objects.get().status == Commission.Status.HELD  # sent is not received
    with commit():
        redemption_complete(order=order)
    with commit():
        redemption_complete(order=order)  # completed twice: paid once

    assert Commission.objects.get().status == Commission.Status.PAID
    assert wallet_balance(user=inviter) == 20
    assert commission_credits().count() == 1
    assert ledger_audit().ok


def test_cancelling_the_order_voids_the_held_commission(commit, inviter, friend):
    CommissionRuleFactory(percent=Decimal("10"))
    order = redeem(commit, friend, ProductFactory(price=80, stock=None))

    with commit():
        redemption_cancel(order=order, actor=friend, by_customer=True)
    order_commission_task.apply(args=[order.pk])  # a late delivery of the placement's task

    commission = Commission.objects.get()
    assert (commission.status, commission.reason) == (Commission.Status.VOID, Commission.Reason.REFUNDED)
    assert wallet_balance(user=inviter) == 0
    assert wallet_balance(user=friend) == 1000
    assert not commission_credits().exists()
    assert ledger_audit().ok


def test_deleting_the_friends_account_voids_the_commission_of_a_refunded_order(commit, inviter, friend):
    from accounts.services import user_delete

    CommissionRuleFactory(percent=Decimal("10"))
    redeem(commit, friend, ProductFactory(price=80, stock=None))

    with commit():
        user_delete(user=friend)  # the unused voucher's order is cancelled with a refund

    commission = Commission.objects.get()
    assert (commission.status, commission.reason) == (Commission.Status.VOID, Commission.Reason.REFUNDED)
    assert wallet_balance(user=inviter) == 0
    assert ledger_audit().ok


def test_a_cancel_before_the_inviters_task_runs_leaves_no_commission(
    inviter, friend, django_capture_on_commit_callbacks
):
    CommissionRuleFactory(percent=Decimal("10"))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        order = redemption_create(user=friend, product_id=ProductFactory(price=80, stock=None).pk)
    redemption_cancel(order=order, actor=friend, by_customer=True)

    for callback in queued:  # the task arrives after the cancel
        callback()

    assert not Commission.objects.exists()


def test_a_completion_before_the_inviters_task_runs_pays_at_once(
    inviter, friend, clerk, django_capture_on_commit_callbacks
):
    CommissionRuleFactory(percent=Decimal("10"))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        order = redemption_create(user=friend, product_id=ProductFactory(price=80, stock=None).pk)
    coupon_verify(code=order.coupons.get().code, staff=clerk)  # its own task not run either

    for callback in queued:
        callback()

    assert Commission.objects.get().status == Commission.Status.PAID
    assert wallet_balance(user=inviter) == 8


def test_only_redemptions_within_the_days_after_binding_earn(commit, inviter):
    CommissionRuleFactory(percent=Decimal("10"), days=30)
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        friend = invite(inviter)
        give_points(friend, 1000)
    product = ProductFactory(price=100, stock=None)

    with time_machine.travel("2026-03-31 09:00 +0800", tick=False):
        inside = redeem(commit, friend, product)
    with time_machine.travel("2026-03-31 11:00 +0800", tick=False):
        redeem(commit, friend, product)

    assert list(Commission.objects.values_list("order", flat=True)) == [inside.pk]


def test_the_monthly_cap_cuts_then_voids_and_a_new_month_starts_afresh(commit, inviter):
    CommissionRuleFactory(percent=Decimal("10"), monthly_cap=15, days=0)
    first, second = invite(inviter), invite(inviter)
    give_points(first, 1000)
    give_points(second, 1000)
    product = ProductFactory(price=100, stock=None)

    with time_machine.travel("2026-04-30 23:00 +0800", tick=False):
        redeem(commit, first, product)  # 10
        redeem(commit, second, product)  # 5 of 10: the cap
        redeem(commit, first, product)  # nothing left: void
    with time_machine.travel("2026-05-01 00:30 +0800", tick=False):  # a new local month
        redeem(commit, second, product)

    rows = list(Commission.objects.order_by("pk").values_list("amount", "capped", "status", "reason"))
    assert rows == [
        (10, False, "held", ""),
        (5, True, "held", ""),
        (0, True, "void", "capped"),
        (10, False, "held", ""),
    ]


def test_a_voided_commission_frees_room_under_the_cap(commit, inviter, friend):
    CommissionRuleFactory(percent=Decimal("10"), monthly_cap=10)
    product = ProductFactory(price=100, stock=None)
    first = redeem(commit, friend, product)
    with commit():
        redemption_cancel(order=first, actor=friend, by_customer=True)

    redeem(commit, friend, product)

    assert list(Commission.objects.order_by("pk").values_list("amount", "status")) == [(10, "void"), (10, "held")]


def test_no_commission_without_a_rule_an_inviter_or_a_share(commit, inviter, friend):
    stranger = UserFactory()
    give_points(stranger, 1000)
    product = ProductFactory(price=100, stock=None)

    redeem(commit, friend, product)  # no rule yet
    CommissionRuleFactory(percent=Decimal("10"), is_active=False)
    redeem(commit, friend, product)  # the only rule is off
    CommissionRuleFactory(percent=Decimal("0.5"))
    redeem(commit, friend, ProductFactory(price=100, stock=None))  # 0.5 points: less than one
    redeem(commit, stranger, product)  # nobody invited them

    assert not Commission.objects.exists()


def test_the_newest_active_rule_applies(commit, inviter, friend):
    CommissionRuleFactory(percent=Decimal("10"))
    newest = CommissionRuleFactory(percent=Decimal("20"))
    CommissionRuleFactory(percent=Decimal("50"), is_active=False)

    redeem(commit, friend, ProductFactory(price=100, stock=None))

    commission = Commission.objects.get()
    assert (commission.rule_id, commission.amount) == (newest.pk, 20)


def test_a_rejected_referral_earns_nothing(commit, inviter, friend):
    CommissionRuleFactory(percent=Decimal("10"))
    Referral.objects.filter(invitee=friend).update(status=Referral.Status.REJECTED)

    redeem(commit, friend, ProductFactory(price=100, stock=None))

    assert not Commission.objects.exists()


def test_a_group_buy_earns_when_the_group_succeeds(commit, inviter, friend):
    from campaigns.groupbuy.services import groupbuy_group_join, groupbuy_group_open
    from tests.campaigns.groupbuy.factories import GroupBuyOfferFactory

    CommissionRuleFactory(percent=Decimal("10"))
    leader = UserFactory()
    give_points(leader, 100)
    offer = GroupBuyOfferFactory(group_size=2, price=30)

    with commit():
        group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    with commit():
        groupbuy_group_join(user=friend, group_id=group.pk)

    commission = Commission.objects.get()
    assert (commission.invitee_id, commission.price, commission.amount) == (friend.pk, 30, 3)
    assert commission.status == Commission.Status.HELD


def test_commission_amount_rounds_down_to_a_whole_point():
    rule = CommissionRuleFactory.build(percent=Decimal("2.5"))
    assert [commission_amount(price=p, rule=rule) for p in (39, 40, 41, 1999)] == [0, 1, 1, 49]


def test_an_unknown_outcome_is_a_programming_error(friend):
    with pytest.raises(ValueError):
        commission_settle(invitee_id=friend.pk, order_id=1, price=10, ordered_at=dt.datetime.now(dt.UTC), outcome="x")


# -- over HTTP --------------------------------------------------------------------------------


def test_my_commissions_over_http(commit, inviter, clerk):
    CommissionRuleFactory(percent=Decimal("10"))
    paid_friend = invite(inviter, nickname="小红")
    held_friend = invite(inviter, nickname="小明")
    for user in (paid_friend, held_friend):
        give_points(user, 1000)
    product = ProductFactory(price=120, stock=None)
    first = redeem(commit, paid_friend, product)
    verify_all(commit, first, clerk)
    second = redeem(commit, held_friend, product)
    third = redeem(commit, held_friend, product)
    with commit():
        redemption_cancel(order=third, actor=held_friend, by_customer=True)
    other_inviter = UserFactory()
    stranger_friend = invite(other_inviter)
    give_points(stranger_friend, 1000)
    redeem(commit, stranger_friend, product)  # someone else's commission

    response = client_for(inviter).get("/api/referral/commissions")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(row["invitee"], row["order"], row["amount"], row["status"]) for row in body["results"]] == [
        ({"nickname": "小明"}, third.pk, 12, "void"),
        ({"nickname": "小明"}, second.pk, 12, "held"),
        ({"nickname": "小红"}, first.pk, 12, "paid"),
    ]
    assert all(row["created_at"] for row in body["results"])
    page = client_for(inviter).get("/api/referral/commissions", {"page_size": 2, "page": 2}).json()
    assert [row["order"] for row in page["results"]] == [first.pk]
    assert client_for(UserFactory()).get("/api/referral/commissions").json()["results"] == []


def test_commissions_need_a_login_and_a_sane_page(api_client, inviter):
    assert api_client.get("/api/referral/commissions").status_code == 401
    bad = client_for(inviter).get("/api/referral/commissions", {"page": "x"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_page"


# -- admin ------------------------------------------------------------------------------------


def test_admin_edits_rules_and_lists_commissions_read_only(client, commit, inviter, friend):
    client.force_login(StaffFactory(is_superuser=True))
    response = client.post(
        reverse("admin:referral_commissionrule_add"),
        {"name": "分销", "percent": "7.5", "days": "90", "monthly_cap": "300", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    bad = client.post(
        reverse("admin:referral_commissionrule_add"),
        {"name": "太多", "percent": "120", "days": "1", "monthly_cap": "0"},
    )
    assert bad.status_code == 200 and "percent" in bad.context["adminform"].form.errors  # nothing saved
    assert list(CommissionRule.objects.values_list("name", "percent", "days", "monthly_cap")) == [
        ("分销", Decimal("7.50"), 90, 300)
    ]
    redeem(commit, friend, ProductFactory(price=200, stock=None))

    listing = client.get(reverse("admin:referral_commission_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert listing.status_code == 200
    assert Commission.objects.get().amount == 15
    commission = Commission.objects.get()
    changelist = reverse("admin:referral_commission_changelist")
    assert client.get(changelist, {"q": str(commission.order)}).context["cl"].result_count == 1
    assert client.get(changelist, {"q": "小"}).status_code == 200  # not a number: the id lookups skip it
    change = client.get(reverse("admin:referral_commission_change", args=[commission.pk]))
    assert change.status_code == 200
    assert client.post(reverse("admin:referral_commission_delete", args=[commission.pk])).status_code == 403
    assert client.get(reverse("admin:referral_commission_add")).status_code == 403


def test_the_demo_commission_over_http(api_client, django_capture_on_commit_callbacks):
    """The demo's rule (5%, a year, 500 a month): a friend of Alice redeems the checkup voucher in
    the mini-program, the demo clerk verifies it at the desk, and Alice sees it held, then paid."""
    from django.conf import settings

    from core.demo import seed_demo
    from core.models import User
    from referral.models import ReferralProfile

    seed_demo()
    alice = User.objects.get(openid="fake-demo-alice")
    clerk = User.objects.get(username=settings.DEMO_CLERK_USERNAME)
    scene = f"r={ReferralProfile.objects.get(user=alice).code}"
    with django_capture_on_commit_callbacks(execute=True):
        login = api_client.post(
            "/api/auth/wechat/login", {"code": "commission-friend", "referral": scene}, format="json"
        )
    friend = User.objects.get(pk=login.json()["user"]["id"])
    friend_client, alice_client = client_for(friend), client_for(alice)
    friend_client.patch("/api/me", {"nickname": "小林"}, format="json")
    checkup = Product.objects.get(name="口腔检查预约券")  # 50 points, unlimited
    alice_before = wallet_balance(user=alice)

    with django_capture_on_commit_callbacks(execute=True):
        redeemed = friend_client.post("/api/mall/redemptions", {"product": checkup.pk}, format="json")
    assert redeemed.status_code == 201, redeemed.json()
    order_id = redeemed.json()["id"]
    held = alice_client.get("/api/referral/commissions").json()["results"]
    assert [(c["invitee"], c["order"], c["amount"], c["status"]) for c in held] == [
        ({"nickname": "小林"}, order_id, 2, "held")  # 5% of 50, rounded down
    ]

    code = Order.objects.get(pk=order_id).coupons.get().code
    with django_capture_on_commit_callbacks(execute=True):
        verified = client_for(clerk).post("/api/staff/coupons/verify", {"code": code}, format="json")
    assert verified.status_code == 200, verified.json()

    paid = alice_client.get("/api/referral/commissions").json()["results"]
    assert [(c["order"], c["amount"], c["status"]) for c in paid] == [(order_id, 2, "paid")]
    assert wallet_balance(user=alice) == alice_before + 2
    assert client_for(friend).get("/api/referral/commissions").json()["results"] == []
    call_command("audit_ledger")
