"""Rule tags (规则标签): every night, each rule tag's members become exactly the members its rule
selects as of the end of yesterday (local day): new ones are added, those who left the rule lose
it. Manual tags are never touched. The tags themselves live in core (core.models.Tag), beside the
user, so the mall and the plays check them without importing analytics (docs/tags.md)."""

import datetime as dt

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Trim

from analytics.models import TagRule
from analytics.services.metrics import ACTIVE_KINDS
from core.clock import local_midnight, local_today, now
from core.locks import lock_one
from core.models import Tag, User, UserTag

BATCH_SIZE = 1000
# What counts as a visit when a rule does not say: every action of the member's own, and a visit
# to a store recorded at the front desk (the `visited` event).
DEFAULT_VISIT_KINDS = (*ACTIVE_KINDS, "visited")


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same month and day `years` earlier: someone born on or before it is at least `years`
    old (whole years) on `day`. 29 February becomes the 28th in a year without it; and on 28
    February of a year without a 29th, those born on a 29 February have their birthday (as the
    birthday gift has, accounts.services.birthdays), so it becomes the 29th of a leap year."""
    year = day.year - years
    if year < dt.MINYEAR:
        return dt.date.min
    if (day.month, day.day) == (2, 28) and not _leap(day.year) and _leap(year):
        return dt.date(year, 2, 29)
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def tag_rule_members(*, rule: TagRule, on: dt.date) -> QuerySet:
    """The ids of the members `rule` selects as of the end of local day `on` (a values_list)."""
    from checkin.models import Entry
    from events.models import Event
    from mall.models import Order
    from points.models import Growth, Level
    from referral.models import Referral

    end = local_midnight(on + dt.timedelta(days=1))
    members = User.objects.filter(is_staff=False, is_active=True, date_joined__lt=end)
    kind = rule.kind
    if kind == TagRule.Kind.CHANNEL:
        members = members.filter(referral_profile__channel_id=rule.channel_id)
    elif kind == TagRule.Kind.INVITED:
        bound = Referral.objects.filter(created_at__lt=end).exclude(status=Referral.Status.REVOKED)
        members = members.filter(pk__in=bound.values("invitee_id"))
    elif kind == TagRule.Kind.LEVEL:
        # The level as it is now: growth only grows, and its history by day is not kept per level.
        growth = Growth.objects.filter(user_id=OuterRef("pk")).values("total")[:1]
        members = members.annotate(g=Coalesce(Subquery(growth), Value(0), output_field=IntegerField()))
        members = members.filter(g__gte=rule.level.threshold)
        higher = Level.objects.filter(threshold__gt=rule.level.threshold).order_by("threshold").first()
        if higher is not None:
            members = members.filter(g__lt=higher.threshold)
    elif kind == TagRule.Kind.SEGMENT:
        members = members.filter(growth_segment__segment=rule.segment)
    elif kind == TagRule.Kind.STAGE:
        members = members.filter(growth_segment__stage=rule.stage)
    elif kind == TagRule.Kind.CHALLENGES:
        joined = (
            Entry.objects.filter(joined_date__lte=on)
            .values("user_id")
            .annotate(n=Count("pk"))
            .filter(n__gte=rule.number)
            .values("user_id")
        )
        members = members.filter(pk__in=joined)
    elif kind == TagRule.Kind.REDEEMED:
        orders = Order.objects.filter(product_id=rule.product_id, created_at__lt=end).exclude(
            status=Order.Status.CANCELLED
        )
        members = members.filter(pk__in=orders.values("user_id"))
    elif kind == TagRule.Kind.NO_VISIT:
        start = local_midnight(on - dt.timedelta(days=rule.number - 1))
        kinds = rule.visit_kind_list() or list(DEFAULT_VISIT_KINDS)
        visited = Event.objects.filter(kind__in=kinds, at__gte=start, at__lt=end).values("user_id")
        # A member who joined inside the window has had no N days yet to stay away.
        members = members.filter(date_joined__lt=start).exclude(pk__in=visited)
    elif kind == TagRule.Kind.PHONE_VERIFIED:
        members = members.filter(phone_verified=True)
    elif kind == TagRule.Kind.GENDER:
        members = members.filter(gender=rule.gender) if rule.gender else members.none()
    elif kind == TagRule.Kind.AGE_BAND:
        if rule.age_min is None or rule.age_max is None:
            members = members.none()
        else:
            # Aged at least `min` on `on`: born on or before `on` less `min` years; at most `max`:
            # born after `on` less `max + 1` years. No birthday, no match.
            members = members.filter(
                birthday__lte=years_before(on, rule.age_min), birthday__gt=years_before(on, rule.age_max + 1)
            )
    elif kind == TagRule.Kind.CITY:
        city = rule.city.strip()
        members = (
            members.annotate(city_trimmed=Trim("city")).filter(city_trimmed__iexact=city) if city else members.none()
        )
    else:  # a kind this code does not know selects nobody rather than everybody
        members = members.none()
    return members.values_list("pk", flat=True)


@transaction.atomic
def tag_members_replace(*, tag: Tag, user_ids: set[int]) -> tuple[int, int]:
    """Make `user_ids` exactly the members of rule tag `tag`. Returns (added, removed).

    The tag's row is locked first, so two runs at once replace one after the other."""
    lock_one(Tag.objects.filter(pk=tag.pk), exclusive=True)
    current = set(UserTag.objects.filter(tag=tag).values_list("user_id", flat=True))
    gone = sorted(current - user_ids)
    new = sorted(user_ids - current)
    for start in range(0, len(gone), BATCH_SIZE):
        UserTag.objects.filter(tag=tag, user_id__in=gone[start : start + BATCH_SIZE]).delete()
    for start in range(0, len(new), BATCH_SIZE):
        UserTag.objects.bulk_create(
            [UserTag(tag=tag, user_id=user_id) for user_id in new[start : start + BATCH_SIZE]], ignore_conflicts=True
        )
    Tag.objects.filter(pk=tag.pk).update(computed_at=now())
    return len(new), len(gone)


def tag_compute(*, tag: Tag, on: dt.date | None = None) -> tuple[int, int, int]:
    """Recompute one rule tag as of the end of `on` (default yesterday). Returns (members, added,
    removed). A manual tag, or a rule tag without its rule, is left as it is."""
    on = on or local_today() - dt.timedelta(days=1)
    rule = TagRule.objects.select_related("tag", "level").filter(tag=tag).first()
    if tag.kind != Tag.Kind.RULE or rule is None:
        return UserTag.objects.filter(tag=tag).count(), 0, 0
    members = set(tag_rule_members(rule=rule, on=on))
    added, removed = tag_members_replace(tag=tag, user_ids=members)
    return len(members), added, removed


def tags_compute(*, on: dt.date | None = None) -> dict[str, tuple[int, int, int]]:
    """Every rule tag, each in its own transaction. Returns {tag name: (members, added, removed)}."""
    on = on or local_today() - dt.timedelta(days=1)
    results = {}
    for tag in Tag.objects.filter(kind=Tag.Kind.RULE, rule__isnull=False).order_by("pk"):
        results[tag.name] = tag_compute(tag=tag, on=on)
    return results


def tags_nightly() -> str:
    results = tags_compute()
    added = sum(r[1] for r in results.values())
    removed = sum(r[2] for r in results.values())
    return f"{len(results)} rule tags, {added} added, {removed} removed"
