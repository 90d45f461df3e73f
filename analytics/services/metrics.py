"""The nightly figures.

Every figure is a count or a sum over the event record or, where a table already says it exactly,
over that table (referrals, scans, ledger entries, orders, settlements). A day is a local calendar
day of the site's zone. `metrics_compute_day` replaces one day's rows as a whole, in one
transaction, so re-running a day gives the same rows."""

import datetime as dt

from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, Q, Sum

from analytics.models import DailyMetric
from core.clock import local_midnight, local_today, now, site_zone
from core.models import User
from core.privacy import member_label
from events.models import Event

# A user is active on a day when they did one of these (a payout or a friend's sign-up is not the
# user's own action).
ACTIVE_KINDS = (
    "registered",
    "phone_verified",
    "signed_in",
    "joined",
    "checked_in",
    "redeemed",
    "helped",
    "drew",
    "packet_opened",
    "quizzed",
    "visited",
)
# Activation: the first sign-in, challenge join or check-in within ACTIVATION_DAYS of registering.
ACTIVATION_KINDS = ("signed_in", "joined", "checked_in")
ACTIVATION_DAYS = 7
REDEMPTION_DAYS = 30  # the funnel's last step: a first redemption within 30 days of registering
RETENTION_OFFSETS = (1, 7, 30)
MAU_DAYS = 30
NIGHTLY_DAYS = 31  # the nightly job recomputes this many days, so D30 retention gets filled in
SNAPSHOT_METRICS = ("segment", "stage")  # written by segments_compute, not by the day's figures


def _bounds(first: dt.date, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    return local_midnight(first), local_midnight(first + dt.timedelta(days=days))


def _in(first: dt.date, days: int = 1, field_name: str = "at") -> Q:
    start, end = _bounds(first, days)
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _users(kind: str | tuple, first: dt.date, days: int = 1):
    kinds = (kind,) if isinstance(kind, str) else kind
    return Event.objects.filter(_in(first, days), kind__in=kinds).values("user_id").distinct()


def _cohort_with(cohort_ids: set[int], kinds, first: dt.date, days: int) -> int:
    if not cohort_ids:
        return 0
    return (
        Event.objects.filter(_in(first, days), kind__in=kinds, user_id__in=cohort_ids)
        .values("user_id")
        .distinct()
        .count()
    )


def day_figures(day: dt.date, *, complete_until: dt.date) -> list[tuple[str, str, str, int]]:
    """Every figure of `day` as (metric, dimension, label, value). Retention and the 7/30-day
    conversions count only days up to `complete_until` (the last finished day)."""
    from checkin.models import Settlement
    from mall.models import Order
    from points.models import Account, Transaction
    from points.models import Entry as LedgerEntry
    from referral.models import Channel, Referral, Scan

    rows: list[tuple[str, str, str, int]] = []
    registered = Event.objects.filter(_in(day), kind="registered")
    cohort = set(registered.values_list("user_id", flat=True))
    rows.append(("new_users", "", "", len(cohort)))

    names = dict(Channel.objects.values_list("code", "name"))
    for code, count in registered.values_list("channel").annotate(n=Count("user_id", distinct=True)).order_by():
        rows.append(("new_users_channel", code, names.get(code, code), count))
    by_inviter = dict(
        Referral.objects.filter(_in(day, field_name="created_at"))
        .values_list("inviter_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # Operators see a nickname and a masked phone, never the internal username (wx_5aa0...).
    for inviter in User.objects.filter(pk__in=by_inviter).only("pk", "nickname", "phone", "phone_verified", "is_staff"):
        rows.append(("new_users_inviter", str(inviter.pk), member_label(inviter), by_inviter[inviter.pk]))

    # The funnel: visits (scans of a code, plus sign-ups that came without one) -> registration ->
    # activation -> first redemption; with retention, for everyone and for each channel
    # (metric names ending in _channel, the channel's code as dimension, "" for no channel).
    scans = Scan.objects.filter(_in(day, field_name="scanned_at"))
    unscanned = registered.filter(~Exists(Scan.objects.filter(user_id=OuterRef("user_id"))))
    rows.append(("visits", "", "", scans.count() + unscanned.count()))
    by_channel: dict[str, set[int]] = {}
    for user_id, code in registered.values_list("user_id", "channel"):
        by_channel.setdefault(code, set()).add(user_id)
    channel_visits: dict[str, int] = {}
    for code, count in scans.values_list("channel__code").annotate(n=Count("pk")).order_by():
        channel_visits[code or ""] = channel_visits.get(code or "", 0) + count  # "": an inviter's code
    for code, count in unscanned.values_list("channel").annotate(n=Count("pk")).order_by():
        channel_visits[code] = channel_visits.get(code, 0) + count
    for code, count in sorted(channel_visits.items()):
        rows.append(("visits_channel", code, names.get(code, code), count))
    activation_days = max(min(ACTIVATION_DAYS, (complete_until - day).days + 1), 0)
    redemption_days = max(min(REDEMPTION_DAYS, (complete_until - day).days + 1), 0)
    for suffix, code, users in [("", "", cohort)] + [("_channel", c, u) for c, u in sorted(by_channel.items())]:
        label = names.get(code, code) if suffix else ""
        rows.append((f"activated{suffix}", code, label, _cohort_with(users, ACTIVATION_KINDS, day, activation_days)))
        rows.append((f"first_redeemed{suffix}", code, label, _cohort_with(users, ("redeemed",), day, redemption_days)))
        for offset in RETENTION_OFFSETS:
            later = day + dt.timedelta(days=offset)
            if later <= complete_until:
                rows.append((f"retained_d{offset}{suffix}", code, label, _cohort_with(users, ACTIVE_KINDS, later, 1)))

    rows.append(("dau", "", "", _users(ACTIVE_KINDS, day).count()))
    window_start = day - dt.timedelta(days=MAU_DAYS - 1)
    mau = _users(ACTIVE_KINDS, window_start, MAU_DAYS).count()
    rows.append(("mau", "", "", mau))

    # Referral K-factor over the 30 days ending on `day`: invites per active user x the share of
    # invitees who activated within ACTIVATION_DAYS of being invited = converted invitees / MAU.
    invites = Referral.objects.filter(_in(day, field_name="created_at"))
    rows.append(("invites", "", "", invites.count()))
    # The plays: lottery draws and prizes won, red packets opened, daily quizzes answered, store visits.
    from campaigns.lottery.models import LotteryDraw

    for metric, kind in (
        ("draws", "drew"),
        ("packets_opened", "packet_opened"),
        ("quizzes", "quizzed"),
        ("store_visits", "visited"),
    ):
        rows.append((metric, "", "", Event.objects.filter(_in(day), kind=kind).count()))
    won = LotteryDraw.objects.filter(_in(day, field_name="created_at")).exclude(prize_kind="none")
    rows.append(("prizes_won", "", "", won.count()))
    converted = 0
    for invitee_id, bound_at in invites.values_list("invitee_id", "created_at"):
        start = bound_at.astimezone(site_zone()).date()
        days = min(ACTIVATION_DAYS, (complete_until - start).days + 1)
        if days > 0 and Event.objects.filter(_in(start, days), user_id=invitee_id, kind__in=ACTIVATION_KINDS).exists():
            converted += 1
    rows.append(("invites_converted", "", "", converted))

    # Points: minted by issuance, spent into the sink, expired.
    entries = LedgerEntry.objects.filter(_in(day, field_name="created_at"))
    issued = entries.filter(account__kind=Account.Kind.ISSUANCE, amount__lt=0).aggregate(s=Sum("amount"))["s"] or 0
    spent = (
        entries.filter(account__kind=Account.Kind.SINK, amount__gt=0)
        .exclude(account__code="expired")  # the sink shards (account_sink); expired points are counted below
        .exclude(transaction__kind=Transaction.Kind.EXPIRY)
        .aggregate(s=Sum("amount"))["s"]
        or 0
    )
    expired = (
        entries.filter(transaction__kind=Transaction.Kind.EXPIRY, account__kind=Account.Kind.USER).aggregate(
            s=Sum("amount")
        )["s"]
        or 0
    )
    rows += [("points_issued", "", "", -issued), ("points_spent", "", "", spent), ("points_expired", "", "", -expired)]

    # Challenge pools settled on the day, and their winners.
    settlements = Settlement.objects.filter(_in(day, field_name="created_at")).select_related("round__challenge")
    for settlement in settlements:
        label = f"{settlement.round.challenge.title} {settlement.round.start_date:%m-%d}"
        rows.append(("pool", str(settlement.round_id), label, settlement.pool))
        rows.append(("winners", str(settlement.round_id), label, settlement.winners))

    orders = (
        Order.objects.filter(_in(day, field_name="created_at"), points__gt=0)  # gifts are not redemptions
        .exclude(status=Order.Status.CANCELLED)
        .values_list("product_id", "product__name")
        .annotate(n=Sum("quantity"))
        .order_by()
    )
    for product_id, name, quantity in orders:
        rows.append(("redemptions", str(product_id), name, quantity))
    return rows


@transaction.atomic
def metrics_compute_day(*, day: dt.date, complete_until: dt.date | None = None) -> int:
    """Replace the figures of `day`. Returns how many rows it wrote."""
    complete_until = complete_until or local_today() - dt.timedelta(days=1)
    rows = day_figures(day, complete_until=complete_until)
    DailyMetric.objects.filter(date=day).exclude(metric__in=SNAPSHOT_METRICS).delete()
    at = now()
    DailyMetric.objects.bulk_create(
        DailyMetric(date=day, metric=metric, dimension=dimension[:64], label=label[:100], value=value, computed_at=at)
        for metric, dimension, label, value in rows
    )
    return len(rows)


def metrics_nightly(*, today: dt.date | None = None, days: int = NIGHTLY_DAYS) -> int:
    """The figures of the last `days` finished days (each day in its own transaction)."""
    today = today or local_today()
    last = today - dt.timedelta(days=1)
    first = last - dt.timedelta(days=days - 1)
    # A first run (or a history loaded since) also backfills earlier days that have events but no
    # figures yet, up to a year back.
    earliest = Event.objects.filter(kind="registered").aggregate(first=Min("at"))["first"]
    if earliest is not None:
        earliest_day = max(earliest.astimezone(site_zone()).date(), last - dt.timedelta(days=365))
        if earliest_day < first and not DailyMetric.objects.filter(metric="new_users", date=earliest_day).exists():
            first = earliest_day
    written = 0
    for back in range((last - first).days, -1, -1):
        written += metrics_compute_day(day=last - dt.timedelta(days=back), complete_until=last)
    return written
