"""Early-warning stage of the kill chain: between fusion and C2.

* :mod:`~skyweave.warning.impact`: impact-point prediction with uncertainty
  (unscented or Monte Carlo) and threatened defended assets:
  :func:`predict_impacts`, :class:`DefendedAssets`, :class:`ImpactPrediction`.
* :mod:`~skyweave.warning.launch`: launch-point estimates from infrared
  lines of sight (triangulated or single bearing) or from a track:
  :class:`LaunchDetector`, :func:`estimate_launch_events`,
  :class:`LaunchEvents`, :func:`launch_point_from_track`.
* :mod:`~skyweave.warning.alerts`: the per-partner alert stream
  (``alerts.parquet``): :class:`AlertGenerator`, :class:`AlertConfig`,
  :class:`Alerts`, :func:`alerts_to_arrow_table`.
* :mod:`~skyweave.warning.propagate`: the default free-flight propagator
  :func:`free_flight_to_ground` (RK4 in an inertial frame, ground by
  interpolation) and the :data:`Propagator` signature to plug in another.
"""

from skyweave.warning.alerts import (
    ALERT_KINDS,
    AlertConfig,
    AlertGenerator,
    Alerts,
    alerts_schema,
    alerts_to_arrow_table,
    concat_alerts,
    empty_alerts,
)
from skyweave.warning.impact import (
    DefendedAssets,
    ImpactPrediction,
    ballistic_mask,
    chi2_2dof_quantile,
    distance_to_ellipse_m,
    ellipse_from_cov,
    predict_impacts,
)
from skyweave.warning.launch import (
    LaunchDetector,
    LaunchEvents,
    estimate_launch_events,
    launch_point_from_track,
)
from skyweave.warning.propagate import Propagator, ellipsoid_height_m, free_flight_to_ground

__all__ = [
    "ALERT_KINDS",
    "AlertConfig",
    "AlertGenerator",
    "Alerts",
    "DefendedAssets",
    "ImpactPrediction",
    "LaunchDetector",
    "LaunchEvents",
    "Propagator",
    "alerts_schema",
    "alerts_to_arrow_table",
    "ballistic_mask",
    "chi2_2dof_quantile",
    "concat_alerts",
    "distance_to_ellipse_m",
    "ellipse_from_cov",
    "ellipsoid_height_m",
    "empty_alerts",
    "estimate_launch_events",
    "free_flight_to_ground",
    "launch_point_from_track",
    "predict_impacts",
]
