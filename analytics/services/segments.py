"""Segments (RFM) and lifecycle stages, computed nightly for every member in batches."""

import datetime as dt

from django.db import transaction
from django.db.models import Count, Max, Sum
from django.db.models.functions import TruncDate

from analytics.models import DailyMetric, Segment, SegmentConfig, Stage, UserSegment
from analytics.services.metrics import ACTIVE_KINDS, SNAPSHOT_METRICS
from core.clock import local_midnight, local_today, now, site_zone
from core.models import User
from events.models import Event


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
