"""Threat evaluation: disc coverage of a Gaussian impact, scores and ranking."""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest
from scipy.stats import ncx2

from skyweave.c2.threat_evaluation import (
    asset_offsets_en_m,
    disc_coverage_probability,
    evaluate_threats,
    urgency_weight,
)
from skyweave.warning.impact import DefendedAssets, ImpactPrediction


def test_circular_covariance_matches_noncentral_chi_square() -> None:
    # |X - c|^2 / s^2 is non-central chi-square, 2 dof, non-centrality |mu - c|^2 / s^2.
    sigma = np.array([50.0, 300.0, 2_000.0])[:, None]
    radius = np.array([10.0, 250.0, 1_000.0, 4_000.0])[None, :]
    for dist in (0.0, 200.0, 1_500.0, 6_000.0):
        off = np.zeros((3, 4, 2))
        off[..., 0] = dist * np.cos(0.7)
        off[..., 1] = dist * np.sin(0.7)
        cov = np.eye(2) * (sigma**2)[..., None, None]
        got = disc_coverage_probability(off, cov, radius)
        ref = ncx2.cdf(radius**2 / sigma**2, 2, dist**2 / sigma**2)
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


def test_elliptical_coverage_matches_monte_carlo() -> None:
    rng = np.random.default_rng(20240605)
    cases = 12
    offs, covs, radii = [], [], []
    for _ in range(cases):
        sig = rng.uniform(100.0, 4_000.0, size=2)
        sig[0] *= rng.uniform(0.05, 1.0)  # elongated up to 20:1
        th = rng.uniform(0.0, np.pi)
        rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
        covs.append(rot @ np.diag(sig**2) @ rot.T)
        radii.append(rng.uniform(300.0, 4_000.0))
        offs.append(rng.normal(size=2) * 0.8 * sig.max())
    got = disc_coverage_probability(np.array(offs), np.array(covs), np.array(radii))
    n = 100_000
    for k in range(cases):
        z = rng.multivariate_normal(np.zeros(2), covs[k], size=n)
        mc = np.mean(np.sum((z - offs[k]) ** 2, axis=1) <= radii[k] ** 2)
        # 1 percentage point, and never more than 5 binomial standard errors.
        tol = min(0.01, 5.0 * np.sqrt(max(mc * (1 - mc), 1e-4) / n))
        assert abs(got[k] - mc) <= tol, (k, got[k], mc)
    assert np.any((got > 0.2) & (got < 0.8))  # the cases are not all trivial


def test_point_like_and_degenerate_distributions() -> None:
    zero = np.zeros((2, 2))
    assert disc_coverage_probability([0.0, 0.0], zero, 100.0) == pytest.approx(1.0)
    assert disc_coverage_probability([150.0, 0.0], zero, 100.0) == pytest.approx(0.0)
    # A line distribution (North only, sigma s) through a disc at East offset e:
    # the chord half-length sqrt(r^2 - e^2) gives 2 Phi(h / s) - 1.
    s, r, e = 500.0, 400.0, 300.0
    h = np.sqrt(r**2 - e**2)
    from scipy.stats import norm

    got = disc_coverage_probability([e, 0.0], np.diag([0.0, s**2]), r)
    assert got == pytest.approx(2 * norm.cdf(h / s) - 1, rel=1e-6)
    assert np.isnan(disc_coverage_probability([np.nan, 0.0], np.eye(2), 1.0))
    assert disc_coverage_probability([0.0, 0.0], np.eye(2), 0.0) == 0.0


def test_batched_coverage_equals_pair_by_pair_bits() -> None:
    # Tracks x assets with one covariance per track (broadcast over assets), most
    # pairs far apart (their quadrature is cut short): each pair's bits are those
    # of its own call, zeros with their sign, non-finite inputs NaN.
    rng = np.random.default_rng(7)
    n, a = 30, 12
    off = rng.normal(size=(n, a, 2)) * rng.choice([1e3, 2e4, 2e5], size=(n, a, 1))
    m = rng.normal(size=(n, 1, 2, 2)) * 1.5e3
    cov = m @ np.swapaxes(m, -1, -2)
    cov[4, 0, 1, 1] = np.nan
    off[6, 3, 0] = np.inf
    radius = rng.uniform(300.0, 5e3, size=(1, a))
    radius[0, 2] = 0.0
    got = disc_coverage_probability(off, cov, radius)
    assert np.count_nonzero(got == 0.0) > n * a // 3 and np.count_nonzero(got > 1e-3) > 10
    for i in range(n):
        for j in range(a):
            one = disc_coverage_probability(off[i, j], cov[i, 0], radius[0, j])
            assert one.tobytes() == got[i, j].tobytes(), (i, j)


def test_asset_offsets_match_local_enu_nearby() -> None:
    lat0, lon0 = 50.0, 10.0
    lat = np.array([50.05, 49.98, 50.0])
    lon = np.array([10.0, 10.07, 9.9])
    en = asset_offsets_en_m([lat0], [lon0], lat, lon)[0]
    e, n, _ = pymap3d.geodetic2enu(lat, lon, 0.0, lat0, lon0, 0.0)
    # Sphere vs ellipsoid: within 0.5 % at these distances.
    np.testing.assert_allclose(en[:, 0], e, rtol=5e-3, atol=1.0)
    np.testing.assert_allclose(en[:, 1], n, rtol=5e-3, atol=1.0)


def _prediction(
    lat: list[float], lon: list[float], sig: list[float], t: list[float], valid: list[bool]
) -> ImpactPrediction:
    n = len(lat)
    s = np.asarray(sig, dtype=float)
    cov = np.zeros((n, 2, 2))
    cov[:, 0, 0] = s**2
    cov[:, 1, 1] = s**2
    v = np.asarray(valid)
    nanv = lambda a: np.where(v, np.asarray(a, dtype=float), np.nan)  # noqa: E731
    return ImpactPrediction(
        valid=v,
        impact_lat_deg=nanv(lat),
        impact_lon_deg=nanv(lon),
        impact_ecef_m=np.full((n, 3), np.nan),
        impact_time_s=nanv(t),
        impact_time_sigma_s=np.zeros(n),
        cov_en_m2=np.where(v[:, None, None], cov, np.nan),
        semi_major_m=s * 2.45,
        semi_minor_m=s * 2.45,
        orientation_deg=np.zeros(n),
        confidence=0.95,
        threatened=np.zeros((n, 0), dtype=bool),
        asset_ids=(),
    )


def test_scores_and_ranking() -> None:
    assets = DefendedAssets.from_lists(
        ["city", "port"], [50.0, 51.0], [10.0, 11.0], [5_000.0, 3_000.0]
    )
    values = np.array([1_000.0, 100.0])
    now = 100.0
    pred = _prediction(
        lat=[50.0, 51.0, 50.0, 45.0, 50.0],
        lon=[10.0, 11.0, 10.0, 5.0, 10.0],
        sig=[2_000.0, 1_000.0, 2_000.0, 1_000.0, 2_000.0],
        t=[400.0, 150.0, 130.0, 200.0, 0.0],
        valid=[True, True, True, True, False],
    )
    ev = evaluate_threats(pred, assets, values, now)
    # Centred on the city: circular coverage 1 - exp(-r^2 / (2 s^2)).
    p_city = 1.0 - np.exp(-(5_000.0**2) / (2 * 2_000.0**2))
    p_port = 1.0 - np.exp(-(3_000.0**2) / (2 * 1_000.0**2))
    assert ev.coverage[0, 0] == pytest.approx(p_city, rel=1e-8)
    assert ev.coverage[0, 1] == pytest.approx(0.0, abs=1e-12)
    assert ev.coverage[1, 1] == pytest.approx(p_port, rel=1e-8)
    assert ev.coverage[3].max() == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(ev.value_at_risk, ev.coverage @ values)
    np.testing.assert_allclose(ev.time_to_impact_s[:4], [300.0, 50.0, 30.0, 100.0])
    np.testing.assert_allclose(
        ev.urgency[:4], 300.0 / (300.0 + np.array([300.0, 50.0, 30.0, 100.0]))
    )
    assert ev.urgency[0] == pytest.approx(0.5)
    np.testing.assert_allclose(ev.score, ev.urgency * ev.value_at_risk)
    # Same target, sooner impact ranks first; nothing at risk and invalid rank last.
    assert list(ev.order) == [2, 0, 1, 3, 4]
    assert list(ev.rank) == [1, 2, 0, 3, 4]
    assert not ev.valid[4] and ev.score[4] == 0.0 and np.isnan(ev.time_to_impact_s[4])


def test_urgency_weight() -> None:
    np.testing.assert_allclose(urgency_weight([-5.0, 0.0, 60.0], 60.0), [1.0, 1.0, 0.5])
    with pytest.raises(ValueError):
        urgency_weight(1.0, 0.0)


def test_rejects_wrong_value_shape() -> None:
    assets = DefendedAssets.from_lists(["a"], [0.0], [0.0], [1.0])
    with pytest.raises(ValueError, match="asset_value"):
        evaluate_threats(_prediction([0.0], [0.0], [1.0], [1.0], [True]), assets, [1.0, 2.0], 0.0)
