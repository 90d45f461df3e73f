"""The share landing page `/r/<code>`: the clinic's name and logo, and the "open the mini-program"
button (a WeChat URL Link through the adapter, cached per code for less than the link lives)."""

import html
import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile

from core.wechat import URLLINK_MAX_DAYS, WeChatError
from core.wechat.fake import FAKE_URLLINK_BASE
from referral.models import ReferralConfig, ReferralProfile, Scan
from referral.services import landing
from referral.services.profiles import referral_profile_ensure
from tests.referral.factories import ChannelFactory, UserFactory

pytestmark = pytest.mark.django_db

BUTTON = re.compile(r'<a class="open" href="([^"]+)"')


@pytest.fixture
def inviter():
    user = UserFactory(nickname="小艾")
    referral_profile_ensure(user=user)
    return user


def code_of(user) -> str:
    return ReferralProfile.objects.get(user=user).code


def button_link(response) -> str | None:
    found = BUTTON.search(response.content.decode())
    return html.unescape(found.group(1)) if found else None


class StubWeChat:
    """The live adapter's generate_urllink, answering a new link per call (or refusing)."""

    def __init__(self, *, fail: bool = False):
        self.fail = fail
        self.calls: list[tuple[str, str, int]] = []

    def generate_urllink(self, path, query="", *, expire_days=URLLINK_MAX_DAYS):
        self.calls.append((path, query, expire_days))
        if self.fail:
            raise WeChatError(85402, "quota used up")
        return f"https://wxaurl.cn/link{len(self.calls)}"


@pytest.fixture
def live_wechat():
    stub = StubWeChat()
    with mock.patch.object(landing, "get_wechat_client", return_value=stub):
        yield stub


# -- the button -----------------------------------------------------------------------------------


def test_the_page_has_an_open_button_with_the_fakes_placeholder_link(client, inviter):
    code = code_of(inviter)

    response = client.get(f"/r/{code}")

    assert response.status_code == 200
    link = button_link(response)
    assert link is not None and link.startswith(FAKE_URLLINK_BASE)
    assert "pages%2Findex%2Findex" in link and f"r%3D{code}" in link
    assert Scan.objects.filter(code=code).count() == 1  # the visit is still recorded


def test_live_mode_links_to_the_url_link_for_the_code_with_its_scene(client, inviter, live_wechat):
    code = code_of(inviter)

    link = button_link(client.get(f"/r/{code}"))

    assert link == "https://wxaurl.cn/link1"
    assert live_wechat.calls == [("pages/index/index", f"r={code}", landing.URLLINK_DAYS)]


def test_a_channel_page_opens_with_the_channel_scene(client, live_wechat):
    channel = ChannelFactory(code="DESK-9", name="前台 9")

    link = button_link(client.get("/r/desk-9"))

    assert link == "https://wxaurl.cn/link1"
    assert live_wechat.calls == [("pages/index/index", "c=DESK-9", landing.URLLINK_DAYS)]
    assert channel.name in client.get("/r/DESK-9").content.decode()


def test_the_link_is_cached_per_code(client, inviter, live_wechat):
    other = UserFactory(nickname="小博")
    referral_profile_ensure(user=other)

    first = button_link(client.get(f"/r/{code_of(inviter)}"))
    again = button_link(client.get(f"/r/{code_of(inviter)}"))
    theirs = button_link(client.get(f"/r/{code_of(other)}"))

    assert first == again == "https://wxaurl.cn/link1"
    assert theirs == "https://wxaurl.cn/link2"
    assert len(live_wechat.calls) == 2


def test_the_cache_keeps_a_link_for_less_than_it_lives(client, inviter, live_wechat, monkeypatch):
    sets = []
    real_set = cache.set
    monkeypatch.setattr(
        landing.cache, "set", lambda key, value, timeout=None: (sets.append(timeout), real_set(key, value, timeout))[1]
    )

    client.get(f"/r/{code_of(inviter)}")

    ((_path, _query, days),) = live_wechat.calls
    (timeout,) = sets
    assert timeout == landing.URLLINK_CACHE_SECONDS
    # Whenever a cached link is handed out, it still has at least a day to live.
    assert days * 86400 - timeout >= 86400


def test_an_expired_cache_entry_asks_wechat_for_a_fresh_link(client, inviter, live_wechat):
    code = code_of(inviter)
    client.get(f"/r/{code}")
    cache.delete(landing._cache_key("pages/index/index", f"r={code}"))  # as the timeout would

    assert button_link(client.get(f"/r/{code}")) == "https://wxaurl.cn/link2"


def test_a_refusal_drops_the_button_keeps_the_instructions_and_is_not_retried_at_once(client, inviter):
    stub = StubWeChat(fail=True)
    with mock.patch.object(landing, "get_wechat_client", return_value=stub):
        first = client.get(f"/r/{code_of(inviter)}")
        client.get(f"/r/{code_of(inviter)}")

    assert first.status_code == 200 and button_link(first) is None
    assert code_of(inviter) in first.content.decode()  # the code to type is still there
    assert len(stub.calls) == 1  # the refusal is remembered for a few minutes


def test_a_changed_page_path_gives_a_new_link(client, inviter, live_wechat):
    client.get(f"/r/{code_of(inviter)}")
    ReferralConfig.objects.create(landing_page_path="pages/invite/landing")

    link = button_link(client.get(f"/r/{code_of(inviter)}"))

    assert link == "https://wxaurl.cn/link2"
    assert live_wechat.calls[-1][0] == "pages/invite/landing"


def test_an_unknown_code_has_no_button_and_asks_wechat_nothing(client, live_wechat):
    response = client.get("/r/NOPE999")

    assert response.status_code == 404 and button_link(response) is None
    assert live_wechat.calls == []


def test_a_deactivated_inviters_code_is_not_found(client, inviter, live_wechat):
    code = code_of(inviter)
    type(inviter).objects.filter(pk=inviter.pk).update(is_active=False)

    response = client.get(f"/r/{code}")

    assert response.status_code == 404 and button_link(response) is None
    assert "小艾" not in response.content.decode()


# -- branding -------------------------------------------------------------------------------------


def test_the_clinic_name_and_logo_url_from_the_settings_row_are_shown(client, inviter):
    ReferralConfig.objects.create(clinic_name="微笑口腔 · 南山店", clinic_logo_url="https://cdn.example.test/logo.png")

    page = client.get(f"/r/{code_of(inviter)}").content.decode()

    assert "微笑口腔 · 南山店" in page
    assert '<img src="https://cdn.example.test/logo.png" alt="微笑口腔 · 南山店">' in page
    assert "<title>微笑口腔 · 南山店 · " in page


def test_an_uploaded_logo_wins_over_the_url(client, inviter):
    config = ReferralConfig.objects.create(clinic_name="微笑口腔", clinic_logo_url="https://cdn.example.test/old.png")
    config.clinic_logo.save("logo.png", ContentFile(b"\x89PNG\r\n\x1a\nfake"))

    page = client.get(f"/r/{code_of(inviter)}").content.decode()

    assert f'src="{config.clinic_logo.url}"' in page and "old.png" not in page


def test_without_branding_the_page_has_no_header_and_an_escaped_nickname(client):
    user = UserFactory(nickname="<b>小艾</b>")
    referral_profile_ensure(user=user)

    page = client.get(f"/r/{code_of(user)}").content.decode()

    assert 'class="brand"' not in page
    assert "<b>小艾</b>" not in page and "&lt;b&gt;小艾&lt;/b&gt;" in page


def test_the_page_is_mobile_friendly_chinese(client, inviter):
    page = client.get(f"/r/{code_of(inviter)}").content.decode()

    assert '<html lang="zh-hans">' in page
    assert 'name="viewport" content="width=device-width' in page


def test_an_inviter_without_a_nickname_still_gets_a_heading(client):
    user = UserFactory(nickname="")
    referral_profile_ensure(user=user)

    page = client.get(f"/r/{code_of(user)}").content.decode()

    heading = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1).strip()
    assert heading and not heading.startswith(" ")
