"""Refresh-token rotation (core/tokens.py): a refresh token is good for exactly one rotation."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory
from tests.reliability.helpers import run_together


def refresh(token: str):
    return APIClient().post("/api/auth/refresh", {"refresh": token}, format="json")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_refresh_token_used_four_times_at_once_rotates_once():
    # Given a refresh token the client sends from four tabs at the same moment
    token = str(RefreshToken.for_user(UserFactory()))

    responses = run_together(*[lambda: refresh(token) for _ in range(4)])

    # Then exactly one rotation happens; the other three are refused, as any other bad token
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 401, 401, 401], [r.json() for r in responses]
    refused = [r.json() for r in responses if r.status_code == 401]
    assert {body["code"] for body in refused} == {"token_not_valid"}
    assert all(set(body) == {"code", "detail"} and body["detail"] for body in refused)
    # and only the winner's new refresh token exists (the three losers minted none)
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert OutstandingToken.objects.count() == 2
    assert BlacklistedToken.objects.get().token.jti == RefreshToken(token, verify=False)["jti"]
    # and that new token is itself good for one rotation
    assert refresh(winner["refresh"]).status_code == 200
    assert refresh(winner["refresh"]).status_code == 401


@pytest.mark.django_db
def test_a_used_refresh_token_sent_again_later_is_refused():
    token = str(RefreshToken.for_user(UserFactory()))

    first = refresh(token)
    again = refresh(token)

    assert first.status_code == 200
    assert first.json()["access"] and first.json()["refresh"] != token
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"
    assert OutstandingToken.objects.count() == 2


@pytest.mark.django_db
def test_a_refresh_token_issued_before_the_blacklist_knew_it_rotates_once():
    # A token whose OutstandingToken row is missing (issued before the blacklist app, or purged)
    token = str(RefreshToken.for_user(UserFactory()))
    OutstandingToken.objects.all().delete()

    assert refresh(token).status_code == 200
    assert refresh(token).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["not-a-token", ""])
def test_a_malformed_refresh_token_is_refused_with_the_error_shape(token):
    response = refresh(token)

    assert response.status_code in (400, 401)
    assert set(response.json()) >= {"code", "detail"}
    assert OutstandingToken.objects.count() == 0
