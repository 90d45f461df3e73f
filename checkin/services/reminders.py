"""Reminders: WeChat one-time subscribe messages to enrolled users who have not checked in yet.

WeChat lets a mini-program send a one-time subscribe message once for every time the user
accepted that template in `wx.requestSubscribeMessage`. The client reports each acceptance
(`POST challenges/subscribe`), which adds one credit; a reminder spends one. A user gets at most
one reminder per local day (site time zone), whatever the number of challenges.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Least
from django.utils.translation import gettext as _

from checkin.models import Challenge, CheckIn, Entry, Reminder, Round, SubscribeCredit
from checkin.services.challenges import challenge_today, challenge_window, challenges_running
from core.clock import local_today, now
from core.exceptions import ApplicationError
from core.wechat import WeChatError, get_wechat_client

logger = logging.getLogger(__name__)

CREDITS_MAX = 50  # WeChat does not keep more than this many acceptances worth using
REFUSED_ERRCODE = 43101  # WeChat: the user has no acceptance left (refused or used up)


def subscribe_credit_add(*, user, template_id: str) -> SubscribeCredit:
    """The user accepted `template_id` once more: one more reminder may be sent. Error: 400 unknown_template."""
    if not challenges_running().filter(reminder_template_id=template_id).exists():
        raise ApplicationError("unknown_template", _("No challenge sends this template."), 400)
    with transaction.atomic():
        credit, _created = SubscribeCredit.objects.get_or_create(user=user, template_id=template_id)
        SubscribeCredit.objects.filter(pk=credit.pk).update(credits=Least(F("credits") + 1, CREDITS_MAX))
    credit.refresh_from_db()
    return credit


class _AlreadyReminded(Exception):
    pass


def _reserve(*, user_id: int, challenge: Challenge, day) -> bool:
    """Spend a credit and record today's reminder in one transaction; False when either is not possible."""
    try:
        with transaction.atomic():
            if not SubscribeCredit.objects.filter(
                user_id=user_id, template_id=challenge.reminder_template_id, credits__gt=0
            ).update(credits=F("credits") - 1):
                return False
            try:
                with transaction.atomic():
                    Reminder.objects.create(
                        user_id=user_id, local_date=day, challenge=challenge, template_id=challenge.reminder_template_id
                    )
            except IntegrityError:
                raise _AlreadyReminded from None
    except _AlreadyReminded:
        return False
    return True


def _message_data(challenge: Challenge) -> dict:
    window = f"{challenge.window_start:%H:%M}-{challenge.window_end:%H:%M}"
    return {"thing1": {"value": challenge.title[:20]}, "time2": {"value": window}}


def reminders_send() -> int:
    """Remind every enrolled user who has not checked in today, while today's window is still ahead
    or open, who has a credit for the challenge's template and was not reminded today. Returns how
    many messages were sent."""
    at = now()
    site_day = local_today()
    client = get_wechat_client()
    sent = 0
    for challenge in challenges_running().exclude(reminder_template_id=""):
        today = challenge_today(challenge, at)
        if at >= challenge_window(challenge, today)[1]:
            continue
        checked_in = CheckIn.objects.filter(challenge=challenge, user_id=OuterRef("user_id"), local_date=today)
        has_credit = SubscribeCredit.objects.filter(
            user_id=OuterRef("user_id"), template_id=challenge.reminder_template_id, credits__gt=0
        )
        reminded = Reminder.objects.filter(user_id=OuterRef("user_id"), local_date=site_day)
        targets = (
            Entry.objects.filter(
                round__challenge=challenge,
                round__status=Round.Status.OPEN,
                round__start_date__lte=today,
                round__end_date__gte=today,
                user__openid__isnull=False,
            )
            .filter(~Exists(checked_in), Exists(has_credit), ~Exists(reminded))
            .order_by("user_id")
            .values_list("user_id", "user__openid")
        )
        for user_id, openid in targets:
            if not _reserve(user_id=user_id, challenge=challenge, day=site_day):
                continue
            try:
                client.send_subscribe_message(
                    openid=openid,
                    template_id=challenge.reminder_template_id,
                    data=_message_data(challenge),
                    page=f"pages/challenge/detail?id={challenge.pk}",
                )
            except WeChatError as exc:
                logger.warning("reminder to user %s failed: %s", user_id, exc)
                with transaction.atomic():
                    Reminder.objects.filter(user_id=user_id, local_date=site_day).update(
                        status=Reminder.Status.FAILED, error=str(exc)[:200]
                    )
                    if exc.errcode != REFUSED_ERRCODE:  # WeChat kept the acceptance: give the credit back
                        SubscribeCredit.objects.filter(
                            user_id=user_id, template_id=challenge.reminder_template_id
                        ).update(credits=Least(F("credits") + 1, CREDITS_MAX))
                    else:
                        SubscribeCredit.objects.filter(
                            user_id=user_id, template_id=challenge.reminder_template_id
                        ).update(credits=0)
                continue
            Reminder.objects.filter(user_id=user_id, local_date=site_day).update(status=Reminder.Status.SENT)
            sent += 1
    return sent
