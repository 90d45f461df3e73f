"""Growth analytics, one module per subject: the nightly figures (`metrics`), segments and
stages (`segments`), the nightly run of both (`nightly`), automations (`automations`), the
points value and liability check (`liability`), and rule tags (`tags`)."""

from analytics.services.automations import (
    AutomationResult,
    automation_period,
    automation_run,
    automation_targets,
    automations_run,
)
from analytics.services.liability import fen_of_points, liability_check, liability_nightly, points_value, yuan
from analytics.services.metrics import MAU_DAYS, RETENTION_OFFSETS, day_figures, metrics_compute_day, metrics_nightly
from analytics.services.nightly import analytics_nightly
from analytics.services.segments import rfm_scores, segment_and_stage, segment_config, segments_compute
from analytics.services.tags import (
    DEFAULT_VISIT_KINDS,
    tag_compute,
    tag_members_replace,
    tag_rule_members,
    tags_compute,
    tags_nightly,
)

__all__ = [
    "DEFAULT_VISIT_KINDS",
    "MAU_DAYS",
    "RETENTION_OFFSETS",
    "AutomationResult",
    "analytics_nightly",
    "automation_period",
    "automation_run",
    "automation_targets",
    "automations_run",
    "day_figures",
    "fen_of_points",
    "liability_check",
    "liability_nightly",
    "metrics_compute_day",
    "metrics_nightly",
    "points_value",
    "rfm_scores",
    "segment_and_stage",
    "segment_config",
    "segments_compute",
    "tag_compute",
    "tag_members_replace",
    "tag_rule_members",
    "tags_compute",
    "tags_nightly",
    "yuan",
]
