"""The link boundary, tick by tick: offer what partners send now, hand on what has arrived.

:class:`LinkStream` wraps a :class:`~skyweave.network.links.LinkBoundary`: each
tick the engine offers the messages its partners produced at that tick (each
batch with the payload it indexes), and takes the deliveries whose arrival time
has come. Queues carry over from tick to tick, and each tick's draws come from
that tick's generators, so what crosses before ``t`` never depends on what is
sent after it.

Two rules that a whole-run computation could not know in advance: a message
still in flight when its link is cut (an inject applied after it was sent) is
lost, and one that arrives while its receiver's command post is silent is not
received.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from skyweave.kinematics.geodetic import ecef_to_geodetic, geodetic_to_ecef
from skyweave.network.links import LinkBoundary, in_windows
from skyweave.network.messages import Deliveries, Messages, Transmissions
from skyweave.sensors.detections import Detections
from skyweave.sensors.infrared import los_angles, los_from_detections, los_ground_intersection
from skyweave.warning.alerts import Alerts

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Arrived:
    """Deliveries of one offered batch that reached their receivers in one tick.

    ``deliveries.payload_row`` indexes ``payload`` (the batch's own table).
    """

    data_class: str
    origin: str
    deliveries: Deliveries
    payload: Any


@dataclass
class _InFlight:
    deliveries: Deliveries
    batch: IntArray  # offered batch of each delivery
    payloads: list[tuple[str, str, Any]]  # (data class, origin, payload) per batch


class LinkStream:
    """What crosses between partners, one tick at a time (see the module docstring)."""

    def __init__(self, boundary: LinkBoundary) -> None:
        self.boundary = boundary
        self._queues: dict[tuple[str, str], float] = {}
        self._in_flight: list[_InFlight] = []
        #: attempts per ``"origin->receiver"``, data class and outcome, as offered
        self.outcomes: dict[str, dict[str, dict[str, int]]] = {}

    def offer(self, tick: int, batches: Sequence[tuple[Messages, Any]]) -> None:
        """Offer this tick's messages; each batch is ``(messages, payload)``.

        Every message of a batch has one origin and one data class.
        """
        batches = [(m, p) for m, p in batches if len(m)]
        if not batches:
            return
        messages = Messages.concat(m for m, _ in batches)
        batch_of = np.repeat(np.arange(len(batches)), [len(m) for m, _ in batches])
        sent = self.boundary.transmit(messages, draw_key=tick, queues=self._queues)
        self._count(sent)
        delivered = sent.delivered()
        if not len(delivered):
            return
        order = np.lexsort((delivered.message_id, delivered.arrival_time_s))
        delivered = delivered.take(order)
        payloads = [(str(m.data_class[0]), str(m.origin[0]), p) for m, p in batches]
        self._in_flight.append(_InFlight(delivered, batch_of[delivered.message_id], payloads))

    def _count(self, sent: Transmissions) -> None:
        # counted per distinct row first (in first-seen order: the nested keys are
        # inserted in the order a row-by-row count inserts them)
        rows = Counter(
            zip(
                sent.origin.tolist(),
                sent.receiver.tolist(),
                sent.data_class.tolist(),
                sent.outcome.tolist(),
                strict=True,
            )
        )
        for (origin, receiver, data_class, outcome), count in rows.items():
            per_class = self.outcomes.setdefault(f"{origin}->{receiver}", {})
            per_outcome = per_class.setdefault(data_class, {})
            per_outcome[outcome] = per_outcome.get(outcome, 0) + count

    def arrived(self, time_s: float) -> list[Arrived]:
        """Deliveries with arrival at or before ``time_s``, not handed on before.

        Grouped per offered batch and receiver, in offer order; rows in arrival order.
        """
        out: list[Arrived] = []
        keep: list[_InFlight] = []
        for flight in self._in_flight:
            d = flight.deliveries
            n = int(np.searchsorted(d.arrival_time_s, time_s, side="right"))
            if n == 0:
                keep.append(flight)
                continue
            # (the rows themselves when the whole flight arrives: it is dropped below)
            now = d if n == len(d) else d.take(np.arange(n))
            ok = self._still_received(now)
            batch = flight.batch[:n]
            offered = np.unique(batch[ok]).tolist()
            whole = len(offered) == 1 and bool(ok.all())  # every row is that batch's
            for b in offered:
                in_b = ok & (batch == b)  # (all True when whole)
                data_class, origin, payload = flight.payloads[b]
                receivers = dict.fromkeys((now.receiver if whole else now.receiver[in_b]).tolist())
                for receiver in receivers:
                    # each receiver's rows taken from the tick's rows at once (one mask)
                    if len(receivers) == 1:
                        got = now if whole else now.take(in_b)
                    else:
                        got = now.take(in_b & (now.receiver == receiver))
                    out.append(Arrived(data_class, origin, got, payload))
            if n < len(d):
                keep.append(
                    _InFlight(d.take(np.arange(n, len(d))), flight.batch[n:], flight.payloads)
                )
        self._in_flight = keep
        return out

    def _still_received(self, d: Deliveries) -> NDArray[np.bool_]:
        """Not cut in flight, receiver not silent at arrival (windows as known now)."""
        ok = np.ones(len(d), dtype=bool)
        b = self.boundary
        # (a link never cut and a post never silent leave their rows as they are)
        for link_id in sorted(set(d.link_id.tolist())):
            down = b.link_down(link_id)
            if not down:
                continue
            on = d.link_id == link_id
            for start, _ in down:
                ok[on] &= ~((d.send_time_s[on] < start) & (start <= d.arrival_time_s[on]))
        for receiver in sorted(set(d.receiver.tolist())):
            silent = b.silent(receiver)
            if not silent:
                continue
            on = d.receiver == receiver
            ok[on] &= ~in_windows(silent, d.arrival_time_s[on])
        return ok


# -- adapters: what each data class carries across ---------------------------------

#: A released line of sight carries the point where it meets this height (the
#: plume's cloud-top height, as the launch detector takes it): the position the
#: release degrades. The receiver rebuilds the line from the satellite to that point.
LOS_POINT_ALTITUDE_M = 10_000.0


def object_key(name: str) -> int:
    """A stable non-negative key for a released object's name (CRC-32)."""
    return zlib.crc32(name.encode("utf-8"))


def detection_messages(origin: str, det: Detections) -> tuple[Messages, Any]:
    """``detections`` messages of infrared lines of sight, sent at their report time.

    Each carries the point where its line meets :data:`LOS_POINT_ALTITUDE_M`, and
    is keyed by sensor and object (one persistent offset per satellite's view of
    one plume; a false alarm gets a fresh one).
    """
    sat, los = los_from_detections(det)
    point = los_ground_intersection(sat, los, LOS_POINT_ALTITUDE_M)
    keys = [
        object_key(f"{s}/{o}") if o is not None else -1
        for s, o in zip(det.sensor_id.tolist(), det.object_id.tolist(), strict=True)
    ]
    messages = Messages.build(det.report_time_s, origin, "detections", xyz_m=point, object_key=keys)
    return messages, det


def received_detections(det: Detections, d: Deliveries) -> Detections:
    """Lines of sight as a receiver gets them: through the degraded point, with the
    angular sigma inflated by the added error at that distance."""
    got = det.take(d.payload_row)
    point = d.xyz_m()
    moved = np.all(np.isfinite(point), axis=1) & (d.added_position_var_m2 > 0.0)
    if not moved.any():
        return got
    sat = np.column_stack([got.sensor_x_m, got.sensor_y_m, got.sensor_z_m])
    line = point[moved] - sat[moved]
    dist = np.linalg.norm(line, axis=1)
    a1, a2 = los_angles(line / dist[:, None])
    angle1, angle2, sigma = (
        got.los_angle1_rad.copy(),
        got.los_angle2_rad.copy(),
        got.sigma_los_rad.copy(),
    )
    angle1[moved], angle2[moved] = a1, a2
    sigma[moved] = np.sqrt(sigma[moved] ** 2 + d.added_position_var_m2[moved] / dist**2)
    return replace(got, los_angle1_rad=angle1, los_angle2_rad=angle2, sigma_los_rad=sigma)


def _ecef(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    x, y, z = geodetic_to_ecef(lat_deg, lon_deg, np.zeros_like(lat_deg))
    return np.column_stack([x, y, z])


def _ecef_pair(
    first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_ecef` of two sets of points of one length, in one conversion."""
    n = len(first[0])
    xyz = _ecef(np.concatenate([first[0], second[0]]), np.concatenate([first[1], second[1]]))
    return xyz[:n], xyz[n:]


def alert_messages(origin: str, alerts: Alerts) -> tuple[Messages, Any]:
    """``launch_alerts`` messages, each sent when its alert was issued, carrying the
    impact point (the launch point if none), the alert's lineage, and keyed by its
    threat: one persistent offset per threat.

    The payload is ``(alerts, carried point, launch ECEF, impact ECEF)``: the points'
    ECEF positions, converted once, serve every delivery (:func:`received_alerts`).
    """
    impact, launch = _ecef_pair(
        (alerts.impact_lat_deg, alerts.impact_lon_deg),
        (alerts.launch_lat_deg, alerts.launch_lon_deg),
    )
    point = np.where(np.isfinite(impact[:, :1]), impact, launch)
    keys = [object_key(f"threat/{k}") for k in alerts.threat_id.tolist()]
    messages = Messages.build(
        alerts.time_s,
        origin,
        "launch_alerts",
        xyz_m=point,
        originators=alerts.originators.tolist(),
        object_key=keys,
    )
    return messages, (alerts, point, launch, impact)


def received_alerts(
    payload: tuple[Alerts, np.ndarray, np.ndarray, np.ndarray], d: Deliveries
) -> Alerts:
    """Alerts as a receiver gets them: arrival time, its own name, degraded points.

    The release's degradation moves the carried point; the other point of the
    alert moves with it (one draw per alert).
    """
    alerts, point, launch, impact = payload
    rows = d.payload_row
    got = alerts.take(rows)
    shift = np.nan_to_num(d.xyz_m() - point[rows])
    # both points of every alert (their ECEF from the payload: the conversion is
    # elementwise, so the rows' own conversion gives the same bits), then one
    # conversion back
    n = len(got)
    xyz = np.concatenate([launch[rows], impact[rows]]) + np.concatenate([shift, shift])
    lat, lon, _ = ecef_to_geodetic(xyz[:, 0], xyz[:, 1], xyz[:, 2])
    lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    return replace(
        got,
        time_s=d.arrival_time_s.copy(),
        partner=np.full(n, d.receiver[0], dtype=object),
        launch_lat_deg=lat[:n].copy(),
        launch_lon_deg=lon[:n].copy(),
        impact_lat_deg=lat[n:].copy(),
        impact_lon_deg=lon[n:].copy(),
    )
