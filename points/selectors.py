"""Reads about points: balances, history, expiring lots, tasks, sign-in calendar, growth and level."""

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.clock import local_today, now
from points.models import Account, Entry, Growth, Level, Lot, Signin
from points.services.tasks import active_tasks, task_status


def wallet_balance(*, user) -> int:
    """The user's points (0 before the wallet exists; reading never creates it)."""
    return Account.objects.filter(user=user).values_list("balance", flat=True).first() or 0


def growth_total(*, user) -> int:
    return Growth.objects.filter(user=user).values_list("total", flat=True).first() or 0


def level_for(*, growth: int) -> Level | None:
    """The highest level whose threshold `growth` has reached."""
    return Level.objects.filter(threshold__lte=growth).order_by("-threshold").first()


def member_level(*, user) -> Level | None:
    """The member's level now (None below the lowest threshold, or with no levels): what
    `level_for(growth=growth_total(user=user))` answers, in one plain query, since every
    redemption and draw asks (a test holds the two equal)."""
    return next(iter(Level.objects.raw(_MEMBER_LEVEL, [user.pk])), None)


_MEMBER_LEVEL = (
    f"SELECT * FROM {Level._meta.db_table} WHERE threshold <= COALESCE("
    f"(SELECT total FROM {Growth._meta.db_table} WHERE user_id = %s ORDER BY id LIMIT 1), 0)"
    " ORDER BY threshold DESC LIMIT 1"
)


def level_privileges(level: Level | None, *, exclusive_products: bool = False) -> list[dict]:
    """The privileges of `level` as members see them: [{code, title}], in a fixed order, only
    those it gives. `exclusive_products`: whether the mall keeps products for this level (the
    mall knows; the caller asks it)."""
    if level is None:
        return []
    rows = []
    if level.discount_percent:
        rows.append(
            {
                "code": "mall_discount",
                "title": _("%(percent)s%% off mall prices") % {"percent": level.discount_percent},
            }
        )
    if level.extra_makeups_per_month:
        rows.append(
            {
                "code": "extra_makeups",
                "title": _("%(count)s extra makeup check-ins a month") % {"count": level.extra_makeups_per_month},
            }
        )
    if level.extra_lottery_draws_per_day:
        rows.append(
            {
                "code": "extra_lottery_draws",
                "title": _("%(count)s extra lottery draws a day") % {"count": level.extra_lottery_draws_per_day},
            }
        )
    if exclusive_products:
        rows.append({"code": "exclusive_products", "title": _("Members-only products")})
    if level.birthday_gift_points:
        rows.append(
            {
                "code": "birthday_gift",
                "title": _("%(points)s points on your birthday") % {"points": level.birthday_gift_points},
            }
        )
    return rows


def member_level_card(*, user, exclusive_products=None) -> dict:
    """What `GET me/level` shows: the level's name, the growth value, the next level's name and
    the growth still needed to reach it (None at the top), and the privileges.
    `exclusive_products(level) -> bool` tells whether the mall keeps products for the level."""
    growth = growth_total(user=user)
    level = level_for(growth=growth)
    following = Level.objects.filter(threshold__gt=growth).order_by("threshold").first()
    exclusive = bool(level is not None and exclusive_products is not None and exclusive_products(level))
    return {
        "level": level.name if level else None,
        "growth": growth,
        "next_level": following.name if following else None,
        "to_next": following.threshold - growth if following else None,
        "privileges": level_privileges(level, exclusive_products=exclusive),
    }


def points_summary(*, user) -> dict:
    """What `me` shows about points: balance, growth value and level name (or None)."""
    growth = growth_total(user=user)
    level = level_for(growth=growth)
    return {"points": wallet_balance(user=user), "growth": growth, "level": level.name if level else None}


def points_history(*, user) -> QuerySet[Entry]:
    """The user's ledger entries, newest first, with their transaction."""
    return Entry.objects.filter(account__user=user).select_related("transaction").order_by("-id")


def points_expiring_soon(*, user) -> list[dict]:
    """Open lots of the user that expire within POINTS_EXPIRING_SOON_DAYS, soonest first, by expiry."""
    if not settings.POINTS_EXPIRY_ENABLED:
        return []
    moment = now()
    horizon = moment + dt.timedelta(days=settings.POINTS_EXPIRING_SOON_DAYS)
    totals: dict[dt.datetime, int] = {}
    lots = Lot.objects.filter(
        account__user=user, remaining__gt=0, expires_at__gt=moment, expires_at__lte=horizon
    ).order_by("expires_at", "id")
    for expires_at, remaining in lots.values_list("expires_at", "remaining"):
        totals[expires_at] = totals.get(expires_at, 0) + remaining
    return [{"points": points, "expires_at": expires_at} for expires_at, points in totals.items()]


def points_tasks_for(*, user) -> list[dict]:
    """Active tasks with whether the user is done this period and may complete it now."""
    today = local_today()
    rows = []
    for task in active_tasks().order_by("sort_order", "id"):
        done, available = task_status(task=task, user=user, day=today)
        rows.append(
            {
                "code": task.code,
                "title": task.title,
                "description": task.description,
                "points": task.points,
                "growth": task.growth,
                "frequency": task.frequency,
                "done": done,
                "available": available,
            }
        )
    return rows


def signin_streak(*, user, today: dt.date | None = None) -> int:
    """The current streak: of today's sign-in, else yesterday's (still alive), else 0."""
    today = today or local_today()
    row = (
        Signin.objects.filter(user=user, local_date__in=[today, today - dt.timedelta(days=1)])
        .order_by("-local_date")
        .values_list("streak", flat=True)
        .first()
    )
    return row or 0


def signin_calendar(*, user, year: int, month: int) -> dict:
    """Signed dates of a month (makeups included) and the current streak."""
    first = dt.date(year, month, 1)
    after = dt.date(year + (month == 12), month % 12 + 1, 1)
    days = list(
        Signin.objects.filter(user=user, local_date__gte=first, local_date__lt=after)
        .order_by("local_date")
        .values_list("local_date", flat=True)
    )
    return {"days": days, "streak": signin_streak(user=user)}
