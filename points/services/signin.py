"""Daily sign-in (签到): once per local day of the site's time zone, paid by streak day.

The reward for a streak is the SigninReward row of its day in the cycle
(day = ((streak - 1) % cycle_length) + 1), or of the highest day below it when that day has no
row, or nothing. A streak continues from yesterday's sign-in and otherwise starts at 1. A makeup
sign-in (补签) fills a missed day of the current month for points; it pays no reward, but the
streaks of the days after it are counted again through it.

Sign-ins of one user are serialised by the member lock (core.locks); the unique (user,
local_date) constraint makes two taps at once give one sign-in in any case.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.clock import local_today, site_zone
from core.exceptions import ApplicationError
from core.locks import atomic_with_retry, lock_members
from events.services import event_record
from points.models import Signin, SigninConfig, SigninReward, Transaction
from points.services.growth import growth_add
from points.services.ledger import account_for_user, account_issuance, account_sink, ledger_post


def signin_config() -> SigninConfig:
    """The one row of sign-in settings, created with defaults on first use."""
    config = SigninConfig.objects.order_by("pk").first()
    if config is None:
        config, _created = SigninConfig.objects.get_or_create(pk=1)
    return config


def signin_reward_for(*, streak: int, config: SigninConfig | None = None) -> SigninReward | None:
    """The reward row for the `streak`-th consecutive day, or None (no points)."""
    if streak < 1:
        return None
    cycle = (config or signin_config()).cycle_length
    day = ((streak - 1) % cycle) + 1 if cycle > 0 else streak
    return SigninReward.objects.filter(day__lte=day).order_by("-day").first()


def already_signed_in() -> ApplicationError:
    return ApplicationError("already_signed_in", _("You have already signed in on this day."), 409)


@atomic_with_retry
def signin_create(*, user) -> Signin:
    """Sign in for today (local): one per day, paid by the streak day's reward."""
    lock_members(user)
    issuance, wallet = account_issuance(), account_for_user(user)
    today = local_today()
    if Signin.objects.filter(user=user, local_date=today).exists():
        raise already_signed_in()
    yesterday = Signin.objects.filter(user=user, local_date=today - dt.timedelta(days=1)).first()
    streak = yesterday.streak + 1 if yesterday else 1
    reward = signin_reward_for(streak=streak)
    points = reward.points if reward else 0
    try:
        with transaction.atomic():
            signin = Signin.objects.create(user=user, local_date=today, streak=streak, points=points)
    except IntegrityError:
        raise already_signed_in() from None
    key = f"signin:{user.pk}:{today.isoformat()}"
    if points:
        signin.transaction = ledger_post(
            kind=Transaction.Kind.SIGNIN,
            key=key,
            legs=[(issuance, -points), (wallet, points)],
            memo=_("Daily sign-in, day %(streak)d") % {"streak": streak},
            metadata={"date": today.isoformat(), "streak": streak},
        )
        signin.save(update_fields=["transaction"])
    if reward and reward.growth:
        growth_add(user=user, amount=reward.growth, key=key, reason="signin")
    event_record(user=user, kind="signed_in", amount=points, ref=f"signin:{signin.pk}")
    return signin


def _joined_on(user) -> dt.date:
    return user.date_joined.astimezone(site_zone()).date()


def signin_makeup(*, user, date: dt.date) -> Signin:
    """Sign in for a missed day of this month, for SigninConfig.makeup_cost points; no reward."""
    config = signin_config()
    if not config.makeup_enabled:
        raise ApplicationError("makeup_disabled", _("Makeup sign-in is switched off."), 409)
    with transaction.atomic():
        lock_members(user)
        sink, wallet = account_sink(), account_for_user(user)
        today = local_today()
        if not (date < today and (date.year, date.month) == (today.year, today.month) and date >= _joined_on(user)):
            raise ApplicationError(
                "invalid_makeup_date",
                _("Only a missed day of this month, before today and since you joined, can be made up."),
                400,
            )
        if Signin.objects.filter(user=user, local_date=date).exists():
            raise already_signed_in()
        month_start = today.replace(day=1)
        used = Signin.objects.filter(user=user, makeup=True, local_date__gte=month_start).count()
        if used >= config.makeup_monthly_limit:
            raise ApplicationError("no_makeup_left", _("No makeup sign-ins left this month."), 409)

        before = Signin.objects.filter(user=user, local_date=date - dt.timedelta(days=1)).first()
        streak = before.streak + 1 if before else 1
        try:
            with transaction.atomic():
                signin = Signin.objects.create(user=user, local_date=date, streak=streak, points=0, makeup=True)
        except IntegrityError:
            raise already_signed_in() from None
        if config.makeup_cost:
            signin.transaction = ledger_post(
                kind=Transaction.Kind.SIGNIN_MAKEUP,
                key=f"signin_makeup:{user.pk}:{date.isoformat()}",
                legs=[(wallet, -config.makeup_cost), (sink, config.makeup_cost)],
                memo=_("Makeup sign-in for %(date)s") % {"date": date.isoformat()},
                metadata={"date": date.isoformat()},
            )
            signin.save(update_fields=["transaction"])
        _restreak_after(user=user, signin=signin)
    return signin


def _restreak_after(*, user, signin: Signin) -> None:
    """The consecutive sign-ins after a filled gap now continue its streak (at most a month of rows)."""
    following = {
        s.local_date: s
        for s in Signin.objects.filter(
            user=user, local_date__gt=signin.local_date, local_date__lte=signin.local_date + dt.timedelta(days=31)
        )
    }
    changed, streak, day = [], signin.streak, signin.local_date
    while (day := day + dt.timedelta(days=1)) in following:
        streak += 1
        row = following[day]
        if row.streak != streak:
            row.streak = streak
            changed.append(row)
    Signin.objects.bulk_update(changed, ["streak"])
