"""Reads of the nightly figures for the dashboard and its CSV exports."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Max, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from analytics.models import DailyMetric, LiabilityCheck, Segment, Stage
from analytics.services import MAU_DAYS, RETENTION_OFFSETS, fen_of_points, points_value
from core.clock import local_midnight, now
from mall.models import Product
from points.models import Account, Entry, Lot, LotUse, Transaction


def _suffix(channel: str | None) -> str:
    return "" if channel is None else "_channel"


def _metric(name: str, channel: str | None):
    rows = DailyMetric.objects.filter(metric=f"{name}{_suffix(channel)}")
    return rows.filter(dimension=channel) if channel is not None else rows.filter(dimension="")


def _total(name: str, start: dt.date, end: dt.date, channel: str | None = None) -> int:
    return _metric(name, channel).filter(date__range=(start, end)).aggregate(s=Sum("value"))["s"] or 0


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def computed_range() -> tuple[dt.date | None, dt.date | None]:
    """The first and last day that have figures."""
    rows = DailyMetric.objects.filter(metric="new_users")
    return (
        rows.order_by("date").values_list("date", flat=True).first(),
        rows.aggregate(last=Max("date"))["last"],
    )


@dataclass
class FunnelStep:
    key: str
    label: str
    value: int
    of_previous: float | None  # share of the previous step
    of_first: float | None


FUNNEL = [
    ("visits", _("Scans and visits")),
    ("new_users", _("Registered")),
    ("activated", _("Activated")),
    ("first_redeemed", _("First redemption")),
]


def funnel(*, start: dt.date, end: dt.date, channel: str | None = None) -> list[FunnelStep]:
    """Scan -> registration -> activation (7 days) -> first redemption (30 days), of the users who
    registered between `start` and `end`."""
    steps = []
    first = previous = None
    for key, label in FUNNEL:
        metric = "new_users" if key == "new_users" else key
        value = _total(metric, start, end, channel)
        steps.append(
            FunnelStep(
                key=key,
                label=str(label),
                value=value,
                of_previous=(value / previous) if previous else None,
                of_first=(value / first) if first else None,
            )
        )
        first = value if first is None else first
        previous = value
    return steps


@dataclass
class Cohort:
    cohort: dt.date
    size: int
    retained: dict = field(default_factory=dict)  # offset -> users, only for finished days

    def rate(self, offset: int) -> float | None:
        if offset not in self.retained or not self.size:
            return None
        return self.retained[offset] / self.size


def retention_cohorts(*, start: dt.date, end: dt.date, channel: str | None = None) -> list[Cohort]:
    sizes = dict(_metric("new_users", channel).filter(date__range=(start, end)).values_list("date", "value"))
    cohorts = {d: Cohort(cohort=d, size=sizes.get(d, 0)) for d in _days(start, end)}
    for offset in RETENTION_OFFSETS:
        for date, value in (
            _metric(f"retained_d{offset}", channel).filter(date__range=(start, end)).values_list("date", "value")
        ):
            cohorts[date].retained[offset] = value
    return list(cohorts.values())


@dataclass
class KFactor:
    end: dt.date
    invites: int
    converted: int
    active_users: int

    @property
    def invites_per_user(self) -> float:
        return self.invites / self.active_users if self.active_users else 0.0

    @property
    def conversion(self) -> float:
        return self.converted / self.invites if self.invites else 0.0

    @property
    def k(self) -> float:
        return self.invites_per_user * self.conversion


def k_factor(*, end: dt.date) -> KFactor:
    """Over the 30 days ending `end`: invites per active user (MAU) x the share of invitees who
    activated."""
    start = end - dt.timedelta(days=MAU_DAYS - 1)
    mau = DailyMetric.objects.filter(metric="mau", dimension="", date=end).values_list("value", flat=True).first()
    return KFactor(
        end=end,
        invites=_total("invites", start, end),
        converted=_total("invites_converted", start, end),
        active_users=mau or 0,
    )


TREND_METRICS = [
    ("new_users", _("New users")),
    ("dau", _("Daily active users")),
    ("mau", _("Monthly active users (30 days)")),
    ("invites", _("Invites")),
    ("points_issued", _("Points issued")),
    ("points_spent", _("Points spent")),
    ("points_expired", _("Points expired")),
    ("draws", _("Lottery draws")),
    ("prizes_won", _("Lottery prizes won")),
    ("packets_opened", _("Red packets opened")),
    ("quizzes", _("Quizzes answered")),
    ("store_visits", _("Store visits")),
]


def daily_trends(*, start: dt.date, end: dt.date, channel: str | None = None) -> list[dict]:
    """One row a day: every trend figure and the K-factor (x1000 avoided: a float for display)."""
    values: dict[tuple[dt.date, str], int] = {}
    names = [name for name, _label in TREND_METRICS]
    for date, metric, value in DailyMetric.objects.filter(
        date__range=(start, end), metric__in=names, dimension=""
    ).values_list("date", "metric", "value"):
        values[(date, metric)] = value
    if channel is not None:
        for date, value in _metric("new_users", channel).filter(date__range=(start, end)).values_list("date", "value"):
            values[(date, "new_users_in_channel")] = value
    rows = []
    for date in _days(start, end):
        row = {"date": date, **{name: values.get((date, name), 0) for name in names}}
        if channel is not None:
            row["new_users"] = values.get((date, "new_users_in_channel"), 0)
        row["k_factor"] = round(k_factor(end=date).k, 3)
        rows.append(row)
    return rows


def breakdown(*, metric: str, start: dt.date, end: dt.date, limit: int | None = None) -> list[tuple[str, str, int]]:
    """(dimension, label, total) over the range, largest first: channels, inviters, products, pools."""
    rows = (
        DailyMetric.objects.filter(metric=metric, date__range=(start, end))
        .values("dimension")
        .annotate(total=Sum("value"), label=Max("label"))
        .order_by("-total", "dimension")
        .values_list("dimension", "label", "total")
    )
    return list(rows[:limit] if limit else rows)


def channel_attribution(*, start: dt.date, end: dt.date) -> list[dict]:
    rows = []
    for code, label, new_users in breakdown(metric="new_users_channel", start=start, end=end):
        rows.append(
            {
                "channel": code,
                "label": label or str(_("(no channel)")),
                "visits": _total("visits", start, end, code),
                "new_users": new_users,
                "activated": _total("activated", start, end, code),
                "first_redeemed": _total("first_redeemed", start, end, code),
            }
        )
    return rows


def segment_sizes() -> tuple[dt.date | None, list[tuple[str, str, str, int]]]:
    """(kind, key, label, users) of the latest segment computation."""
    on = DailyMetric.objects.filter(metric="segment").aggregate(last=Max("date"))["last"]
    if on is None:
        return None, []
    rows = DailyMetric.objects.filter(date=on, metric__in=["segment", "stage"]).order_by("metric", "-value")
    labels = {"segment": dict(Segment.choices), "stage": dict(Stage.choices)}  # in the reader's language
    return on, [
        (kind, key, str(labels[kind].get(key, label)), value)
        for kind, key, label, value in rows.values_list("metric", "dimension", "label", "value")
    ]


# -- CSV tables ---------------------------------------------------------------------------------


# Column headers in the reader's language (operators open these in Excel).
CSV_HEADERS = {
    "step": _("step"),
    "label": _("label"),
    "users": _("users"),
    "cohort": _("cohort"),
    "date": _("date"),
    "k_factor": _("K-factor"),
    "channel": _("channel"),
    "visits": _("visits"),
    "new_users": _("new users"),
    "activated": _("activated"),
    "first_redeemed": _("first redemption"),
    "id": _("ID"),
    "total": _("total"),
    "kind": _("kind"),
    "key": _("key"),
}
# The dashboard's ranking tables and the daily figure each one lists.
BREAKDOWN_TABLES = {"inviters": "new_users_inviter", "products": "redemptions", "pools": "pool", "winners": "winners"}


def _headers(keys: list[str]) -> list[str]:
    labels = dict(TREND_METRICS)
    return [str(CSV_HEADERS.get(key) or labels.get(key) or _retention_header(key)) for key in keys]


def _retention_header(key: str) -> str:
    offset, _sep, rate = key[1:].partition("_")
    return (_("D%(days)s retention rate") if rate else _("D%(days)s retained")) % {"days": offset}


def csv_table(name: str, *, start: dt.date, end: dt.date, channel: str | None = None) -> tuple[list, list]:
    """(header, rows) of one dashboard table, headers in the reader's language. Raises KeyError
    for an unknown table."""
    keys, rows = _csv_rows(name, start=start, end=end, channel=channel)
    return _headers(keys), rows


def _csv_rows(name: str, *, start: dt.date, end: dt.date, channel: str | None) -> tuple[list, list]:
    if name == "funnel":
        steps = funnel(start=start, end=end, channel=channel)
        return ["step", "label", "users"], [[s.key, s.label, s.value] for s in steps]
    if name == "retention":
        header = ["cohort", "users"] + [f"d{o}" for o in RETENTION_OFFSETS] + [f"d{o}_rate" for o in RETENTION_OFFSETS]
        rows = []
        for c in retention_cohorts(start=start, end=end, channel=channel):
            rates = [c.rate(o) for o in RETENTION_OFFSETS]
            rows.append(
                [c.cohort.isoformat(), c.size]
                + [c.retained.get(o, "") for o in RETENTION_OFFSETS]
                + ["" if r is None else f"{r:.4f}" for r in rates]
            )
        return header, rows
    if name == "daily":
        trends = daily_trends(start=start, end=end, channel=channel)
        header = ["date"] + [m for m, _label in TREND_METRICS] + ["k_factor"]
        return header, [[r["date"].isoformat()] + [r[h] for h in header[1:]] for r in trends]
    if name == "channels":
        rows = channel_attribution(start=start, end=end)
        header = ["channel", "label", "visits", "new_users", "activated", "first_redeemed"]
        return header, [[r[h] for h in header] for r in rows]
    if name in BREAKDOWN_TABLES:
        metric = BREAKDOWN_TABLES[name]
        return ["id", "label", "total"], [list(r) for r in breakdown(metric=metric, start=start, end=end)]
    if name == "segments":
        on, rows = segment_sizes()
        return ["date", "kind", "key", "label", "users"], [[on.isoformat(), *r] for r in rows]
    raise KeyError(name)


CSV_TABLES = ["funnel", "retention", "daily", "channels", "inviters", "products", "pools", "winners", "segments"]


# -- points value and liability -----------------------------------------------------------------


@dataclass
class SourceRow:
    kind: str
    label: str
    issued: int = 0
    spent: int = 0
    expired: int = 0


@dataclass
class Margin:
    product: object
    value_fen: int  # the points price at the points value
    cost_fen: int | None
    margin_fen: int | None  # value - cost; None when the cost is not known

    @property
    def rate(self) -> float | None:
        return self.margin_fen / self.value_fen if self.margin_fen is not None and self.value_fen else None


@dataclass
class LiabilityFigures:
    value: object  # analytics.models.PointsValue
    outstanding: int  # points in members' wallets
    liability_fen: int
    held: int  # points in challenge pools and group-buy escrow
    issued: int  # all time, net of points taken back to issuance
    spent: int  # all time, into the sinks, net of refunds
    expired: int  # all time
    expiring: int  # points in lots due within EXPIRING_DAYS (and overdue ones still held)
    expiring_fen: int
    sources: list[SourceRow]  # issued, spent and expired in the dashboard's range, by source
    margins: list[Margin]
    check: object  # the latest analytics.models.LiabilityCheck, or None

    @property
    def breakage(self) -> float | None:
        """Expired / issued, all time."""
        return self.expired / self.issued if self.issued > 0 else None


EXPIRING_DAYS = 30


def _source_kind():
    """A refund counts against the source it refunds (a refunded redemption is less spent)."""
    return Coalesce("transaction__refund_of__kind", "transaction__kind")


def points_sources(*, start: dt.date, end: dt.date) -> list[SourceRow]:
    """Points issued (minted by issuance), spent (into the sinks) and expired between the local days
    `start` and `end`, by source: the transaction kind (for a refund, the kind it refunds; for an
    expiry, the kind of the credit that formed the expired lot)."""
    since, until = local_midnight(start), local_midnight(end + dt.timedelta(days=1))
    # By the transaction's time (indexed; its legs carry the same time), not the entry's (not indexed).
    entries = Entry.objects.filter(transaction__created_at__gte=since, transaction__created_at__lt=until)
    rows: dict[str, SourceRow] = {}
    labels = dict(Transaction.Kind.choices)

    def row(kind: str) -> SourceRow:
        if kind not in rows:
            rows[kind] = SourceRow(kind=kind, label=str(labels.get(kind, kind)))
        return rows[kind]

    for kind, total in (
        entries.filter(account__kind=Account.Kind.ISSUANCE)
        .annotate(source=_source_kind())
        .values_list("source")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        row(kind).issued = -total
    for kind, total in (
        entries.filter(account__kind=Account.Kind.SINK)
        .exclude(account__code="expired")
        .annotate(source=_source_kind())
        .values_list("source")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        row(kind).spent = total
    for kind, total in (
        LotUse.objects.filter(
            entry__transaction__created_at__gte=since,
            entry__transaction__created_at__lt=until,
            entry__transaction__kind=Transaction.Kind.EXPIRY,
            entry__account__kind=Account.Kind.USER,
        )
        .values_list("lot__entry__transaction__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        row(kind).expired = total
    return sorted(rows.values(), key=lambda r: (-(r.issued + r.spent + r.expired), r.kind))


def product_margins(value) -> list[Margin]:
    """Each product's points price at the points value, less its cost (fen)."""
    margins = []
    for product in Product.objects.order_by("-is_active", "sort_order", "id"):
        value_fen = fen_of_points(product.price, value)
        cost = product.cost
        margins.append(Margin(product, value_fen, cost, None if cost is None else value_fen - cost))
    return margins


def liability_figures(*, start: dt.date, end: dt.date) -> LiabilityFigures:
    """The dashboard's points value section: all-time totals from the accounts' balances (every
    point minted is in a wallet, a pool or escrow, spent or expired: the balances sum to zero), the
    range's flows by source, what falls due soon, the products' margins and the latest check."""
    value = points_value()
    by_kind = dict(Account.objects.values_list("kind").annotate(total=Sum("balance")).order_by())
    expired = Account.objects.filter(code="expired").values_list("balance", flat=True).first() or 0
    outstanding = by_kind.get(Account.Kind.USER, 0)
    expiring = (
        Lot.objects.filter(
            account__kind=Account.Kind.USER,
            remaining__gt=0,
            expires_at__lte=now() + dt.timedelta(days=EXPIRING_DAYS),
        ).aggregate(total=Sum("remaining"))["total"]
        or 0
    )
    return LiabilityFigures(
        value=value,
        outstanding=outstanding,
        liability_fen=fen_of_points(outstanding, value),
        held=by_kind.get(Account.Kind.POOL, 0) + by_kind.get(Account.Kind.ESCROW, 0),
        issued=-by_kind.get(Account.Kind.ISSUANCE, 0),
        spent=by_kind.get(Account.Kind.SINK, 0) - expired,
        expired=expired,
        expiring=expiring,
        expiring_fen=fen_of_points(expiring, value),
        sources=points_sources(start=start, end=end),
        margins=product_margins(value),
        check=LiabilityCheck.objects.first(),
    )
