"""Growth analytics: the nightly figures, the segments and the automations.

Every figure is a count or a sum over the event record or, where a table already says it exactly,
over that table (referrals, scans, ledger entries, orders, settlements). A day is a local calendar
day of the site's zone. `metrics_compute_day` replaces one day's rows as a whole, in one
transaction, so re-running a day gives the same rows.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from analytics.models import AutomationGrant, AutomationRule, DailyMetric, Segment, SegmentConfig, Stage, UserSegment
from core.clock import local_midnight, local_today, now, site_zone
from core.exceptions import ApplicationError
from core.models import User
from events.models import Event

logger = logging.getLogger(__name__)

# A user is active on a day when they did one of these (a payout or a friend's sign-up is not the
# user's own action).
ACTIVE_KINDS = ("registered", "phone_verified", "signed_in", "joined", "checked_in", "redeemed", "helped")
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
    by_inviter = (
        Referral.objects.filter(_in(day, field_name="created_at"))
        .values_list("inviter_id", "inviter__nickname", "inviter__username")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for inviter_id, nickname, username, count in by_inviter:
        rows.append(("new_users_inviter", str(inviter_id), nickname or username, count))

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


# -- segments -----------------------------------------------------------------------------------


def segment_config() -> SegmentConfig:
    config, _created = SegmentConfig.objects.get_or_create(pk=1)
    return config


def rfm_scores(*, recency: int | None, frequency: int, monetary: int, config: SegmentConfig) -> tuple[int, int, int]:
    if recency is None or recency >= config.dormant_days:
        r = 1
    elif recency <= config.recent_days:
        r = 3
    else:
        r = 2
    f = 3 if frequency >= config.frequency_high else (2 if frequency >= 2 else 1)
    m = 3 if monetary >= config.monetary_high else (2 if monetary > 0 else 1)
    return r, f, m


def segment_and_stage(
    *, age_days: int, recency: int | None, scores: tuple[int, int, int], config: SegmentConfig
) -> tuple[str, str]:
    r, f, m = scores
    is_new = age_days < config.new_user_days
    if is_new:
        segment = Segment.NEW
    elif recency is None or recency >= config.churn_days:
        segment = Segment.LOST
    elif r >= 2 and f == 3 and m >= 2:
        segment = Segment.IMPORTANT_VALUE
    elif r == 1 and (f >= 2 or m >= 2):
        segment = Segment.IMPORTANT_WINBACK
    else:
        segment = Segment.GENERAL

    if recency is None:
        stage = Stage.INTRODUCTION if is_new else Stage.CHURNED
    elif recency >= config.churn_days:
        stage = Stage.CHURNED
    elif recency >= config.dormant_days:
        stage = Stage.DORMANT
    elif is_new:
        stage = Stage.INTRODUCTION
    elif f == 3:
        stage = Stage.MATURE
    else:
        stage = Stage.GROWING
    return segment, stage


def segments_compute(*, on: dt.date | None = None, batch_size: int = 1000) -> dict[str, int]:
    """Every customer's RFM figures, segment and stage as of the end of local day `on` (default
    yesterday), and the day's segment and stage sizes. Returns the segment sizes."""
    on = on or local_today() - dt.timedelta(days=1)
    config = segment_config()
    end = local_midnight(on + dt.timedelta(days=1))
    zone = site_zone()
    users = User.objects.filter(is_staff=False, date_joined__lt=end).order_by("pk")
    active = Event.objects.filter(kind__in=ACTIVE_KINDS, at__lt=end)
    last_active = {
        user_id: at.astimezone(zone).date()
        for user_id, at in active.values("user_id").annotate(last=Max("at")).values_list("user_id", "last").order_by()
    }
    f_start = local_midnight(on - dt.timedelta(days=config.frequency_window - 1))
    frequency = dict(
        active.filter(at__gte=f_start)
        .annotate(d=TruncDate("at", tzinfo=zone))
        .values("user_id")
        .annotate(n=Count("d", distinct=True))
        .values_list("user_id", "n")
        .order_by()
    )
    m_start = local_midnight(on - dt.timedelta(days=config.monetary_window - 1))
    monetary = dict(
        Event.objects.filter(kind="redeemed", at__gte=m_start, at__lt=end)
        .values("user_id")
        .annotate(s=Sum("amount"))
        .values_list("user_id", "s")
        .order_by()
    )
    sizes: dict[str, int] = {}
    stages: dict[str, int] = {}
    rows = []
    fields_to_update = [
        "computed_on",
        "last_active_on",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "segment",
        "stage",
    ]

    def flush():
        if rows:
            UserSegment.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["user"], update_fields=fields_to_update
            )
            rows.clear()

    with transaction.atomic():
        for user_id, joined in users.values_list("pk", "date_joined").iterator(chunk_size=batch_size):
            last = last_active.get(user_id)
            recency = (on - last).days if last else None
            freq = frequency.get(user_id, 0)
            money = monetary.get(user_id) or 0
            scores = rfm_scores(recency=recency, frequency=freq, monetary=money, config=config)
            age = (on - joined.astimezone(zone).date()).days
            segment, stage = segment_and_stage(age_days=age, recency=recency, scores=scores, config=config)
            sizes[segment] = sizes.get(segment, 0) + 1
            stages[stage] = stages.get(stage, 0) + 1
            rows.append(
                UserSegment(
                    user_id=user_id,
                    computed_on=on,
                    last_active_on=last,
                    recency_days=recency,
                    frequency=freq,
                    monetary=money,
                    r_score=scores[0],
                    f_score=scores[1],
                    m_score=scores[2],
                    segment=segment,
                    stage=stage,
                )
            )
            if len(rows) >= batch_size:
                flush()
        flush()
        DailyMetric.objects.filter(date=on, metric__in=SNAPSHOT_METRICS).delete()
        at = now()
        DailyMetric.objects.bulk_create(
            [
                DailyMetric(
                    date=on, metric="segment", dimension=k, label=str(Segment(k).label), value=v, computed_at=at
                )
                for k, v in sorted(sizes.items())
            ]
            + [
                DailyMetric(date=on, metric="stage", dimension=k, label=str(Stage(k).label), value=v, computed_at=at)
                for k, v in sorted(stages.items())
            ]
        )
    return sizes


def analytics_nightly(*, today: dt.date | None = None) -> str:
    today = today or local_today()
    rows = metrics_nightly(today=today)
    sizes = segments_compute(on=today - dt.timedelta(days=1))
    return f"{rows} figures, {sum(sizes.values())} users segmented"


# -- automations --------------------------------------------------------------------------------

PERIOD_EPOCH = dt.date(2000, 1, 1)


def automation_period(*, rule: AutomationRule, on: dt.date) -> int:
    """The period `on` falls in: a user gets the rule's gift at most once in it."""
    if rule.period_days == 0:
        return 0
    return (on - PERIOD_EPOCH).days // rule.period_days


def automation_targets(*, rule: AutomationRule, on: dt.date | None = None):
    """Users the rule would reach now: in its segment or stage, not yet reached in this period."""
    on = on or local_today()
    period = automation_period(rule=rule, on=on)
    target = Q(segment=rule.segment) if rule.segment else Q(stage=rule.stage)
    reached = AutomationGrant.objects.filter(rule=rule, period=period, user_id=OuterRef("user_id"))
    users = UserSegment.objects.filter(target, user__is_active=True).filter(~Exists(reached))
    if rule.action == AutomationRule.Action.MESSAGE:
        users = users.filter(user__openid__isnull=False)
    return users.select_related("user").order_by("user_id")


@dataclass
class AutomationResult:
    rule: AutomationRule
    period: int
    targets: list = field(default_factory=list)
    done: int = 0
    skipped: list = field(default_factory=list)  # (user_id, reason)


def _grant_points(*, rule: AutomationRule, user, period: int) -> None:
    from points.models import Transaction
    from points.services.ledger import account_for_user, account_issuance, ledger_post

    ledger_post(
        kind=Transaction.Kind.AUTOMATION,
        key=f"automation:{rule.pk}:{user.pk}:{period}",
        legs=[(account_issuance(), -rule.points), (account_for_user(user), rule.points)],
        memo=rule.name[:200],
        metadata={"automation": rule.pk, "period": period},
    )


def _grant_voucher(*, rule: AutomationRule, user, period: int) -> None:
    from core.locks import lock_members
    from mall.services import order_place

    lock_members(user)  # the gift counts toward the product's per-user limit
    order_place(
        user=user,
        product=rule.product,
        quantity=1,
        points=0,
        ledger_key=f"automation:{rule.pk}:{user.pk}:{period}",
        metadata={"automation": rule.pk},
    )


def _message_reserve(*, rule: AutomationRule, user) -> bool:
    """Spend one of the user's acceptances of the template (WeChat sends one message per acceptance)."""
    from checkin.models import SubscribeCredit

    return bool(
        SubscribeCredit.objects.filter(user=user, template_id=rule.template_id, credits__gt=0).update(
            credits=F("credits") - 1
        )
    )


def automation_run(*, rule: AutomationRule, dry_run: bool = False, on: dt.date | None = None) -> AutomationResult:
    """Reach every target of `rule` once in the current period. A dry run only lists them.

    Each user is one transaction: the grant row (unique per rule, user and period) and the points
    or voucher commit together, so a rerun, or two runs at once, never gives twice. A message is
    sent after its grant row commits (a failed send is recorded, not retried this period)."""
    from core.wechat import WeChatError, get_wechat_client

    on = on or local_today()
    period = automation_period(rule=rule, on=on)
    result = AutomationResult(rule=rule, period=period)
    targets = list(automation_targets(rule=rule, on=on))
    result.targets = [target.user for target in targets]
    if dry_run:
        return result
    if not rule.is_active:
        raise ApplicationError("automation_inactive", _("This automation is switched off."), 409)
    for target in targets:
        user = target.user
        try:
            with transaction.atomic():
                grant = AutomationGrant.objects.create(rule=rule, user=user, period=period)
                if rule.action == AutomationRule.Action.POINTS:
                    _grant_points(rule=rule, user=user, period=period)
                elif rule.action == AutomationRule.Action.VOUCHER:
                    _grant_voucher(rule=rule, user=user, period=period)
                elif not _message_reserve(rule=rule, user=user):
                    raise ApplicationError("no_subscription", _("The user has not accepted this message."), 409)
        except IntegrityError:
            result.skipped.append((user.pk, "already_granted"))  # a concurrent run reached them first
            continue
        except ApplicationError as exc:
            result.skipped.append((user.pk, exc.code))  # e.g. out_of_stock: tried again next run
            continue
        if rule.action == AutomationRule.Action.MESSAGE:
            try:
                get_wechat_client().send_subscribe_message(
                    openid=user.openid, template_id=rule.template_id, data={"thing1": rule.message}, page=rule.page
                )
            except WeChatError as exc:
                AutomationGrant.objects.filter(pk=grant.pk).update(
                    status=AutomationGrant.Status.FAILED, detail=str(exc)[:200]
                )
                result.skipped.append((user.pk, "wechat_error"))
                continue
        result.done += 1
    return result


def automations_run(*, on: dt.date | None = None) -> str:
    done = 0
    for rule in AutomationRule.objects.filter(is_active=True).select_related("product").order_by("pk"):
        done += automation_run(rule=rule, on=on).done
    return f"{done} automation grants"
