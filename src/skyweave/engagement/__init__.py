"""engagement stage of the kill chain: battery state, doctrine, flyout, kill and assessment."""

from skyweave.engagement.flyout import (
    INTERCEPTOR_KIND,
    apply_kills,
    flyout_states,
    interceptor_object_id,
    interceptor_truth,
    merge_truth,
)
from skyweave.engagement.model import (
    ENGAGEMENT_COLUMNS,
    LAUNCHER_CYCLE_S,
    THREAT_CLASSES,
    BatteryState,
    Engagement,
    EngagementModel,
    KillAssessment,
    Launch,
    Outcome,
    Refusal,
    battery_ecef_m,
    engagement_columns,
    plan_reengagements,
    salvo_kill_probability,
)

__all__ = [
    "ENGAGEMENT_COLUMNS",
    "INTERCEPTOR_KIND",
    "LAUNCHER_CYCLE_S",
    "THREAT_CLASSES",
    "BatteryState",
    "Engagement",
    "EngagementModel",
    "KillAssessment",
    "Launch",
    "Outcome",
    "Refusal",
    "apply_kills",
    "battery_ecef_m",
    "engagement_columns",
    "flyout_states",
    "interceptor_object_id",
    "interceptor_truth",
    "merge_truth",
    "plan_reengagements",
    "salvo_kill_probability",
]
