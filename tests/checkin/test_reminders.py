"""Morning reminders: once per user per day, only with a subscribe credit, only before checking in."""

import datetime as dt
from unittest import mock

import pytest
import time_machine

from checkin.models import Reminder, SubscribeCredit
from checkin.services import challenge_join, checkin_create, reminders_send, subscribe_credit_add
from core.exceptions import ApplicationError
from core.wechat import WeChatError
from tests.checkin.factories import ChallengeFactory, at, fund
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TEMPLATE = "tmpl-checkin"
MORNING = at(2026, 3, 2, 5, 30)  # the window is 05:00-09:00


@pytest.fixture
def challenge():
    return ChallengeFactory(reminder_template_id=TEMPLATE)


def enrolled(challenge, *, credits=1):
    user = UserFactory()
    fund(user, 100)
    with time_machine.travel(at(2026, 3, 1, 12), tick=False):
        challenge_join(user=user, challenge=challenge, stake=10)
    for _ in range(credits):
        subscribe_credit_add(user=user, template_id=TEMPLATE)
    return user


def send(when=MORNING):
    with time_machine.travel(when, tick=False):
        return reminders_send()


def test_an_enrolled_user_with_a_credit_is_reminded_once_a_day(challenge, wechat):
    user = enrolled(challenge, credits=2)
    assert send() == 1
    assert send(MORNING + dt.timedelta(hours=1)) == 0
    assert [m["openid"] for m in wechat.sent_messages] == [user.openid]
    message = wechat.sent_messages[0]
    assert message["template_id"] == TEMPLATE and message["data"]["time2"]["value"] == "05:00-09:00"
    assert SubscribeCredit.objects.get(user=user).credits == 1
    assert Reminder.objects.get(user=user).status == Reminder.Status.SENT


def test_only_users_with_credits_who_have_not_checked_in(challenge, wechat):
    no_credit = enrolled(challenge, credits=0)
    checked_in = enrolled(challenge)
    waiting = enrolled(challenge)
    UserFactory()  # not enrolled
    with time_machine.travel(at(2026, 3, 2, 5, 10), tick=False):
        checkin_create(user=checked_in, challenge=challenge)
    assert send() == 1
    assert [m["openid"] for m in wechat.sent_messages] == [waiting.openid]
    assert not Reminder.objects.filter(user=no_credit).exists()


def test_nothing_after_the_window_closed(challenge, wechat):
    enrolled(challenge)
    assert send(at(2026, 3, 2, 9, 1)) == 0
    assert wechat.sent_messages == []


def test_one_reminder_a_day_across_challenges(challenge, wechat):
    other = ChallengeFactory(reminder_template_id=TEMPLATE)
    user = enrolled(challenge, credits=3)
    with time_machine.travel(at(2026, 3, 1, 12), tick=False):
        challenge_join(user=user, challenge=other, stake=10)
    assert send() == 1
    assert send(at(2026, 3, 3, 5, 30)) == 0  # no round on the 3rd: nothing to remind of
    assert len(wechat.sent_messages) == 1


def test_a_failed_send_gives_the_credit_back(challenge, wechat):
    user = enrolled(challenge)
    with mock.patch.object(type(wechat), "send_subscribe_message", side_effect=WeChatError(-100, "timeout")):
        assert send() == 0
    assert Reminder.objects.get(user=user).status == Reminder.Status.FAILED
    assert SubscribeCredit.objects.get(user=user).credits == 1
    # The day's reminder was attempted: no second try the same day.
    assert send(MORNING + dt.timedelta(minutes=30)) == 0


def test_a_refusal_by_wechat_clears_the_credits(challenge, wechat):
    user = enrolled(challenge, credits=3)
    with mock.patch.object(type(wechat), "send_subscribe_message", side_effect=WeChatError(43101, "refused")):
        send()
    assert SubscribeCredit.objects.get(user=user).credits == 0


def test_credits_are_capped_and_need_a_known_template(challenge):
    user = UserFactory()
    for _ in range(60):
        subscribe_credit_add(user=user, template_id=TEMPLATE)
    assert SubscribeCredit.objects.get(user=user).credits == 50
    with pytest.raises(ApplicationError) as info:
        subscribe_credit_add(user=user, template_id="other")
    assert info.value.code == "unknown_template"


def test_a_challenge_switched_off_mid_round_still_reminds_those_enrolled(challenge, wechat):
    user = enrolled(challenge)
    challenge.is_active = False
    challenge.save(update_fields=["is_active"])
    subscribe_credit_add(user=user, template_id=TEMPLATE)  # still its template while the round runs
    assert send() == 1
    assert [m["openid"] for m in wechat.sent_messages] == [user.openid]
