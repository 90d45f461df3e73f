"""Privacy (docs/privacy.md): `GET me/export` (the member's own data) and `DELETE me` (the account
anonymised, settled, its points forfeited through the ledger, its tokens revoked)."""

import datetime as dt

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import AccountDeletion
from accounts.services import accounts_deleted_sweep, phone_digest, user_delete
from accounts.services.deletion import deleted_nickname
from campaigns.assist.models import AssistTask
from campaigns.assist.services import assist_task_start
from campaigns.groupbuy.models import GroupBuyGroup
from campaigns.groupbuy.services import groupbuy_group_join, groupbuy_group_open
from checkin.models import CheckIn
from checkin.services import challenge_join, checkin_create
from core.clock import now
from core.exceptions import ApplicationError
from core.models import User, VerifiedPhone
from mall.models import Coupon, Order, Product
from mall.services import redemption_create
from points.models import Account, PointsTask, Transaction
from points.selectors import wallet_balance
from referral.models import Referral, ReferralProfile
from referral.selectors import builtin_poster_template
from referral.services import referral_poster
from tests.campaigns.assist.factories import AssistCampaignFactory
from tests.campaigns.groupbuy.factories import GroupBuyOfferFactory
from tests.checkin.factories import ChallengeFactory, at
from tests.conftest import client_for
from tests.factories import StaffFactory
from tests.mall.factories import ProductFactory, give_points
from tests.referral.factories import RuleFactory, UserFactory, invite, verify_phone
from tests.reliability.helpers import assert_ledger_clean

pytestmark = pytest.mark.django_db


def tokens_for(user) -> tuple[str, str]:
    refresh = RefreshToken.for_user(user)
    return str(refresh.access_token), str(refresh)


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def login(code: str, **extra) -> dict:
    response = APIClient().post("/api/auth/wechat/login", {"code": code, **extra}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def welcome():
    return PointsTask.objects.create(code="welcome", title="新人礼", points=100, frequency=PointsTask.Frequency.ONCE)


# -- GET me/export ------------------------------------------------------------------------------------


def test_export_holds_my_profile_points_orders_checkins_and_referrals(django_capture_on_commit_callbacks):
    inviter = UserFactory(nickname="邀请人", phone="13700000001", phone_verified=True)
    me = invite(inviter, nickname="小艾")
    verify_phone(me, "13800000002")
    friend = invite(me, nickname="朋友", phone="13700000003", phone_verified=True)
    give_points(me, 500)
    voucher = ProductFactory(name="洗牙体验券", price=80, stock=5)
    physical = ProductFactory(name="电动牙刷", kind=Product.Kind.PHYSICAL, price=100, stock=5)
    redemption_create(user=me, product_id=voucher.pk)
    redemption_create(user=me, product_id=physical.pk, address="深圳市南山区科技园 1 号")
    challenge = ChallengeFactory(title="早起打卡")
    with time_machine.travel(at(2026, 3, 1, 12), tick=False):
        challenge_join(user=me, challenge=challenge, stake=20)
    with time_machine.travel(at(2026, 3, 2, 6), tick=False):
        checkin_create(user=me, challenge=challenge, note="刷牙三分钟", image_url="https://img.test/teeth.jpg")

    response = client_for(me).get("/api/me/export")

    assert response.status_code == 200
    data = response.json()
    assert data["profile"]["nickname"] == "小艾" and data["profile"]["phone"] == "13800000002"
    assert data["profile"]["referral_code"] == ReferralProfile.objects.get(user=me).code
    assert data["profile"]["points"] == wallet_balance(user=me)
    assert [e["amount"] for e in data["points_history"]][-1] == 500  # oldest last: the grant
    orders = {o["product"]: o for o in data["orders"]}
    assert orders["洗牙体验券"]["vouchers"][0]["code"] == Coupon.objects.get(user=me).code
    assert orders["电动牙刷"]["address"] == "深圳市南山区科技园 1 号"
    assert data["challenge_entries"][0]["stake"] == 20
    assert data["checkins"][0]["note"] == "刷牙三分钟"
    assert data["referrals"]["invited_by"]["nickname"] == "邀请人"
    assert [i["nickname"] for i in data["referrals"]["invitees"]] == ["朋友"]
    # Nothing about other members beyond nicknames: no phone, no id, no openid of anyone.
    body = response.content.decode()
    for secret in ("13700000001", "13700000003", inviter.openid, friend.openid, me.openid):
        assert secret not in body
    assert set(data["referrals"]["invited_by"]) == {"nickname", "bound_at"}
    assert set(data["referrals"]["invitees"][0]) == {"nickname", "status", "joined_at"}


def test_export_needs_a_login(api_client):
    response = api_client.get("/api/me/export")

    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


# -- DELETE me: the answer, the tokens -----------------------------------------------------------------


def test_delete_answers_204_and_the_old_tokens_answer_401_afterwards(api_client):
    me = UserFactory(nickname="小艾")
    access, refresh = tokens_for(me)

    first = bearer(access).delete("/api/me")
    again = bearer(access).delete("/api/me")
    read = bearer(access).get("/api/me")
    refreshed = api_client.post("/api/auth/refresh", {"refresh": refresh}, format="json")

    assert first.status_code == 204 and first.content == b""
    assert again.status_code == 401 and read.status_code == 401
    assert refreshed.status_code == 401
    assert AccountDeletion.objects.filter(user=me).count() == 1


def test_delete_blacklists_every_refresh_token():
    me = UserFactory()
    tokens_for(me)
    tokens_for(me)

    user_delete(user=me)

    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    tokens = OutstandingToken.objects.filter(user=me)
    assert tokens.count() == 2 and all(hasattr(token, "blacklistedtoken") for token in tokens)


def test_a_staff_account_is_not_deleted_here():
    staff = StaffFactory()

    response = client_for(staff).delete("/api/me")

    assert response.status_code == 403 and response.json()["code"] == "staff_account"
    staff.refresh_from_db()
    assert staff.is_active and not AccountDeletion.objects.exists()


def test_delete_needs_a_login(api_client):
    assert api_client.delete("/api/me").status_code == 401


# -- DELETE me: what is anonymised, what is kept -------------------------------------------------------


def test_personal_fields_are_anonymised_and_files_deleted(django_capture_on_commit_callbacks):
    me = UserFactory(nickname="小艾", unionid="union-1", email="a@example.test", first_name="艾")
    verify_phone(me, "13800001111")
    me.avatar.save("face.png", ContentFile(b"\x89PNG\r\n\x1a\nfake"), save=True)
    avatar = me.avatar.name
    referral_poster(user=me, template=builtin_poster_template())
    assert default_storage.listdir(f"referral/posters/{me.pk}")[1]

    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=me)

    me.refresh_from_db()
    assert me.nickname == deleted_nickname() and me.avatar.name in ("", None) and me.avatar_url == ""
    assert (me.phone, me.phone_verified, me.openid, me.unionid) == ("", False, None, "")
    assert (me.email, me.first_name, me.is_active, me.has_usable_password()) == ("", "", False, False)
    assert me.username == f"deleted_{me.pk}"
    assert not default_storage.exists(avatar)
    assert default_storage.listdir(f"referral/posters/{me.pk}")[1] == []
    # The verified number is kept only as a digest.
    assert list(VerifiedPhone.objects.filter(user=me).values_list("phone", flat=True)) == [phone_digest("13800001111")]
    assert not VerifiedPhone.objects.filter(phone="13800001111").exists()


def test_addresses_and_checkin_notes_are_blanked_but_the_rows_kept():
    me = UserFactory()
    give_points(me, 500)
    physical = ProductFactory(kind=Product.Kind.PHYSICAL, price=100, stock=5)
    order = redemption_create(user=me, product_id=physical.pk, address="深圳市南山区")
    Order.objects.filter(pk=order.pk).update(status=Order.Status.COMPLETED)  # delivered: stays
    challenge = ChallengeFactory()
    with time_machine.travel(at(2026, 3, 1, 12), tick=False):
        challenge_join(user=me, challenge=challenge, stake=20)
    with time_machine.travel(at(2026, 3, 2, 6), tick=False):
        checkin_create(user=me, challenge=challenge, note="牙龈出血", image_url="https://img.test/gum.jpg")

    user_delete(user=me)

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED and order.address == ""
    assert list(CheckIn.objects.filter(user=me).values_list("note", "image_url")) == [("", "")]


def test_referral_rows_are_kept_pointing_at_the_anonymised_user():
    inviter = UserFactory(nickname="邀请人")
    me = invite(inviter, nickname="小艾")
    friend = invite(me, nickname="朋友")

    user_delete(user=me)

    assert Referral.objects.get(invitee=me).inviter == inviter
    assert Referral.objects.get(invitee=friend).inviter == me
    listed = client_for(inviter).get("/api/referral/invitees").json()["results"]
    assert [row["user"]["nickname"] for row in listed] == [deleted_nickname()]


def test_a_deleted_inviters_code_binds_nobody_and_its_page_is_gone(client):
    me = UserFactory(nickname="小艾")
    code = ReferralProfile.objects.get_or_create(user=me, defaults={"code": "ABCDEFG"})[0].code

    user_delete(user=me)
    newcomer = login("newcomer", referral=code)

    assert Referral.objects.filter(invitee_id=newcomer["user"]["id"]).count() == 0
    assert client.get(f"/r/{code}").status_code == 404


# -- DELETE me: the points -----------------------------------------------------------------------------


def test_the_balance_is_forfeited_through_the_ledger_and_the_audit_stays_clean():
    me = UserFactory()
    give_points(me, 730)

    deletion = user_delete(user=me)

    assert wallet_balance(user=me) == 0 and deletion.points_forfeited == 730
    forfeit = Transaction.objects.get(key=f"forfeit:user:{me.pk}:1")
    assert forfeit.kind == Transaction.Kind.EXPIRY
    assert sorted(forfeit.entries.values_list("account__code", "amount")) == [("expired", 730), (f"user:{me.pk}", -730)]
    assert_ledger_clean()
    call_command("audit_ledger")  # exits non-zero on a problem


def test_deleting_twice_changes_nothing_the_second_time():
    me = UserFactory()
    give_points(me, 100)
    user_delete(user=me)
    transactions, deletion = Transaction.objects.count(), AccountDeletion.objects.get(user=me)

    again = user_delete(user=me)

    assert Transaction.objects.count() == transactions
    assert (again.pk, again.points_forfeited, again.swept_at) == (deletion.pk, 100, None)


def test_points_that_reach_a_deleted_account_later_are_swept_at_night():
    inviter = UserFactory()
    RuleFactory(inviter_points=50, invitee_points=20)
    friend = invite(inviter)
    user_delete(user=inviter)

    verify_phone(friend)  # the friend qualifies: the rule pays the (deleted) inviter
    assert wallet_balance(user=inviter) == 50

    assert accounts_deleted_sweep() == 1
    assert wallet_balance(user=inviter) == 0
    assert Transaction.objects.filter(key=f"forfeit:user:{inviter.pk}:1").exists()  # the first forfeit: 0 then
    deletion = AccountDeletion.objects.get(user=inviter)
    assert deletion.points_forfeited == 50 and deletion.swept_at is not None
    assert accounts_deleted_sweep() == 0
    assert_ledger_clean()


# -- DELETE me: open orders, group-buys and tasks, settled as their expiry would --------------------------


def test_an_order_not_yet_sent_is_cancelled_refunded_and_its_stock_returned():
    me = UserFactory()
    give_points(me, 300)
    physical = ProductFactory(kind=Product.Kind.PHYSICAL, price=100, stock=5)
    order = redemption_create(user=me, product_id=physical.pk, address="深圳")

    deletion = user_delete(user=me)

    order.refresh_from_db()
    physical.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.refund is not None
    assert order.refund.key == f"redeem-refund:{order.pk}"  # a cancellation's own key
    assert physical.stock == 5
    assert deletion.orders_cancelled == 1 and deletion.points_forfeited == 300  # 200 left + 100 refunded
    assert wallet_balance(user=me) == 0
    assert_ledger_clean()


def test_unused_vouchers_are_cancelled_with_a_refund_and_a_partly_used_order_only_lapses():
    me = UserFactory()
    give_points(me, 500)
    unused = redemption_create(user=me, product_id=ProductFactory(price=80, stock=5).pk)
    partly = redemption_create(user=me, product_id=ProductFactory(price=50, stock=5).pk, quantity=2)
    # One of the two vouchers was used at the front desk.
    partly.coupons.filter(pk=partly.coupons.order_by("pk").first().pk).update(status=Coupon.Status.USED, used_at=now())

    user_delete(user=me)

    unused.refresh_from_db()
    partly.refresh_from_db()
    assert unused.status == Order.Status.CANCELLED and unused.refund is not None
    assert set(unused.coupons.values_list("status", flat=True)) == {Coupon.Status.CANCELLED}
    assert partly.status == Order.Status.FULFILLED and partly.refund is None
    assert sorted(partly.coupons.values_list("status", flat=True)) == [Coupon.Status.CANCELLED, Coupon.Status.USED]
    assert wallet_balance(user=me) == 0
    assert_ledger_clean()


def test_an_open_group_fails_and_every_member_is_refunded_from_escrow():
    leader, me, friend = UserFactory(), UserFactory(), UserFactory()
    for user in (leader, me, friend):
        give_points(user, 100)
    offer = GroupBuyOfferFactory(group_size=4, price=30)
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    groupbuy_group_join(user=me, group_id=group.pk)
    groupbuy_group_join(user=friend, group_id=group.pk)

    deletion = user_delete(user=me)

    group.refresh_from_db()
    assert group.status == GroupBuyGroup.Status.FAILED and deletion.groups_failed == 1
    assert wallet_balance(user=leader) == 100 and wallet_balance(user=friend) == 100  # refunded
    assert wallet_balance(user=me) == 0  # refunded, then forfeited
    assert Account.objects.get(code=f"escrow:group:{group.pk}").balance == 0
    orders = Order.objects.filter(pk__in=group.members.values("order_id"))
    assert set(orders.values_list("status", flat=True)) == {Order.Status.CANCELLED}
    offer.product.refresh_from_db()
    assert offer.product.stock == 10
    # A later join finds it closed.
    late = UserFactory()
    give_points(late, 100)
    with pytest.raises(ApplicationError) as refused:
        groupbuy_group_join(user=late, group_id=group.pk)
    assert refused.value.code == "group_closed"
    assert_ledger_clean()


def test_an_unfinished_assist_task_expires_and_its_reserved_reward_returns_to_stock():
    me = UserFactory()
    prize = ProductFactory(stock=3)
    campaign = AssistCampaignFactory(reward_kind="product", reward_points=0, product=prize)
    task, _created = assist_task_start(user=me, campaign_id=campaign.pk)
    prize.refresh_from_db()
    assert prize.stock == 2

    deletion = user_delete(user=me)

    task.refresh_from_db()
    prize.refresh_from_db()
    assert task.status == AssistTask.Status.EXPIRED and deletion.tasks_expired == 1
    assert Order.objects.get(pk=task.order_id).status == Order.Status.CANCELLED
    assert prize.stock == 3


# -- coming back ------------------------------------------------------------------------------------------


def test_the_same_wechat_account_registers_anew_without_a_second_welcome_gift(welcome):
    RuleFactory(trigger="registered", inviter_points=5, invitee_points=5, requires_phone=False)
    inviter = UserFactory()
    ReferralProfile.objects.get_or_create(user=inviter, defaults={"code": "HJKMNPQ"})
    first = login("returning")
    assert wallet_balance(user=User.objects.get(pk=first["user"]["id"])) == 100
    user_delete(user=User.objects.get(pk=first["user"]["id"]))

    second = login("returning", referral="HJKMNPQ")

    assert second["user"]["is_new"] is True and second["user"]["id"] != first["user"]["id"]
    newcomer = User.objects.get(pk=second["user"]["id"])
    assert newcomer.openid == "fake-returning"
    assert wallet_balance(user=newcomer) == 0  # no second welcome gift
    assert not Referral.objects.filter(invitee=newcomer).exists()  # nobody is paid for them again
    assert wallet_balance(user=inviter) == 0


def test_a_number_that_counted_for_a_referral_stays_used_and_one_that_did_not_is_free_again():
    RuleFactory()
    inviter = UserFactory()
    counted = invite(inviter)
    verify_phone(counted, "13800002222")
    assert Referral.objects.get(invitee=counted).counted_phone == "13800002222"
    plain = UserFactory()
    verify_phone(plain, "13800003333")
    user_delete(user=counted)
    user_delete(user=plain)

    assert Referral.objects.get(invitee=counted).counted_phone == phone_digest("13800002222")
    with pytest.raises(ApplicationError) as refused:
        verify_phone(UserFactory(), "13800002222")
    assert refused.value.code == "phone_in_use"
    assert verify_phone(UserFactory(), "13800003333").phone == "13800003333"


def test_a_phone_digest_is_keyed_and_fits_where_the_number_was():
    digest = phone_digest("13800001111")

    assert digest.startswith("#") and len(digest) <= 20
    assert digest == phone_digest("13800001111") != phone_digest("13800001112")
    assert phone_digest(digest) == digest
    assert "13800001111" not in digest


def test_expired_window_dates_are_irrelevant_to_the_deadline_free_settlement():
    """A group past its deadline but not yet swept by the expiry job is settled all the same."""
    leader, me = UserFactory(), UserFactory()
    give_points(leader, 100)
    give_points(me, 100)
    offer = GroupBuyOfferFactory(group_size=3, price=30, time_limit_hours=1)
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    groupbuy_group_join(user=me, group_id=group.pk)

    with time_machine.travel(group.expires_at + dt.timedelta(hours=1), tick=False):
        user_delete(user=me)

    group.refresh_from_db()
    assert group.status == GroupBuyGroup.Status.FAILED
    assert wallet_balance(user=leader) == 100
    assert_ledger_clean()


# -- masked phones in lists ------------------------------------------------------------------------------


def test_the_admin_user_list_shows_phones_masked(admin_client):
    UserFactory(nickname="小艾", phone="13812345678", phone_verified=True)

    page = admin_client.get("/admin/core/user/").content.decode()

    assert "138****5678" in page and "13812345678" not in page


def test_a_release_of_the_identifiers_a_crash_interrupted_is_finished_by_the_sweep(monkeypatch):
    from accounts.services import deletion

    me = UserFactory(openid="wx-openid-1")
    monkeypatch.setattr(deletion, "_identifiers_release", lambda **kwargs: None)  # the crash
    user_delete(user=me)
    me.refresh_from_db()
    assert me.openid == "wx-openid-1" and not me.is_active
    monkeypatch.undo()

    assert accounts_deleted_sweep() == 1

    me.refresh_from_db()
    assert (me.openid, me.username) == (None, f"deleted_{me.pk}")
    assert accounts_deleted_sweep() == 0
