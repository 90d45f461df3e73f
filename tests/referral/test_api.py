"""Over HTTP with the demo data: the whole referral story a mini-program client sees."""

import io

import pytest
import zxingcpp
from django.core.management import call_command
from PIL import Image

from core.demo import seed_demo
from core.models import User
from points.selectors import wallet_balance
from referral.models import PosterTemplate, ReferralProfile, Scan
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    seed_demo()
    return User.objects.get(openid="fake-demo-alice")


def login(api_client, code, **extra):
    response = api_client.post("/api/auth/wechat/login", {"code": code, **extra}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def decode(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))]


def test_invite_story_over_http(api_client, demo, django_capture_on_commit_callbacks):
    alice = demo
    alice_client = client_for(alice)
    mine = alice_client.get("/api/referral/me").json()
    assert mine["scene"] == f"r={mine['code']}" and mine["share_url"].endswith(f"/r/{mine['code']}")
    alice_before = wallet_balance(user=alice)

    # A new user arrives through Alice's mini-program code.
    body = login(api_client, "newcomer", referral=mine["scene"])
    assert body["user"]["is_new"] is True and body["user"]["referral_code"]
    friend_client = client_for(User.objects.get(pk=body["user"]["id"]))
    me = friend_client.get("/api/me").json()
    assert me["invited_by"] == {"id": alice.pk, "nickname": alice.nickname}
    assert me["referral_code"] == body["user"]["referral_code"]

    # Verifying the phone pays Alice once (rule 50 + the demo's invite_friend task 10), and the
    # friend their welcome.
    friend_before = me["points"]
    with django_capture_on_commit_callbacks(execute=True):  # the inviter's task runs after commit
        verified = friend_client.post("/api/me/phone", {"code": "13800000123"}, format="json")
    assert verified.status_code == 200, verified.json()
    friend_client.post("/api/me/phone", {"code": "13800000123"}, format="json")
    assert wallet_balance(user=alice) == alice_before + 50 + 10
    assert verified.json()["points"] >= friend_before + 20

    # Logging in again with Bob's code changes nothing.
    bob = User.objects.get(openid="fake-demo-bob")
    bob_before = wallet_balance(user=bob)
    again = login(api_client, "newcomer", referral=f"r={ReferralProfile.objects.get(user=bob).code}")
    assert again["user"]["is_new"] is False
    assert friend_client.get("/api/me").json()["invited_by"]["id"] == alice.pk
    assert wallet_balance(user=bob) == bob_before
    assert wallet_balance(user=alice) == alice_before + 50 + 10
    summary = alice_client.get("/api/referral/me").json()
    assert summary == {**mine, "invited": 1, "qualified": 1, "rewarded_points": 50}

    invitees = alice_client.get("/api/referral/invitees").json()
    assert [(i["user"]["nickname"], i["status"]) for i in invitees["results"]] == [("", "qualified")]
    assert invitees["results"][0]["joined_at"]
    board = alice_client.get("/api/referral/leaderboard").json()
    assert board["entries"][0]["user"]["id"] == alice.pk and board["entries"][0]["score"] == 1
    assert board["me"] == {"rank": 1, "score": 1}

    call_command("audit_ledger")


def test_poster_is_a_png_whose_qr_decodes_to_the_share_url(demo):
    client = client_for(demo)
    share_url = client.get("/api/referral/me").json()["share_url"]
    template = PosterTemplate.objects.get(is_default=True)

    default = client.get("/api/referral/poster")
    chosen = client.get(f"/api/referral/poster?template={template.pk}", HTTP_ACCEPT="image/png")

    for response in (default, chosen):
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert decode(response.content) == [share_url]


def test_poster_errors_are_json(demo):
    client = client_for(demo)

    not_a_number = client.get("/api/referral/poster?template=abc")
    missing = client.get("/api/referral/poster?template=99999")
    inactive = PosterTemplate.objects.create(name="old", is_active=False)
    switched_off = client.get(f"/api/referral/poster?template={inactive.pk}")

    assert not_a_number.status_code == 400 and not_a_number.json()["code"] == "invalid"
    assert missing.status_code == 404 and missing.json()["code"] == "poster_template_not_found"
    assert switched_off.status_code == 404


@pytest.mark.parametrize("path", ["/api/referral/me", "/api/referral/poster", "/api/referral/invitees"])
def test_referral_endpoints_need_a_login(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_leaderboard_limit_is_validated(demo):
    response = client_for(demo).get("/api/referral/leaderboard?limit=0")

    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_landing_page_is_html_and_records_the_scan(client, demo):
    code = ReferralProfile.objects.get(user=demo).code

    response = client.get(f"/r/{code}", HTTP_USER_AGENT="Mozilla/5.0 MicroMessenger")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<html" in html and demo.nickname in html and code in html
    assert "20" in html  # what the friend gets: the demo rule's 20 points
    scan = Scan.objects.get(code=code)
    assert scan.profile.user == demo and scan.source == Scan.Source.LANDING and len(scan.user_agent_hash) == 64


def test_landing_page_for_a_channel_and_for_nothing(client, demo):
    desk = client.get("/r/front-desk")
    unknown = client.get("/r/NOPE999")

    assert desk.status_code == 200 and "前台" in desk.content.decode()
    assert Scan.objects.filter(channel__code="FRONT-DESK").count() == 1
    assert unknown.status_code == 404 and unknown["Content-Type"].startswith("text/html")
    assert Scan.objects.count() == 1


def test_front_desk_channel_attributes_a_login(api_client, demo):
    body = login(api_client, "walk-in", referral="c=FRONT-DESK")

    assert ReferralProfile.objects.get(user_id=body["user"]["id"]).channel.code == "FRONT-DESK"
    assert client_for(User.objects.get(pk=body["user"]["id"])).get("/api/me").json()["invited_by"] is None


def test_seed_demo_is_idempotent(demo):
    from referral.models import Channel, RewardRule

    seed_demo()

    assert RewardRule.objects.count() == 1 and PosterTemplate.objects.count() == 1 and Channel.objects.count() == 1
    rule = RewardRule.objects.get()
    assert (rule.trigger, rule.inviter_points, rule.invitee_points) == ("phone_verified", 50, 20)
