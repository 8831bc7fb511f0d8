"""A two-mode IMM (free flight under gravity + constant velocity) holds both kinds of threat."""

from __future__ import annotations

import numpy as np

from skyweave.constants import G0_MPS2
from skyweave.tracking import ConstantVelocity, Imm, RadarScan, Tracker, TrackerConfig
from skyweave.tracking.motion import Ballistic

SIG = np.array([20.0, 1e-3, 1e-3])
MIXED = Imm(
    models=(Ballistic(q_m2_s3=20.0, frame="flat"), ConstantVelocity(q_m2_s3=5.0)),
    switch_rate_per_s=(0.01, 0.01),
    initial_probabilities=(0.5, 0.5),
)


def _level(k: np.ndarray) -> np.ndarray:
    """A cruise missile: 250 m/s level at 100 m, sampled every 2 s."""
    t = 2.0 * k
    return np.stack([-20_000.0 + 250.0 * t, 30_000.0 + 0.0 * t, 100.0 + 0.0 * t], axis=-1)


def _arc(k: np.ndarray) -> np.ndarray:
    """A missile in free flight under uniform gravity (the flat frame's model)."""
    t = 2.0 * k
    return np.stack(
        [
            -40_000.0 + 1_500.0 * t,
            60_000.0 - 500.0 * t,
            60_000.0 + 900.0 * t - 0.5 * G0_MPS2 * t**2,
        ],
        axis=-1,
    )


def _rmse(config: TrackerConfig, path: np.ndarray, seed: int) -> tuple[float, int]:
    rng = np.random.default_rng(seed)
    tracker = Tracker(config)
    errs = []
    for k, pos in enumerate(path):
        horiz = np.hypot(pos[0], pos[1])
        z = np.array([[np.linalg.norm(pos), np.arctan2(pos[0], pos[1]), np.arctan2(pos[2], horiz)]])
        z += rng.normal(size=(1, 3)) * SIG
        batch = tracker.process(RadarScan.flat(2.0 * k, "r", np.zeros(3), z, SIG))
        if k >= 10:
            errs.append(np.linalg.norm(batch.state[0, :3] - pos) if len(batch) == 1 else np.nan)
    e = np.array(errs)
    return float(np.sqrt(np.nanmean(e**2))), int(np.isnan(e).sum())


def test_mixed_imm_tracks_level_and_ballistic_flight() -> None:
    k = np.arange(60)
    # a new track may be a missile: wide initial velocity uncertainty, as in the run
    wide = {"init_velocity_sigma_mps": 2_000.0}
    ballistic = TrackerConfig(motion=Ballistic(q_m2_s3=20.0, frame="flat"), **wide)
    cv = TrackerConfig(motion=ConstantVelocity(q_m2_s3=5.0), **wide)
    mixed = TrackerConfig(motion=MIXED, **wide)
    for seed in range(3):
        level = {
            n: _rmse(c, _level(k), seed) for n, c in (("b", ballistic), ("cv", cv), ("m", mixed))
        }
        arc = {n: _rmse(c, _arc(k), seed) for n, c in (("b", ballistic), ("cv", cv), ("m", mixed))}
        # the IMM never loses either target; the gravity model alone loses the level flyer
        assert level["m"][1] == 0 and arc["m"][1] == 0
        # level flight: the gravity model alone is biased; the IMM is close to the CV filter
        assert level["m"][0] < 0.5 * level["b"][0]
        assert level["m"][0] < 1.5 * level["cv"][0]
        # free flight: the CV model alone lags the curve; the IMM is close to the ballistic filter
        assert arc["m"][0] < arc["cv"][0]
        assert arc["m"][0] < 1.5 * arc["b"][0]


def test_mode_count_follows_the_models() -> None:
    assert MIXED.n_modes == 2
    assert MIXED.mode_models()[0].frame == "flat"  # type: ignore[union-attr]
