"""Growth analytics, one module per subject: the nightly figures (`metrics`), segments and
stages (`segments`), the nightly run of both (`nightly`), and automations (`automations`)."""

from analytics.services.automations import (
    AutomationResult,
    automation_period,
    automation_run,
    automation_targets,
    automations_run,
)
from analytics.services.metrics import MAU_DAYS, RETENTION_OFFSETS, day_figures, metrics_compute_day, metrics_nightly
from analytics.services.nightly import analytics_nightly
from analytics.services.segments import rfm_scores, segment_and_stage, segment_config, segments_compute

__all__ = [
    "MAU_DAYS",
    "RETENTION_OFFSETS",
    "AutomationResult",
    "analytics_nightly",
    "automation_period",
    "automation_run",
    "automation_targets",
    "automations_run",
    "day_figures",
    "metrics_compute_day",
    "metrics_nightly",
    "rfm_scores",
    "segment_and_stage",
    "segment_config",
    "segments_compute",
]
