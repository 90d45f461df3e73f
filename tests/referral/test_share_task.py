"""The share task (`share_opened`): paid to the sharer on a real open by a distinct friend, after
commit, up to the task's daily cap; never on the client's word, never for the sharer's own open."""

import datetime as dt

import pytest
import time_machine

from points.models import PointsTask, TaskCompletion
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from referral.models import ShareOpen
from referral.services import referral_bind_new_user, referral_profile_ensure, referral_scan_record
from referral.services.attribution import referral_bind_via_share
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def share_task():
    return PointsTask.objects.create(
        code="share_opened", title="好友打开你的分享", points=5, frequency=PointsTask.Frequency.UNLIMITED, daily_cap=3
    )


@pytest.fixture
def sharer():
    user = UserFactory()
    referral_profile_ensure(user=user)
    return user


def completions(user) -> int:
    return TaskCompletion.objects.filter(user=user, task__code="share_opened").count()


def scan(profile, *, agent="WeChat/8.0 iPhone", client="10.0.0.1"):
    return referral_scan_record(code=profile.code, profile=profile, channel=None, user_agent=agent, client=client)


def test_a_friends_landing_visit_completes_the_task_after_commit(
    share_task, sharer, django_capture_on_commit_callbacks
):
    profile = sharer.referral_profile
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert scan(profile) is not None
    assert completions(sharer) == 0  # nothing inside the friend's transaction
    for callback in callbacks:
        callback()
    assert completions(sharer) == 1 and wallet_balance(user=sharer) == 5
    assert ledger_audit().ok


def test_the_same_friend_counts_once_even_after_the_dedupe_window(
    share_task, sharer, django_capture_on_commit_callbacks
):
    profile = sharer.referral_profile
    with django_capture_on_commit_callbacks(execute=True):
        scan(profile)
    with time_machine.travel(dt.timedelta(days=2)), django_capture_on_commit_callbacks(execute=True):
        from django.core.cache import cache

        cache.clear()  # the ten-minute scan dedupe has long expired
        assert scan(profile) is not None  # a scan is recorded again...
    assert ShareOpen.objects.filter(sharer=sharer).count() == 1  # ...but the friend counted once
    assert completions(sharer) == 1


def test_distinct_friends_count_up_to_the_daily_cap_and_again_the_next_day(
    share_task, sharer, django_capture_on_commit_callbacks
):
    profile = sharer.referral_profile
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            scan(profile, client=f"10.0.0.{n}")
    assert ShareOpen.objects.filter(sharer=sharer).count() == 5
    assert completions(sharer) == 3 and wallet_balance(user=sharer) == 15
    with time_machine.travel(dt.timedelta(days=1)), django_capture_on_commit_callbacks(execute=True):
        scan(profile, client="10.0.1.1")
    assert completions(sharer) == 4
    assert ledger_audit().ok


def test_a_new_user_bound_by_the_code_counts_once(share_task, sharer, django_capture_on_commit_callbacks):
    code = sharer.referral_profile.code
    friend = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert referral_bind_new_user(user=friend, referral=f"r={code}") is not None
        assert referral_bind_new_user(user=friend, referral=f"r={code}") is None
    assert completions(sharer) == 1
    assert ShareOpen.objects.get(sharer=sharer).friend == f"user:{friend.pk}"


def test_a_landing_visit_then_the_sign_up_it_brought_is_one_friend(
    share_task, sharer, django_capture_on_commit_callbacks
):
    profile = sharer.referral_profile
    with django_capture_on_commit_callbacks(execute=True):
        scan(profile)
        referral_bind_new_user(user=UserFactory(), referral=profile.code)  # claims that scan
    assert ShareOpen.objects.filter(sharer=sharer).count() == 1
    assert completions(sharer) == 1


def test_a_new_user_bound_by_a_share_play_counts(share_task, sharer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        referral_bind_via_share(user=UserFactory(), sharer=sharer)
    assert completions(sharer) == 1


def test_opening_your_own_code_earns_nothing(share_task, sharer, django_capture_on_commit_callbacks):
    code = sharer.referral_profile.code
    with django_capture_on_commit_callbacks(execute=True):
        assert referral_bind_new_user(user=sharer, referral=code) is None
        assert referral_bind_via_share(user=sharer, sharer=sharer) is None
    assert not ShareOpen.objects.exists() and completions(sharer) == 0
    assert wallet_balance(user=sharer) == 0


def test_the_sharer_opening_their_own_link_in_a_browser_earns_nothing(
    share_task, sharer, django_capture_on_commit_callbacks
):
    """The sharer's phone fetched their code (referral/me) from an address: a landing-page open from
    that address within a day is the sharer's own, not a friend's; a friend elsewhere still counts."""
    from tests.conftest import client_for

    phone = client_for(sharer)
    assert phone.get("/api/referral/me", REMOTE_ADDR="198.51.100.7").status_code == 200
    profile = sharer.referral_profile
    with django_capture_on_commit_callbacks(execute=True):
        assert scan(profile, agent="Mozilla/5.0 Safari", client="198.51.100.7") is not None  # the scan is kept
    assert not ShareOpen.objects.exists() and completions(sharer) == 0

    with django_capture_on_commit_callbacks(execute=True):
        scan(profile, client="203.0.113.9")
    assert completions(sharer) == 1


def test_the_sharers_login_address_is_theirs_too(share_task, sharer, api_client, django_capture_on_commit_callbacks):
    from core.models import User

    openid_code = f"sharer-{sharer.pk}"  # the fake WeChat gives code X the openid fake-X
    User.objects.filter(pk=sharer.pk).update(openid=f"fake-{openid_code}")
    login = api_client.post("/api/auth/wechat/login", {"code": openid_code}, format="json", REMOTE_ADDR="198.51.100.8")
    assert login.status_code == 200 and login.json()["user"]["id"] == sharer.pk
    with django_capture_on_commit_callbacks(execute=True):
        scan(sharer.referral_profile, client="198.51.100.8")
    assert completions(sharer) == 0


def test_an_existing_user_logging_in_with_a_code_is_no_open(
    share_task, sharer, api_client, django_capture_on_commit_callbacks
):
    from core.models import User

    api_client.post("/api/auth/wechat/login", {"code": "old-friend"}, format="json")
    User.objects.filter(openid="fake-old-friend").update(date_joined=User.objects.get(pk=sharer.pk).date_joined)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/auth/wechat/login", {"code": "old-friend", "referral": sharer.referral_profile.code}, format="json"
        )
    assert response.status_code == 200 and response.json()["user"]["is_new"] is False
    assert completions(sharer) == 0


def test_a_channel_scan_pays_no_one(share_task, django_capture_on_commit_callbacks):
    from referral.models import Channel

    channel = Channel.objects.create(code="DESK01", name="前台")
    with django_capture_on_commit_callbacks(execute=True):
        referral_scan_record(code=channel.code, profile=None, channel=channel, user_agent="x", client="1.2.3.4")
    assert not ShareOpen.objects.exists() and not TaskCompletion.objects.exists()


def test_the_app_cannot_complete_the_share_task_itself(share_task, sharer):
    from tests.conftest import client_for

    response = client_for(sharer).post("/api/points/tasks/share_opened/complete")
    assert response.status_code == 403 and response.json()["code"] == "task_server_only"


def test_without_the_task_an_open_is_still_recorded_and_pays_nothing(sharer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        scan(sharer.referral_profile)
    assert ShareOpen.objects.count() == 1 and wallet_balance(user=sharer) == 0
