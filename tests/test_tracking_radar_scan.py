"""A partner's radar look as its tracker takes it: a copy of the site's checked scan."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from skyweave.sensors.detections import Detections, column_names, empty_detections
from skyweave.sensors.radar import site_frame
from skyweave.tracking.partner_picture import RadarSite, radar_scan
from skyweave.tracking.scan import RadarScan

SITE = RadarSite(
    sensor_id="r1",
    lat_deg=51.0,
    lon_deg=4.0,
    alt_m=30.0,
    revisit_period_s=10.0,
    max_range_m=4e5,
    sigmas=(40.0, 1e-3, 2e-3),
    boresight_azimuth_rad=1.0,
    half_width_azimuth_rad=0.7,
    min_elevation_rad=-0.01,
    max_elevation_rad=1.2,
)


def _detections(z: np.ndarray) -> Detections:
    empty = empty_detections()
    cols = {name: np.resize(getattr(empty, name), len(z)) for name in column_names()}
    cols.update(range_m=z[:, 0], azimuth_rad=z[:, 1], elevation_rad=z[:, 2])
    return Detections(**cols)


def _built_in_full(site: RadarSite, time_s: float, z: np.ndarray) -> RadarScan:
    """The scan built by the dataclass, every field given and checked (as it was)."""
    frame = site_frame(site.lat_deg, site.lon_deg, site.alt_m)
    return RadarScan(
        time_s=time_s,
        sensor_id=site.sensor_id,
        sensor_pos_m=frame.position_ecef_m,
        enu_to_frame=frame.enu_to_ecef,
        z=z,
        sigmas=np.asarray(site.sigmas, dtype=np.float64),
        max_range_m=site.max_range_m,
        boresight_azimuth_rad=site.boresight_azimuth_rad,
        half_width_azimuth_rad=site.half_width_azimuth_rad,
        min_elevation_rad=site.min_elevation_rad,
        max_elevation_rad=site.max_elevation_rad,
    )


@pytest.mark.parametrize("n", [0, 1, 4])
def test_radar_scan_is_the_full_construction(n: int) -> None:
    z = np.random.default_rng(n).uniform(0.1, 1.0, (n, 3)) * (3e5, 6.0, 1.0)
    det = _detections(z) if n else empty_detections()
    for time_s in (12.5, 20):
        got = radar_scan(SITE, time_s, det)
        ref = _built_in_full(SITE, time_s, z)
        assert type(got.time_s) is float
        for f in dataclasses.fields(RadarScan):
            a, b = getattr(got, f.name), getattr(ref, f.name)
            if isinstance(b, np.ndarray):
                assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
            else:
                assert type(a) is type(b) and a == b


def test_radar_scan_still_checks_reports_and_the_site() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        radar_scan(SITE, 1.0, _detections(np.array([[1e5, np.nan, 0.1]])))
    bad = dataclasses.replace(SITE, sigmas=(40.0, 0.0, 2e-3))
    with pytest.raises(ValueError, match="sigmas"):
        radar_scan(bad, 1.0, empty_detections())
