"""Security: object-level permissions, tokens, throttles, admin roles, deploy checks, no leaked identifiers.

Existing tests this file does not repeat (see docs/reliability.md): refresh rotation and the
blacklist (tests/core/test_auth_api.py::test_refresh_rotates_and_old_refresh_is_refused), the
login throttle, avatar uploads (type, size, pixel bombs: tests/core/test_avatar.py), production
settings from the environment (tests/core/test_settings.py), store staff in admin
(tests/mall/test_admin.py), the ledger read-only in admin (tests/points/test_admin.py).
"""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from campaigns.assist.models import AssistCampaign, AssistTask
from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyOffer
from checkin.models import Challenge
from mall.models import Coupon, Order, Product, Store
from mall.services import OPERATOR_GROUP, STORE_STAFF_GROUP, roles_seed
from points.models import Account, Transaction
from tests.campaigns.assist.factories import BargainCampaignFactory
from tests.conftest import client_for
from tests.factories import StaffFactory, UserFactory
from tests.mall.factories import give_points
from tests.reliability.helpers import set_throttle_rates, state_fingerprint

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)


@pytest.fixture
def alice(demo):
    """A customer with a phone, an openid and a unionid, an entry, an order, a group and an assist task."""
    alice = UserFactory(openid="secret-openid-alice", unionid="secret-unionid-alice", phone="13912345678")
    alice.phone_verified = True
    alice.save()
    give_points(alice, 5000)
    client = client_for(alice)
    challenge = Challenge.objects.order_by("pk").first()
    assert client.post(f"/api/challenges/{challenge.pk}/join", {"stake": 10}, format="json").status_code == 201
    voucher = Product.objects.filter(price__gt=0, stock__isnull=True).order_by("price").first()
    order = client.post("/api/mall/redemptions", {"product": voucher.pk, "quantity": 1}, format="json")
    assert order.status_code == 201, order.json()
    assert client.post(f"/api/groupbuys/offers/{GroupBuyOffer.objects.get().pk}/open").status_code == 201
    for campaign in AssistCampaign.objects.all():
        assert client.post(f"/api/assists/campaigns/{campaign.pk}/start").status_code in (200, 201)
    return alice


@pytest.fixture
def bob(demo):
    bob = UserFactory()
    give_points(bob, 5000)
    return bob


# -- object-level permissions -------------------------------------------------------------------


@pytest.mark.django_db
def test_one_user_cannot_read_or_cancel_another_users_order(alice, bob):
    order = Order.objects.filter(user=alice).first()
    client = client_for(bob)
    before = state_fingerprint()

    assert client.get(f"/api/mall/redemptions/{order.pk}").status_code == 404
    cancel = client.post(f"/api/mall/redemptions/{order.pk}/cancel")

    assert cancel.status_code == 404
    assert cancel.json()["code"] == "not_found"
    assert state_fingerprint() == before
    order.refresh_from_db()
    assert order.status != Order.Status.CANCELLED


@pytest.mark.django_db
def test_lists_show_only_my_orders_coupons_entries_and_tasks(alice, bob):
    client = client_for(bob)
    assert Coupon.objects.filter(user=alice).exists()

    for path in ("/api/mall/redemptions", "/api/mall/coupons", "/api/me/entries", "/api/assists/tasks"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json()["results"] == [], path
    assert client.get("/api/points/history").json()["results"][0]["amount"] == 5000


@pytest.mark.django_db
def test_one_user_cannot_redeem_another_users_bargain(alice, bob):
    campaign = BargainCampaignFactory()
    started = client_for(alice).post(f"/api/assists/campaigns/{campaign.pk}/start")
    assert started.status_code == 201
    task = AssistTask.objects.get(pk=started.json()["id"])
    client = client_for(bob)
    before = state_fingerprint()

    response = client.post(f"/api/assists/tasks/{task.pk}/redeem", {}, format="json")

    assert 400 <= response.status_code < 500
    assert state_fingerprint() == before


@pytest.mark.django_db
def test_a_customer_cannot_verify_vouchers_in_store(alice, bob):
    coupon = Coupon.objects.filter(user=alice).first()
    clients = (client_for(bob), client_for(alice))
    before = state_fingerprint()

    for client in clients:
        response = client.post("/api/staff/coupons/verify", {"code": coupon.code}, format="json")
        assert response.status_code == 403
    assert state_fingerprint() == before
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.UNUSED


@pytest.mark.django_db
def test_store_staff_verify_only_at_their_own_store(alice):
    # Given a verifier on the demo store, a second store, and a verifier on no store at all
    roles_seed()
    verifiers = Group.objects.get(name=STORE_STAFF_GROUP)
    mine, theirs = Store.objects.get(), Store.objects.create(name="别家门店")
    staff, storeless = StaffFactory(), StaffFactory()
    for member in (staff, storeless):
        member.groups.add(verifiers)
    mine.staff.add(staff)
    coupon = Coupon.objects.filter(user=alice).first()
    url = "/api/staff/coupons/verify"
    staff_client, storeless_client = client_for(staff), client_for(storeless)
    before = state_fingerprint()

    elsewhere = staff_client.post(url, {"code": coupon.code, "store": theirs.pk}, format="json")
    nowhere = [
        storeless_client.post(url, {"code": coupon.code, **body}, format="json") for body in ({}, {"store": mine.pk})
    ]

    assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "not_your_store")
    assert [(r.status_code, r.json()["code"]) for r in nowhere] == [(403, "no_store")] * 2
    assert state_fingerprint() == before
    coupon.refresh_from_db()
    assert (coupon.status, coupon.store, coupon.verified_by) == (Coupon.Status.UNUSED, None, None)
    at_mine = staff_client.post(url, {"code": coupon.code}, format="json")
    assert at_mine.status_code == 200
    coupon.refresh_from_db()
    assert (coupon.status, coupon.store, coupon.verified_by) == (Coupon.Status.USED, mine, staff)


# -- no phone, openid or unionid in any answer ---------------------------------------------------


@pytest.mark.django_db
def test_no_phone_openid_or_unionid_of_a_user_in_any_answer_to_another(alice, bob):
    # Given bob is alice's friend on her leaderboards, her group and her tasks
    client = client_for(bob)
    group = GroupBuyGroup.objects.get()
    assert client.post(f"/api/groupbuys/groups/{group.pk}/join").status_code == 200
    for task in AssistTask.objects.filter(user=alice):
        client.post(f"/api/assists/tasks/{task.pk}/help")
    challenge = Challenge.objects.order_by("pk").first()
    paths = [
        "/api/challenges",
        f"/api/challenges/{challenge.pk}",
        f"/api/challenges/{challenge.pk}/rounds",
        *(f"/api/challenges/{challenge.pk}/leaderboard?board={board}" for board in ("winnings", "streak", "early")),
        f"/api/groupbuys/groups/{group.pk}",
        "/api/groupbuys/offers",
        *(f"/api/assists/tasks/{task.pk}" for task in AssistTask.objects.filter(user=alice)),
        "/api/assists/campaigns",
        "/api/referral/me",
        "/api/referral/invitees",
        "/api/referral/leaderboard",
        "/api/mall/products",
        "/api/me",
        "/api/slots/home_banner",
    ]
    secrets = ("secret-openid-alice", "secret-unionid-alice", "13912345678", "3912345678")

    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert not any(secret in response.content.decode() for secret in secrets), path
    # And alice's own profile says whether her phone is verified, not what it is.
    mine = client_for(alice).get("/api/me").content.decode()
    assert not any(secret in mine for secret in secrets)


# -- tokens ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_access_token_dies_after_its_lifetime(user, settings):
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    with time_machine.travel(dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC), tick=False) as clock:
        client = client_for(user)
        assert client.get("/api/me").status_code == 200
        clock.shift(lifetime - dt.timedelta(seconds=5))
        assert client.get("/api/me").status_code == 200
        clock.shift(dt.timedelta(seconds=10))
        response = client.get("/api/me")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


@pytest.mark.django_db
def test_a_refresh_token_dies_after_its_lifetime_and_a_rotated_one_is_single_use(user, settings):
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    api = APIClient()
    with time_machine.travel(dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC), tick=False) as clock:
        refresh = str(RefreshToken.for_user(user))
        first = api.post("/api/auth/refresh", {"refresh": refresh}, format="json")
        assert first.status_code == 200
        rotated = first.json()["refresh"]
        # The old one is blacklisted at once, used again: refused.
        assert api.post("/api/auth/refresh", {"refresh": refresh}, format="json").status_code == 401
        clock.shift(lifetime + dt.timedelta(seconds=1))
        late = api.post("/api/auth/refresh", {"refresh": rotated}, format="json")

    assert late.status_code == 401
    assert late.json()["code"] == "token_not_valid"


@pytest.mark.django_db
def test_a_token_signed_with_another_key_or_for_a_deleted_user_is_refused(user):
    from rest_framework_simplejwt.backends import TokenBackend

    token = RefreshToken.for_user(user).access_token
    forged = TokenBackend("HS256", signing_key="not-our-key-" * 4).encode(dict(token.payload))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert api.get("/api/me").status_code == 401

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    user.delete()
    assert api.get("/api/me").status_code == 401


# -- throttles ------------------------------------------------------------------------------------


def _throttle_everything_to(monkeypatch, rate: str) -> None:
    rates = dict.fromkeys([*SimpleRateThrottle.THROTTLE_RATES, "login", "checkin", "write"], rate)
    rates.update(anon="1000/min", user="1000/min")
    set_throttle_rates(monkeypatch, rates)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["login", "refresh", "staff_login", "checkin", "makeup", "join", "groupbuy_join", "redeem", "help", "start"],
)
def test_abuse_prone_endpoints_are_throttled_and_a_throttled_call_changes_nothing(alice, bob, monkeypatch, name):
    challenge = Challenge.objects.order_by("pk").first()
    task = AssistTask.objects.filter(user=alice).first()
    product = Product.objects.filter(stock__isnull=True).order_by("price").first()
    calls = {
        "login": (APIClient(), "/api/auth/wechat/login", {"code": "carol"}),
        "refresh": (APIClient(), "/api/auth/refresh", {"refresh": "not-a-token"}),
        "staff_login": (APIClient(), "/api/auth/staff/login", {"username": "x", "password": "y"}),
        "checkin": (client_for(bob), f"/api/challenges/{challenge.pk}/checkin", {}),
        "makeup": (client_for(bob), f"/api/challenges/{challenge.pk}/makeup", {"date": "2026-01-01"}),
        "join": (client_for(bob), f"/api/challenges/{challenge.pk}/join", {"stake": 10}),
        "groupbuy_join": (client_for(bob), f"/api/groupbuys/groups/{GroupBuyGroup.objects.get().pk}/join", {}),
        "redeem": (client_for(bob), "/api/mall/redemptions", {"product": product.pk, "quantity": 1}),
        "help": (client_for(bob), f"/api/assists/tasks/{task.pk}/help", {}),
        "start": (client_for(bob), f"/api/assists/campaigns/{task.campaign_id}/start", {}),
    }
    client, path, body = calls[name]
    _throttle_everything_to(monkeypatch, "2/min")
    for _ in range(2):
        assert client.post(path, body, format="json").status_code != 429
    before = state_fingerprint()

    response = client.post(path, body, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert state_fingerprint() == before


# -- admin roles ----------------------------------------------------------------------------------


@pytest.fixture
def operator(demo):
    roles_seed()
    operator = StaffFactory()
    operator.groups.add(Group.objects.get(name=OPERATOR_GROUP))
    return operator


@pytest.fixture
def store_staff(demo):
    roles_seed()
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name=STORE_STAFF_GROUP))
    return staff


@pytest.mark.django_db
def test_an_operator_cannot_touch_users_roles_or_the_ledger(client, operator, alice):
    client.force_login(operator)
    account = Account.objects.filter(user=alice).first()
    transaction = Transaction.objects.first()
    before = state_fingerprint()

    for url in (
        "/admin/core/user/",
        f"/admin/core/user/{alice.pk}/change/",
        "/admin/auth/group/",
        "/admin/points/transaction/add/",
        f"/admin/points/transaction/{transaction.pk}/delete/",
        f"/admin/points/account/{account.pk}/delete/",
    ):
        assert client.get(url).status_code in (403, 302), url
    response = client.post(f"/admin/core/user/{alice.pk}/change/", {"is_superuser": "on", "is_staff": "on"})

    assert response.status_code == 403
    alice.refresh_from_db()
    assert not alice.is_staff and not alice.is_superuser
    assert state_fingerprint() == before


@pytest.mark.django_db
def test_store_staff_can_view_orders_but_not_change_them_or_products(client, store_staff, alice):
    client.force_login(store_staff)
    order = Order.objects.filter(user=alice).first()
    product = Product.objects.first()
    before = state_fingerprint()

    assert client.get("/admin/mall/order/").status_code == 200
    assert client.post(f"/admin/mall/order/{order.pk}/change/", {"status": "cancelled"}).status_code == 403
    assert client.get(f"/admin/mall/product/{product.pk}/change/").status_code == 403
    assert client.get("/admin/checkin/challenge/").status_code == 403

    assert state_fingerprint() == before


@pytest.mark.django_db
def test_a_mini_program_user_never_reaches_admin(client, alice):
    client.force_login(alice)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# -- deploy checks --------------------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-secret-" + "x7Qp2vL9" * 6,
        "ALLOWED_HOSTS": "api.example.com",
        "DATABASE_URL": "postgres://app@db.example.com:5432/growth",
        "REDIS_URL": "redis://cache.example.com:6379/0",
        "WECHAT_MODE": "live",
        "WECHAT_APPID": "wx0123456789",
        "WECHAT_SECRET": "wechat-secret-from-the-environment",
        "STATIC_ROOT": str(tmp_path / "static"),
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
