"""Trying a plan before it is locked: seeded runs in the background, and coverage.

:class:`Assessment` runs N seeded runs of the scenario a plan produces through the
batch machinery (:func:`~skyweave.analysis.batch.run_pool`, spawned processes; one
worker runs them in a thread of this process), run ``i`` with the seed
:func:`~skyweave.analysis.batch.derive_seed` ``(seed, i)`` as ``skyweave batch`` derives
it, and reports its progress as the runs finish, then the expected leakers and value
protected (the defended assets' total value less the value hit) with Student-t 95 %
intervals (:func:`~skyweave.analysis.batch_results.mean_ci`).

:func:`coverage_rows` says, for each defended asset, which batteries have it within
their maximum engagement range and which ground radars within their instrumented
range and azimuth sector (great-circle distance on the mean sphere; the radar
horizon and elevation limits are left to the runs).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from skyweave.scenario.deployment import great_circle_km
from skyweave.scenario.schema import Radar, Scenario


def bearing_deg(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees true in [0, 360)."""
    p1, p2 = math.radians(lat1_deg), math.radians(lat2_deg)
    dl = math.radians(lon2_deg - lon1_deg)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def coverage_rows(
    scenario: Scenario, asset_ids: Sequence[str], unit_ids: Iterable[str]
) -> list[dict[str, Any]]:
    """For each asset of ``asset_ids``: the batteries and radars of ``unit_ids`` covering it.

    A battery covers an asset within its ``max_range_km``; a radar one within its
    ``max_range_km`` whose bearing lies in its sector (boresight ± half width).
    """
    units = set(unit_ids)
    wanted = set(asset_ids)
    rows = []
    for a in scenario.defended_assets:
        if a.id not in wanted:
            continue
        batteries = [
            b.id
            for b in scenario.batteries
            if b.id in units
            and great_circle_km(b.lat_deg, b.lon_deg, a.lat_deg, a.lon_deg) <= b.max_range_km
        ]
        radars = []
        for s in scenario.sensors:
            if not isinstance(s, Radar) or s.id not in units:
                continue
            if great_circle_km(s.lat_deg, s.lon_deg, a.lat_deg, a.lon_deg) > s.max_range_km:
                continue
            off = bearing_deg(s.lat_deg, s.lon_deg, a.lat_deg, a.lon_deg) - s.boresight_az_deg
            off = (off + 180.0) % 360.0 - 180.0
            # an asset at the radar itself has no bearing: it is covered
            at_site = great_circle_km(s.lat_deg, s.lon_deg, a.lat_deg, a.lon_deg) < 1e-3
            if at_site or abs(off) <= s.sector_half_width_deg:
                radars.append(s.id)
        rows.append({"asset": a.id, "partner": a.partner, "batteries": batteries, "radars": radars})
    return rows


class Assessment:
    """N seeded runs of one plan version, run in the background (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
        The scenario the plan version produces.
    version : int
        The plan version it assesses.
    seed : int
        Base seed; run ``i`` uses ``derive_seed(seed, i)``.
    runs : int
    workers : int
        Pool processes (1: serially, in a thread of this process).
    on_progress : callable
        Called (from the background thread) after each finished run.
    """

    def __init__(
        self,
        scenario: Scenario,
        version: int,
        seed: int,
        runs: int,
        workers: int,
        on_progress: Callable[[], None] = lambda: None,
    ) -> None:
        self.scenario = scenario
        self.version = version
        self.seed = seed
        self.runs = runs
        self.workers = max(1, min(workers, runs))
        self.rows: list[dict[str, Any]] = []
        self.error: str | None = None
        self.running = False
        self._lock = threading.Lock()
        self._on_progress = on_progress
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the runs in a background thread."""
        self.running = True
        self._thread = threading.Thread(target=self._run, name="skyweave-assess", daemon=True)
        self._thread.start()

    def join(self, timeout_s: float | None = None) -> None:
        """Wait for the runs to finish (tests, and the command line's end)."""
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        from skyweave.analysis.batch import RunTask, derive_seed, run_pool, run_serial

        tasks = [
            RunTask(0, i, derive_seed(self.seed, i), {}, self.scenario) for i in range(self.runs)
        ]

        def on_row(row: dict[str, Any]) -> None:
            with self._lock:
                self.rows.append(row)
            self._on_progress()

        try:
            if self.workers == 1:
                run_serial(tasks, on_row)
            else:
                run_pool(tasks, self.workers, on_row)
        except Exception as exc:  # an assessment that fails says so; planning goes on
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.running = False
            self._on_progress()

    def view(self) -> dict[str, Any]:
        """Progress and, over the runs finished so far, the measures with 95 % intervals."""
        from skyweave.analysis.batch_results import mean_ci

        with self._lock:
            rows = list(self.rows)
        ok = [r for r in rows if r.get("status") == "ok"]
        total_value = float(sum(a.value for a in self.scenario.defended_assets))
        leakers = _values(ok, "engagement.leakers")
        protected = [total_value - v for v in _values(ok, "engagement.value_hit")]
        return {
            "version": self.version,
            "runs": self.runs,
            "done": len(rows),
            "failed": len(rows) - len(ok),
            "running": self.running,
            "error": self.error,
            "seed": self.seed,
            "seeds": sorted(int(r["seed"]) for r in ok),
            "value_total": total_value,
            "leakers": mean_ci(leakers),
            "value_protected": mean_ci(protected),
            "interceptors_used": mean_ci(_values(ok, "engagement.interceptors_used_total")),
        }


def _values(rows: Sequence[dict[str, Any]], name: str) -> list[float]:
    """One measure over the runs that have it."""
    out = [r["measures"].get(name) for r in rows]
    return [float(v) for v in out if v is not None]


__all__ = ["Assessment", "bearing_deg", "coverage_rows"]
