"""Races with real threads against PostgreSQL, through the HTTP API, each ending with the ledger audit clean.

Only the races no other suite runs (see docs/reliability.md for the ones that exist: double-tap
check-in, oversell, last group seat, group join versus expiry, two settlements, referral triggers,
assist helpers).
"""

import pytest
import time_machine
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from campaigns.groupbuy.models import GroupBuyMember
from checkin.models import Entry
from mall.models import Order
from tests.campaigns.groupbuy.factories import GroupBuyOfferFactory
from tests.checkin.factories import ChallengeFactory, at, balance, fund
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory
from tests.reliability.helpers import assert_ledger_clean, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

JOIN_TIME = at(2026, 3, 1, 12)


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def test_a_double_tapped_join_makes_one_entry_and_takes_one_stake():
    challenge = ChallengeFactory()
    user = UserFactory()
    fund(user, 100)
    with time_machine.travel(JOIN_TIME, tick=False):
        client = _client(user)
        responses = run_together(
            *[lambda: client.post(f"/api/challenges/{challenge.pk}/join", {"stake": 30}, format="json")] * 8
        )

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, statuses
    assert all(r.json()["code"] == "already_joined" for r in responses if r.status_code != 201)
    assert Entry.objects.filter(user=user).count() == 1
    assert balance(user) == 70
    assert_ledger_clean()


def test_the_last_seats_of_a_round_go_to_exactly_as_many_users_as_it_holds():
    challenge = ChallengeFactory(max_participants=3)
    users = [UserFactory() for _ in range(12)]
    for user in users:
        fund(user, 100)
    with time_machine.travel(JOIN_TIME, tick=False):
        calls = [(_client(u), f"/api/challenges/{challenge.pk}/join", {"stake": 10}) for u in users]
        responses = run_together(*[lambda call=call: call[0].post(call[1], call[2], format="json") for call in calls])

    winners = [u for u, r in zip(users, responses, strict=True) if r.status_code == 201]
    assert len(winners) == 3
    assert {r.json()["code"] for r in responses if r.status_code != 201} == {"round_full"}
    assert Entry.objects.count() == 3
    assert sum(balance(u) for u in users) == 100 * 12 - 30
    assert_ledger_clean()


def test_one_wallet_spent_at_once_on_a_stake_a_redemption_and_a_group_buy_never_overspends():
    # Given 100 points and three ways to spend 80, 90 and 60 of them, tapped at the same instant
    user = UserFactory()
    fund(user, 100)
    challenge = ChallengeFactory(stake_min=10, stake_max=100)
    product = ProductFactory(price=90, stock=10)
    offer = GroupBuyOfferFactory(price=60)
    with time_machine.travel(JOIN_TIME, tick=False):
        client = _client(user)
        calls = [
            (client, f"/api/challenges/{challenge.pk}/join", {"stake": 80}),
            (client, "/api/mall/redemptions", {"product": product.pk, "quantity": 1}),
            (client, f"/api/groupbuys/offers/{offer.pk}/open", {}),
        ] * 2
        responses = run_together(*[lambda call=call: call[0].post(call[1], call[2], format="json") for call in calls])

    # Then exactly one of them is paid for, the others are refused for want of points
    ok = [r for r in responses if r.status_code in (200, 201)]
    refused = [r for r in responses if r.status_code >= 400]
    assert len(ok) == 1, [(r.status_code, r.json()) for r in responses]
    assert {r.json()["code"] for r in refused} <= {"insufficient_points", "already_joined", "limit_reached"}
    spent = 100 - balance(user)
    assert spent in (80, 90, 60)
    assert balance(user) >= 0
    orders = Order.objects.filter(user=user).exclude(status=Order.Status.CANCELLED).count()
    entries = Entry.objects.filter(user=user).count()
    members = GroupBuyMember.objects.filter(user=user).count()
    assert orders + entries == 1  # a group-buy seat is an order too
    assert members <= orders
    assert_ledger_clean()
