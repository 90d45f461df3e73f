import pytest
import time_machine

from accounts.services import user_login_wechat
from referral.codes import scene_for_channel, scene_for_user
from referral.models import Referral, ReferralProfile, Scan
from referral.services import referral_bind_new_user, referral_profile_ensure, referral_scan_record
from tests.referral.factories import ChannelFactory, UserFactory, inviter_with_code

pytestmark = pytest.mark.django_db


def login(code, **kwargs):
    user, is_new = user_login_wechat(code=code, **kwargs)
    return user, is_new


@pytest.mark.parametrize("form", ["scene", "bare", "lower", "encoded", "dashed"])
def test_a_new_user_is_bound_by_scene_or_code(form):
    inviter, profile = inviter_with_code()
    referral = {
        "scene": scene_for_user(profile.code),
        "bare": profile.code,
        "lower": profile.code.lower(),
        "encoded": "r%3D" + profile.code,
        "dashed": f"{profile.code[:3]}-{profile.code[3:]}",
    }[form]

    user, is_new = login("newcomer", referral=referral)

    assert is_new
    assert Referral.objects.get(invitee=user).inviter == inviter


def test_the_new_user_gets_a_code_of_their_own():
    user, _ = login("newcomer")

    assert ReferralProfile.objects.get(user=user).code


def test_an_invalid_code_is_ignored_and_the_login_succeeds():
    user, is_new = login("newcomer", referral="r=NOPE999")
    other, _ = login("other", referral="<script>alert(1)</script>" * 2)

    assert is_new and user.pk
    assert not Referral.objects.exists()
    assert ReferralProfile.objects.filter(user__in=[user, other]).count() == 2


def test_an_existing_user_is_never_bound():
    _inviter, profile = inviter_with_code()
    user, _ = login("regular")

    again, is_new = login("regular", referral=scene_for_user(profile.code))

    assert again.pk == user.pk and not is_new
    assert not Referral.objects.filter(invitee=user).exists()


def test_first_touch_wins():
    first, first_profile = inviter_with_code()
    _second, second_profile = inviter_with_code()
    user, _ = login("newcomer", referral=scene_for_user(first_profile.code))

    # Even called again directly, a bound user keeps their inviter.
    result = referral_bind_new_user(user=user, referral=scene_for_user(second_profile.code))

    assert result is None
    assert Referral.objects.get(invitee=user).inviter == first


def test_never_self():
    user = UserFactory()
    own = referral_profile_ensure(user=user)

    assert referral_bind_new_user(user=user, referral=scene_for_user(own.code)) is None
    assert not Referral.objects.exists()


def test_never_a_cycle():
    a, a_profile = inviter_with_code()
    b = UserFactory()
    b_profile = referral_profile_ensure(user=b)
    c = UserFactory()
    assert referral_bind_new_user(user=b, referral=a_profile.code)  # a -> b
    assert referral_bind_new_user(user=c, referral=b_profile.code)  # b -> c
    c_profile = referral_profile_ensure(user=c)

    # a invited by c would close a -> b -> c -> a.
    assert referral_bind_new_user(user=a, referral=c_profile.code) is None
    assert not Referral.objects.filter(invitee=a).exists()


def test_an_inactive_inviter_binds_nobody():
    _inviter, profile = inviter_with_code(is_active=False)

    user, _ = login("newcomer", referral=profile.code)

    assert not Referral.objects.filter(invitee=user).exists()


def test_channel_attribution_by_scene_or_parameter():
    desk = ChannelFactory(code="FRONT-DESK")
    event = ChannelFactory(code="EXPO")

    by_scene, _ = login("one", referral=scene_for_channel(desk.code))
    by_param, _ = login("two", channel="expo")
    by_bare_code, _ = login("three", referral="FRONT-DESK")

    assert ReferralProfile.objects.get(user=by_scene).channel == desk
    assert ReferralProfile.objects.get(user=by_param).channel == event
    assert ReferralProfile.objects.get(user=by_bare_code).channel == desk
    assert not Referral.objects.exists()


def test_inviter_and_channel_together():
    inviter, profile = inviter_with_code()
    desk = ChannelFactory(code="DESK")

    user, _ = login("newcomer", referral=f"r={profile.code}&c=DESK")

    referral = Referral.objects.get(invitee=user)
    assert referral.inviter == inviter and referral.channel == desk
    assert ReferralProfile.objects.get(user=user).channel == desk


def test_an_inactive_channel_is_ignored():
    ChannelFactory(code="OLD", is_active=False)

    user, _ = login("newcomer", channel="OLD")

    assert ReferralProfile.objects.get(user=user).channel is None


def test_the_first_scan_is_the_landing_visit_that_came_before():
    _inviter, profile = inviter_with_code()
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        scan = referral_scan_record(code=profile.code, profile=profile, channel=None, user_agent="Mozilla/5.0")
    with time_machine.travel("2026-03-01 10:05 +0800", tick=False):
        user, _ = login("newcomer", referral=profile.code)
        other, _ = login("other", referral=profile.code)

    assert ReferralProfile.objects.get(user=user).first_scan == scan
    scan.refresh_from_db()
    assert scan.user == user
    # The landing scan was claimed once; the second sign-up gets a scan of its own login.
    other_scan = ReferralProfile.objects.get(user=other).first_scan
    assert other_scan != scan and other_scan.source == Scan.Source.LOGIN and other_scan.user == other


def test_a_landing_scan_from_yesterday_is_not_claimed():
    _inviter, profile = inviter_with_code()
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        old = referral_scan_record(code=profile.code, profile=profile, channel=None, user_agent="UA")
    with time_machine.travel("2026-03-02 11:00 +0800", tick=False):
        user, _ = login("newcomer", referral=profile.code)

    assert ReferralProfile.objects.get(user=user).first_scan != old


def test_scans_from_one_browser_within_minutes_count_once():
    _inviter, profile = inviter_with_code()

    first = referral_scan_record(code=profile.code, profile=profile, channel=None, user_agent="UA", client="1.2.3.4")
    again = referral_scan_record(code=profile.code, profile=profile, channel=None, user_agent="UA", client="1.2.3.4")
    other = referral_scan_record(code=profile.code, profile=profile, channel=None, user_agent="UA2", client="1.2.3.4")

    assert first is not None and again is None and other is not None
    assert len(first.user_agent_hash) == 64 and "UA" not in first.user_agent_hash


def test_one_address_recording_scan_after_scan_stops_counting(monkeypatch):
    from referral.services import attribution

    monkeypatch.setattr(attribution, "SCANS_PER_CLIENT_PER_HOUR", 3)
    _inviter, profile = inviter_with_code()

    recorded = [
        referral_scan_record(code=profile.code, profile=profile, channel=None, user_agent=f"UA{i}", client="5.6.7.8")
        for i in range(5)
    ]
    elsewhere = referral_scan_record(code=profile.code, profile=profile, channel=None, client="9.9.9.9")

    assert [scan is not None for scan in recorded] == [True, True, True, False, False]
    assert elsewhere is not None
