"""IMM (quiet + manoeuvre constant-velocity modes) on a turning target."""

from __future__ import annotations

import numpy as np

from skyweave.tracking import ConstantVelocity, Imm, RadarScan, Tracker, TrackerConfig

SIG = np.array([20.0, 1e-3, 1e-3])


def _trajectory() -> tuple[np.ndarray, np.ndarray]:
    """Straight 40 s, a 4 g coordinated turn for 15 s, straight 40 s (1 s samples)."""
    speed, accel = 250.0, 4.0 * 9.80665
    rate = accel / speed
    pos = np.array([-10_000.0, 40_000.0, 3_000.0])
    heading = np.radians(80.0)
    out = []
    turning = []
    for k in range(96):
        out.append(pos.copy())
        turn = 40 <= k < 55
        turning.append(turn)
        # Exact arc over one second when turning, a straight step otherwise.
        if turn:
            h2 = heading + rate
            pos = pos + speed / rate * np.array(
                [np.cos(heading) - np.cos(h2), np.sin(h2) - np.sin(heading), 0.0]
            )
            heading = h2
        else:
            pos = pos + speed * np.array([np.sin(heading), np.cos(heading), 0.0])
    return np.array(out), np.array(turning)


def _errors(config: TrackerConfig, seed: int) -> np.ndarray:
    truth, _ = _trajectory()
    rng = np.random.default_rng(seed)
    tracker = Tracker(config)
    err = np.full(len(truth), np.nan)
    for k, pos in enumerate(truth):
        rel = pos
        horiz = np.hypot(rel[0], rel[1])
        z = np.array([[np.linalg.norm(rel), np.arctan2(rel[0], rel[1]), np.arctan2(rel[2], horiz)]])
        z += rng.normal(size=(1, 3)) * SIG
        batch = tracker.process(RadarScan.flat(float(k), "r", np.zeros(3), z, SIG))
        if len(batch) == 1:
            err[k] = np.linalg.norm(batch.state[0, :3] - pos)
    return err


def test_imm_follows_a_turn_that_a_quiet_cv_filter_loses_accuracy_on() -> None:
    _, turning = _trajectory()
    manoeuvre = np.zeros_like(turning)
    manoeuvre[40:62] = True  # the turn and the settling after it
    straight = np.zeros_like(turning)
    straight[15:40] = True
    configs = {
        "cv": TrackerConfig(motion=ConstantVelocity(1.0)),
        "cv_hi": TrackerConfig(motion=ConstantVelocity(400.0)),
        "imm": TrackerConfig(motion=Imm()),
    }
    rmse = {}
    for name, cfg in configs.items():
        errs = np.array([_errors(cfg, seed) for seed in range(5)])
        rmse[name] = (
            float(np.sqrt(np.nanmean(errs[:, manoeuvre] ** 2))),
            float(np.sqrt(np.nanmean(errs[:, straight] ** 2))),
            int(np.isnan(errs[:, 15:]).sum()),
        )
    # The IMM keeps the track through the turn and is far better than the quiet filter there ...
    assert rmse["imm"][2] == 0
    assert rmse["imm"][0] < 0.5 * rmse["cv"][0]
    # ... and on the straight leg it is better than the always-noisy filter.
    assert rmse["imm"][1] < rmse["cv_hi"][1]
    assert rmse["imm"][1] < 1.25 * rmse["cv"][1]
