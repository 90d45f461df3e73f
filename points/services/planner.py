"""The level planner (等级规划): level thresholds from the playbook's steps.

1. The actions that earn growth, each with its growth and how often an active member does it a
   day (or the configured rules: points tasks and the sign-in table), give the planned daily
   growth, at most the daily cap.
2. The horizon (for example three years) at that pace gives the top level's threshold.
3. The number of levels and the curve spread the thresholds from 0 to the top:
   - exponential: each step `ratio` times the one before, threshold_i = top * (r^i - 1) / (r^(n-1) - 1);
   - power: threshold_i = top * (i / (n-1))^exponent (2: quadratic);
   - Fibonacci: steps in the proportions 1, 2, 3, 5, 8, ...
   Each threshold is rounded half up to a multiple of `round_to`; the first is 0 and each is at
   least one `round_to` above the one before (strictly increasing).
4. How long each level takes: at the planned pace, at the daily cap (the fastest possible) and,
   when there is history, for a typical active member (the median of what members who earned
   growth in the last days earned a day).

Everything here but `plan_history` and `levels_apply` is pure arithmetic on integers and exact
fractions. `levels_apply` writes the thresholds only when the operator confirms a plan.
"""

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.clock import local_today
from core.exceptions import ApplicationError
from core.locks import lock_shared
from points.models import GrowthEntry, Level, PointsTask, SigninReward
from points.services.signin import signin_config

MAX_LEVELS = 30
MAX_THRESHOLD = 1_000_000_000  # far below the column's limit: levels_apply parks rows above it
PARK_AT = 2_000_000_000
HISTORY_DAYS = 30


class Curve(models.TextChoices):
    EXPONENTIAL = "exponential", gettext_lazy("exponential")
    POWER = "power", gettext_lazy("power")
    FIBONACCI = "fibonacci", gettext_lazy("Fibonacci")


DEFAULT_PARAMETER = {Curve.EXPONENTIAL: Fraction(2), Curve.POWER: Fraction(2), Curve.FIBONACCI: None}


@dataclass(frozen=True)
class Action:
    """An action that earns growth: `growth` each time, done `per_day` times a day by an active member."""

    name: str
    growth: int
    per_day: Fraction


@dataclass(frozen=True)
class PlannedLevel:
    index: int  # 0: the first level
    threshold: int
    days_planned: int | None  # at the planned daily growth
    days_at_cap: int | None  # at the daily cap (None: no cap)
    days_typical: int | None  # for the median active member (None: no history)


@dataclass(frozen=True)
class Plan:
    daily_growth: Fraction  # planned: the actions' growth a day, at most the cap
    top: int  # the top level's threshold before rounding to `round_to`
    typical_daily_growth: Fraction | None
    levels: list[PlannedLevel]

    @property
    def thresholds(self) -> list[int]:
        return [level.threshold for level in self.levels]


def _half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def planned_daily_growth(*, actions: list[Action], daily_cap: int) -> Fraction:
    """The actions' growth a day (growth x times a day, summed), at most `daily_cap` (0: no cap)."""
    total = sum((Fraction(a.growth) * Fraction(a.per_day) for a in actions), Fraction(0))
    return min(total, Fraction(daily_cap)) if daily_cap > 0 else total


def curve_shares(*, levels: int, curve: str, parameter: Fraction | None = None) -> list[Fraction]:
    """Each level's share of the top threshold, from 0 (the first) to 1 (the top)."""
    if not 2 <= levels <= MAX_LEVELS:
        raise ValueError(f"between 2 and {MAX_LEVELS} levels")
    last = levels - 1
    if curve == Curve.EXPONENTIAL:
        ratio = Fraction(parameter if parameter is not None else DEFAULT_PARAMETER[Curve.EXPONENTIAL])
        if ratio <= 0:
            raise ValueError("the ratio must be above 0")
        if ratio == 1:  # the limit of the formula: equal steps
            return [Fraction(i, last) for i in range(levels)]
        return [(ratio**i - 1) / (ratio**last - 1) for i in range(levels)]
    if curve == Curve.POWER:
        exponent = Fraction(parameter if parameter is not None else DEFAULT_PARAMETER[Curve.POWER])
        if exponent <= 0:
            raise ValueError("the exponent must be above 0")
        if exponent.denominator == 1:
            return [Fraction(i, last) ** exponent.numerator for i in range(levels)]
        # A fractional exponent has no exact value: the nearest float, made exact from there on.
        return [Fraction((i / last) ** float(exponent)) for i in range(levels)]
    if curve == Curve.FIBONACCI:
        steps, a, b = [], 1, 2
        for _step in range(last):
            steps.append(a)
            a, b = b, a + b
        total = sum(steps)
        shares, running = [Fraction(0)], 0
        for step in steps:
            running += step
            shares.append(Fraction(running, total))
        return shares
    raise ValueError(f"unknown curve {curve!r}")


def thresholds_for(
    *, top: int, levels: int, curve: str, parameter: Fraction | None = None, round_to: int = 1
) -> list[int]:
    """Thresholds from 0 to about `top`: each share of `top` rounded half up to a multiple of
    `round_to`, then each raised to at least one `round_to` above the one before."""
    if round_to < 1:
        raise ValueError("round_to must be at least 1")
    thresholds: list[int] = []
    for share in curve_shares(levels=levels, curve=curve, parameter=parameter):
        value = round_to * _half_up(top * share / round_to)
        if thresholds and value <= thresholds[-1]:
            value = thresholds[-1] + round_to
        thresholds.append(value)
    thresholds[0] = 0
    return thresholds


def days_to_reach(threshold: int, per_day: Fraction | None) -> int | None:
    """Whole days to earn `threshold` at `per_day` (None when nothing is earned)."""
    if threshold <= 0:
        return 0
    if not per_day or per_day <= 0:
        return None
    return math.ceil(Fraction(threshold) / per_day)


def typical_daily_growth(totals: list[int], *, days: int = HISTORY_DAYS) -> Fraction | None:
    """The median (the lower middle one of an even count) of each active member's growth over
    `days` days, per day. `totals`: one per member who earned any growth in the window."""
    earned = sorted(total for total in totals if total > 0)
    if not earned:
        return None
    return Fraction(earned[(len(earned) - 1) // 2], days)


def plan_levels(
    *,
    actions: list[Action],
    daily_cap: int,
    horizon_days: int,
    levels: int,
    curve: str,
    parameter: Fraction | None = None,
    round_to: int = 1,
    typical: Fraction | None = None,
) -> Plan:
    """The thresholds the steps give, and how long each level takes (see the module)."""
    daily = planned_daily_growth(actions=actions, daily_cap=daily_cap)
    if daily <= 0:
        raise ValueError(_("the actions earn no growth"))
    if horizon_days < 1:
        raise ValueError(_("the horizon must be at least one day"))
    top = _half_up(daily * horizon_days)
    thresholds = thresholds_for(top=top, levels=levels, curve=curve, parameter=parameter, round_to=round_to)
    if thresholds[-1] > MAX_THRESHOLD:
        raise ValueError(_("the top threshold is above %(max)d") % {"max": MAX_THRESHOLD})
    cap = Fraction(daily_cap) if daily_cap > 0 else None
    return Plan(
        daily_growth=daily,
        top=top,
        typical_daily_growth=typical,
        levels=[
            PlannedLevel(
                index=i,
                threshold=t,
                days_planned=days_to_reach(t, daily),
                days_at_cap=days_to_reach(t, cap),
                days_typical=days_to_reach(t, typical),
            )
            for i, t in enumerate(thresholds)
        ],
    )


# -- reads and the write ------------------------------------------------------------------------


def configured_actions() -> list[Action]:
    """The growth rules as they are configured: every active points task that earns growth (daily
    and unlimited ones once a day up to their cap, weekly ones a seventh of a day, once-only ones
    not at all), and the sign-in table (its growth over a cycle, per day)."""
    per_day = {
        PointsTask.Frequency.DAILY: Fraction(1),
        PointsTask.Frequency.WEEKLY: Fraction(1, 7),
        PointsTask.Frequency.ONCE: Fraction(0),
    }
    actions = []
    for task in PointsTask.objects.filter(is_active=True, growth__gt=0).order_by("sort_order", "pk"):
        times = per_day.get(task.frequency, Fraction(max(task.daily_cap, 1)))
        actions.append(Action(name=task.title, growth=task.growth, per_day=times))
    rewards = list(SigninReward.objects.order_by("day").values_list("day", "growth"))
    cycle = signin_config().cycle_length or len(rewards)
    in_cycle = [growth for day, growth in rewards if day <= cycle]
    if in_cycle and sum(in_cycle):
        # The mean growth of a sign-in over the cycle, rounded to a whole number for the form.
        mean = _half_up(Fraction(sum(in_cycle), len(in_cycle)))
        actions.append(Action(name=_("Daily sign-in"), growth=mean, per_day=Fraction(1)))
    return actions


def plan_history(*, days: int = HISTORY_DAYS, today=None) -> list[int]:
    """Each member's growth over the `days` finished days before `today`: one total per member
    who earned any (the real distribution the planner takes its typical member from)."""
    today = today or local_today()
    since = today - dt.timedelta(days=days)
    return list(
        GrowthEntry.objects.filter(local_date__gte=since, local_date__lt=today, amount__gt=0)
        .values("user_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("total", flat=True)
    )


def plan_problem(levels: list[tuple[str, int]]) -> str:
    """Why these (name, threshold) pairs cannot be applied, or "" when they can."""
    if not 2 <= len(levels) <= MAX_LEVELS:
        return _("A plan has between 2 and %(max)d levels.") % {"max": MAX_LEVELS}
    names = [name.strip() for name, _threshold in levels]
    thresholds = [threshold for _name, threshold in levels]
    if any(not name or len(name) > Level._meta.get_field("name").max_length for name in names):
        return _("Every level needs a name of at most 32 characters.")
    if thresholds[0] != 0:
        return _("The first level starts at 0.")
    if any(later <= earlier for earlier, later in pairwise(thresholds)):
        return _("Thresholds must increase strictly.")
    if thresholds[-1] > MAX_THRESHOLD:
        return _("The top threshold is too high.")
    return ""


@transaction.atomic
def levels_apply(*, levels: list[tuple[str, int]]) -> tuple[int, int, int]:
    """Make the membership levels these (name, threshold) pairs, lowest first, in one transaction:
    the existing levels, lowest first, take the new names and thresholds in turn, missing ones are
    created, and extra ones deleted (refused while a product or privilege still refers to one).
    Returns (updated, created, deleted). Members' levels follow at once: a level is always read
    from the thresholds."""
    problem = plan_problem(levels)
    if problem:
        raise ApplicationError("level_plan_invalid", problem, 400)
    existing = sorted(lock_shared(Level.objects.all()), key=lambda level: (level.threshold, level.pk))
    # The thresholds are unique row by row: park the old ones out of the way first.
    for n, level in enumerate(existing):
        Level.objects.filter(pk=level.pk).update(threshold=PARK_AT + n)
    updated = created = 0
    for n, (name, threshold) in enumerate(levels):
        if n < len(existing):
            Level.objects.filter(pk=existing[n].pk).update(name=name.strip(), threshold=threshold)
            updated += 1
        else:
            Level.objects.create(name=name.strip(), threshold=threshold)
            created += 1
    extra = existing[len(levels) :]
    try:
        with transaction.atomic():
            for level in extra:
                level.delete()
    except (ProtectedError, RestrictedError):
        raise ApplicationError(
            "level_in_use",
            _("A level the plan drops is still required by a product or privilege: change those first."),
            409,
        ) from None
    return updated, created, len(extra)
