"""Tracker tunings for the run: one place that says why each number is what it is.

:func:`threat_tracker_config` is the partner tracker of a run (the engine's
``TRACKER_CONFIG``). Its numbers are set so that the filter is *consistent*:
its covariance matches its actual error (NEES chi-square with 6 degrees of
freedom; ``tests/test_tracker_consistency.py``), which is what makes the
impact ellipses drawn from it honest (``benchmarks/bench_impact_calibration.py``).
"""

from __future__ import annotations

from skyweave.tracking.fusion import FusionConfig
from skyweave.tracking.motion import Ballistic, ConstantVelocity, Imm
from skyweave.tracking.tracker import TrackerConfig
from skyweave.warning.propagate import NOMINAL_BALLISTIC_COEFFICIENT_KG_M2

#: White-acceleration PSD (m2/s3) of the forces the coast mode leaves out
#: everywhere: J2 (up to 0.03 m/s2) and thrust tail-off. Small: in a long
#: coast the velocity is known to a fraction of a m/s, and any larger noise
#: swamps it. (It was 20, with drag unmodelled: a covariance two to three times
#: too large in exo-atmospheric coast, median NEES 2.6 where 5.35 is honest,
#: hence impact ellipses that held the true impact 98-100 % of the time.)
COAST_Q_M2_S3 = 0.01

#: PSD of the boost mode: thrust of some 30 m/s2 held for about ten seconds
#: (``a^2 tau``, rounded). Without it, reports taken before burnout were fused
#: as free flight and biased the velocity for minutes (the misses of the 95 %
#: ellipses were early-track ones).
BOOST_Q_M2_S3 = 1_000.0

#: Relative one-sigma error of the modelled drag: the nominal class's
#: ballistic coefficient stands in for the threat's own.
DRAG_SIGMA_FRACTION = 0.1

#: Rate (1/s) of leaving the boost mode for the coast mode. Slower, and the
#: boost mode's wide covariance lingers on every new track (on 20 seeds of the
#: example, 0.05/s: 97.0 % ellipse coverage, median d2/k95 0.18); faster, and
#: reports taken under thrust bias the coast mode again (0.5/s: 88.6 %, with
#: an honest core, median 0.231, but heavy tails). 0.25/s: 94.7 %.
BOOST_EXIT_RATE_PER_S = 0.25

#: Rate (1/s) of switching between the coast and constant-velocity modes. A
#: missile in free flight does not turn into an aircraft: these modes
#: classify a track rather than follow manoeuvres. (At 0.01/s the mixture
#: kept a tenth of the constant-velocity mode's wide covariance on every
#: ballistic track over a 10 s revisit.) Nothing switches into boost: a motor
#: that has burnt out does not relight, so a coast track keeps no boost weight.
CLASS_SWITCH_RATE_PER_S = 1e-5


def _free_flight(q_m2_s3: float) -> Ballistic:
    """ECEF gravity and the nominal class's drag, with white acceleration ``q_m2_s3``."""
    return Ballistic(
        q_m2_s3=q_m2_s3,
        frame="ecef",
        ballistic_coefficient_kg_m2=NOMINAL_BALLISTIC_COEFFICIENT_KG_M2,
        drag_sigma_fraction=DRAG_SIGMA_FRACTION,
    )


#: a track (own or fused) below this height has ended: nothing flies underground, and
#: 100 m is several sigmas of a fire-control radar's height error near the ground
MIN_TRACK_ALTITUDE_M = -100.0


def threat_tracker_config() -> TrackerConfig:
    """The partner tracker of a run: an IMM of coast, boost and constant velocity.

    Three modes: free flight under gravity with the truth model's re-entry
    drag at the nominal ballistic coefficient (ballistic missiles after
    burnout); the same with a large white acceleration (a missile still under
    thrust); and constant velocity (cruise missiles and aircraft, which a
    gravity model would see sinking and drop or duplicate). Boost only ends
    (in coast); coast and constant velocity switch rarely. See the module
    constants for the noise levels and why.

    Returns
    -------
    TrackerConfig
    """
    return TrackerConfig(
        motion=Imm(
            models=(
                _free_flight(COAST_Q_M2_S3),
                _free_flight(BOOST_Q_M2_S3),
                ConstantVelocity(q_m2_s3=5.0),
            ),
            # rates_per_s[i][j]: from mode i to mode j (coast, boost, constant velocity)
            rates_per_s=(
                (0.0, 0.0, CLASS_SWITCH_RATE_PER_S),
                (BOOST_EXIT_RATE_PER_S, 0.0, 0.0),
                (CLASS_SWITCH_RATE_PER_S, 0.0, 0.0),
            ),
            initial_probabilities=(0.34, 0.33, 0.33),
        ),
        init_velocity_sigma_mps=2000,
        max_pos_sigma_m=100_000.0,
        confirm_hits=4,
        confirm_window=6,
        max_coast_s=35.0,
        min_altitude_m=MIN_TRACK_ALTITUDE_M,
    )


def fusion_config() -> FusionConfig:
    """A partner's fused picture: tracks predicted to the picture time in free flight
    with the nominal drag, like the tracker's coast mode.

    Without the drag, a re-entering missile's track predicted over a radar's revisit
    misses its other partners' tracks of it by kilometres, far outside the consistent
    covariances of :func:`threat_tracker_config`, and one threat shows twice.
    """
    return FusionConfig(motion=_free_flight(Ballistic.q_m2_s3), min_altitude_m=MIN_TRACK_ALTITUDE_M)
