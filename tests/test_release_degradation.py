"""Degradation that holds: persistent per-object error, and fusion that stays consistent.

Independent references: the chi-square distribution (scipy.stats) of normalised
errors, and a negative control (the same fusion without the covariance inflation
is over-confident, so the test can fail).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

from short_example import EXAMPLE
from skyweave.network import LinkBoundary, Messages
from skyweave.scenario import load_scenario
from skyweave.scenario.schema import ReleaseRule, Scenario
from skyweave.tracking.fusion import covariance_intersection
from skyweave.tracking.shared_picture import remote_tracks, track_messages
from skyweave.tracking.tracker import TrackBatch

NOISE_M = 30_000.0


def _released(noise_m: float, rounding_m: float = 0.0) -> Scenario:
    s = load_scenario(EXAMPLE)
    rule = ReleaseRule.model_validate(
        {
            "from": "north",
            "to": ["east"],
            "data_class": "tracks",
            "position_noise_m": noise_m,
            "position_rounding_m": rounding_m,
        }
    )
    link = s.links[0].model_copy(update={"loss_probability": 0.0, "jitter_s": 0.0})
    return s.model_copy(update={"policy": [rule], "links": [link]})


def test_averaging_many_deliveries_does_not_remove_the_error() -> None:
    """The averaging attack: 200 deliveries of each of 40 objects, averaged. With a fresh
    draw per message the mean would sit within sigma / sqrt(200) of the truth; the
    persistent offset keeps |mean error|^2 / sigma^2 chi-square with 3 dof."""
    boundary = LinkBoundary(_released(NOISE_M), seed=3)
    n_obj, n_msg = 40, 200
    truth = np.array([-4.0e6, 3.0e6, -3.5e6])
    keys = np.tile(np.arange(n_obj), n_msg)
    times = np.repeat(np.arange(n_msg, dtype=float), n_obj)
    messages = Messages.build(
        times, "north", "tracks", xyz_m=np.tile(truth, (len(times), 1)), object_key=keys
    )
    d = boundary.deliver(messages)
    assert len(d) == len(messages)
    err = d.xyz_m() - truth
    obj = keys[d.message_id]
    mean_err = np.array([err[obj == k].mean(axis=0) for k in range(n_obj)])
    stat = float(np.sum(mean_err**2) / NOISE_M**2)  # chi-square, 3 * n_obj dof
    lo, hi = chi2.ppf([0.025, 0.975], 3 * n_obj)
    assert lo <= stat <= hi
    # the released accuracy holds: the median object is still ~sigma*sqrt(3) off
    assert np.median(np.linalg.norm(mean_err, axis=1)) > 0.5 * NOISE_M


def test_same_object_same_offset_different_objects_independent() -> None:
    boundary = LinkBoundary(_released(NOISE_M), seed=4)
    truth = np.zeros((4, 3)) + 7.0e6
    m = Messages.build(
        [0.0, 5.0, 0.0, 5.0], "north", "tracks", xyz_m=truth, object_key=[1, 1, 2, 2]
    )
    d = boundary.deliver(m)
    xyz = d.xyz_m()[np.argsort(d.message_id)]
    assert np.array_equal(xyz[0], xyz[1]) and np.array_equal(xyz[2], xyz[3])
    assert not np.array_equal(xyz[0], xyz[2])


def _fused_nees(inflate: bool, noise_m: float, rounding_m: float, n: int = 400) -> float:
    """Mean 6-D NEES of own tracks fused (covariance intersection) with released remote
    tracks of the same objects, each object with its own persistent release offset."""
    rng = np.random.default_rng(11)
    truth = np.tile([-4.0e6, 3.0e6, -3.5e6, 1500.0, -800.0, 2000.0], (n, 1))
    own_p = np.diag([800.0**2] * 3 + [20.0**2] * 3)
    rem_p = np.diag([150.0**2] * 3 + [4.0**2] * 3)
    own_x = truth + rng.multivariate_normal(np.zeros(6), own_p, n)
    rem_x = truth + rng.multivariate_normal(np.zeros(6), rem_p, n)
    batch = TrackBatch(
        time_s=10.0,
        track_id=np.arange(1, n + 1, dtype=np.int64),
        state=rem_x,
        covariance=np.tile(rem_p, (n, 1, 1)),
        pos_sigma_m=np.full(n, 150.0 * np.sqrt(3)),
        sources_mask=np.ones((n, 1), dtype=bool),
        sensor_ids=("north-ewr",),
    )
    boundary = LinkBoundary(_released(noise_m, rounding_m), seed=5)
    d = boundary.deliver(track_messages("north", 10.0, batch))
    if not inflate:
        d = d.take(np.arange(len(d)))
        object.__setattr__(d, "added_position_var_m2", np.zeros(len(d)))
    remote = remote_tracks("north", d, batch)
    k = remote.track_id - 1
    x, p, _ = covariance_intersection(
        own_x[k], np.tile(own_p, (len(k), 1, 1)), remote.state, remote.covariance
    )
    e = x - truth[k]
    nees = np.einsum("ki,kij,kj->k", e, np.linalg.inv(p), e)
    return float(nees.mean())


@pytest.mark.parametrize(("noise_m", "rounding_m"), [(3_000.0, 0.0), (2_000.0, 5_000.0)])
def test_fusion_stays_consistent_with_degradation(noise_m: float, rounding_m: float) -> None:
    n = 400
    hi = chi2.ppf(0.975, 6 * n) / n
    assert _fused_nees(True, noise_m, rounding_m, n) <= hi
    # negative control: trusting the degraded positions at their original covariance
    assert _fused_nees(False, noise_m, rounding_m, n) > hi
