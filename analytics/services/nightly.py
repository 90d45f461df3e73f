"""The nightly analytics run: yesterday's figures (and the days still filling in), then segments."""

import datetime as dt

from analytics.services.metrics import metrics_nightly
from analytics.services.segments import segments_compute
from core.clock import local_today


def analytics_nightly(*, today: dt.date | None = None) -> str:
    today = today or local_today()
    rows = metrics_nightly(today=today)
    sizes = segments_compute(on=today - dt.timedelta(days=1))
    return f"{rows} figures, {sum(sizes.values())} users segmented"
