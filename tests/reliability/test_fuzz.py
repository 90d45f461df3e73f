"""Schemathesis against the project's own OpenAPI schema, as an anonymous and as a logged-in user.

Every operation of `/api/schema/` (new ones join automatically) gets valid and invalid requests
generated from the schema, through the real WSGI application. Each answer must:
- never be a 5xx;
- have a status the schema documents, a documented content type and a body matching the schema;
- be a 4xx when the request broke the schema (negative data);
- on a 4xx, leave the database exactly as it was (row counts of every table, every balance, stock);
- for a logged-in request, be refused without the token (auth is not ignored);
- never carry an openid or a phone number.
Examples are bounded and derandomised, so CI runs the same requests every time.
"""

import itertools

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from campaigns.assist.models import AssistCampaign, AssistTask
from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyOffer
from checkin.models import Challenge
from core.models import User
from mall.models import Order
from points.models import PointsTask
from tests.mall.factories import give_points
from tests.reliability.helpers import assert_ledger_clean, set_throttle_rates, state_fingerprint

# Identifiers no answer may carry, whoever asks (the users' openids, the other user's phone).
SECRETS = [b"fuzz-me-openid", b"fuzz-other-openid", b"13712345678"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
FUZZ_SETTINGS = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def wsgi_app():
    """The real WSGI application, keeping the test's connection (and transaction) across requests.

    Like Django's test client, each request runs with `close_old_connections` off.
    """
    django_app = get_wsgi_application()

    def app(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = django_app(environ, start_response)
            try:
                body = b"".join(response)
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return [body]

    return app


@pytest.fixture
def no_throttles(monkeypatch):
    """Throttles would answer 429 to most of the fuzz; they have their own tests (test_security)."""
    rates = dict.fromkeys([*SimpleRateThrottle.THROTTLE_RATES, "anon", "user", "login"], "1000000/min")
    set_throttle_rates(monkeypatch, rates)


def _act(client: APIClient) -> None:
    """Give a user some state: an entry, an order, a group, an assist task (best effort)."""
    challenge = Challenge.objects.order_by("pk").first()
    client.post(f"/api/challenges/{challenge.pk}/join", {"stake": challenge.stake_min}, format="json")
    product = Order._meta.get_field("product").related_model.objects.order_by("price").first()
    client.post("/api/mall/redemptions", {"product": product.pk, "quantity": 1}, format="json")
    offer = GroupBuyOffer.objects.order_by("pk").first()
    if offer is not None:
        client.post(f"/api/groupbuys/offers/{offer.pk}/open")
    campaign = AssistCampaign.objects.order_by("pk").first()
    if campaign is not None:
        client.post(f"/api/assists/campaigns/{campaign.pk}/start")


@pytest.fixture
def world(db, wsgi_app, no_throttles):
    """The demo data, a logged-in user `me` and another user, both with points and some state."""
    call_command("seed_demo", verbosity=0)
    me = User.objects.create_user(username="fuzz-me", openid="fuzz-me-openid", nickname="fuzz")
    other = User.objects.create_user(
        username="fuzz-other", openid="fuzz-other-openid", nickname="other", phone="13712345678", phone_verified=True
    )
    for user in (me, other):
        give_points(user, 5000)
        client = APIClient()
        client.force_authenticate(user)
        _act(client)
    return {"me": me, "token": str(RefreshToken.for_user(me).access_token)}


@pytest.fixture
def api_schema(world, wsgi_app):
    api_schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    # The fuzz sends the user's token itself; unknown query parameters are ignored by design (DRF).
    api_schema.config.generation.update(allow_extra_parameters=False, with_security_parameters=False)
    return api_schema


schema = schemathesis.pytest.from_fixture("api_schema")


def _known_ids() -> dict[str, list]:
    """Path parameters that name real objects (both users'), so the fuzz reaches past the 404s."""
    return {
        "challenge_id": list(Challenge.objects.values_list("pk", flat=True)),
        "order_id": list(Order.objects.values_list("pk", flat=True)),
        "group_id": list(GroupBuyGroup.objects.values_list("pk", flat=True)),
        "offer_id": list(GroupBuyOffer.objects.values_list("pk", flat=True)),
        "task_id": list(AssistTask.objects.values_list("pk", flat=True)),
        "campaign_id": list(AssistCampaign.objects.values_list("pk", flat=True)),
        "code": list(PointsTask.objects.values_list("code", flat=True)),
        "key": ["home_banner"],
    }


_counter = itertools.count()


def _aim_path_parameters(case) -> None:
    """Two valid requests in three name an existing object (either user's) instead of a random one."""
    if not case.path_parameters or case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    if next(_counter) % 3 == 0:
        return
    known = _known_ids()
    for name, value in list(case.path_parameters.items()):
        choices = known.get(name)
        if not choices:
            continue
        if isinstance(value, int) and isinstance(choices[0], int):
            case.path_parameters[name] = choices[value % len(choices)]
        elif isinstance(value, str) and isinstance(choices[0], str):
            case.path_parameters[name] = choices[len(value) % len(choices)]


def _call_and_check(case, headers, checks) -> None:
    _aim_path_parameters(case)
    if case.media_type and case.media_type.startswith("multipart/"):
        # The WSGI transport sends a text field that should be "" as an empty file part, which
        # Django drops as "no file": the field was never sent, so it cannot be a rejected value.
        checks = [check for check in checks if check is not negative_data_rejection]
    before = state_fingerprint()
    response = case.call(headers=headers)
    case.validate_response(response, checks=checks, headers=headers)
    if 400 <= response.status_code < 500:
        assert state_fingerprint() == before, f"{case.method} {case.formatted_path} answered {response.status_code}"
    leaked = [secret for secret in SECRETS if secret in response.content]
    assert not leaked, f"{case.method} {case.formatted_path} answered {leaked}"


@schema.parametrize()
@settings(FUZZ_SETTINGS, max_examples=5)  # nearly every answer is the same 401
def test_anonymous_fuzz(case):
    _call_and_check(case, headers={}, checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_logged_in_fuzz(case, world):
    _call_and_check(case, headers={"Authorization": f"Bearer {world['token']}"}, checks=[*CHECKS, ignored_auth])


def test_the_fuzzed_world_ends_with_a_clean_ledger(world):
    assert_ledger_clean()
