"""Delegated shoot-look-shoot: a battery the coalition cell commands looks and shoots again itself.

In integrated mode the cell orders another partner's battery over the link. After
a miss the cell hears of it only when the battery's status report crosses the
link, it often holds the threat only through that partner's released
fire-control track (another link crossing), and a second order crosses the link
again and is carried out at the battery's next decision time: against a
ballistic missile in its last minute that is one or two decision cycles too late
(``examples/cueing.yaml``: the battery's own post re-engages at once in
shared-warning mode, the cell never could). So, as a fire unit does under a
higher echelon's assignment, the cell's order delegates the look-shoot: after a
miss the battery's own command post may fire that battery again at the same
threat, on its own picture, for :data:`MANDATE_S` after the missed intercept.
Once it has, the cell leaves that battery off that threat (an order of the cell's
to it on that threat, sent before, is not carried out): one look-shoot, not two.

Only against ballistic tracks: an air-breathing threat leaves the cell the time to
order again. The same threat is a track of that post's picture that passed near the missed
intercept point at the intercept time: moved back with constant acceleration
(gravity towards the Earth's centre for a ballistic track), within
:data:`MATCH_GATE_M` plus three position sigmas plus
:data:`REENTRY_ERROR_FRACTION` of the distance flown since (drag slows a
re-entering missile, so its present speed understates the way it came).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from skyweave.constants import G0_MPS2
from skyweave.engagement import Engagement
from skyweave.tracking.fusion import FusedPicture
from skyweave.warning.impact import ballistic_mask

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: the battery's own post may look and shoot again this long after the missed intercept
MANDATE_S = 60.0
#: base gate between a picture track moved back and the missed intercept point
MATCH_GATE_M = 2_000.0
#: error allowed per metre flown since the missed intercept (re-entry drag)
REENTRY_ERROR_FRACTION = 0.15
#: why an order of the cell's is not carried out when the battery's post shot again
DELEGATED = "look-shoot delegated to the battery's post"


@dataclass
class Mandate:
    """One missed shot of a battery under the cell's command: its post may shoot again."""

    battery_id: str
    partner: str
    point_ecef_m: FloatArray  # the planned (missed) intercept point
    intercept_time_s: float
    known_s: float  # the kill assessment: the battery's own post knows the miss from then
    fired: bool = False  # the battery's post has shot again under it


def passed_near(
    point_m: FloatArray,
    intercept_time_s: float,
    time_s: float,
    states: FloatArray,
    sigma_m: FloatArray,
    ballistic: BoolArray,
) -> BoolArray:
    """(K,) the tracks (ECEF states at ``time_s``) that passed near ``point_m`` at
    ``intercept_time_s`` (see the module docstring)."""
    dt = intercept_time_s - time_s
    r = states[:, :3]
    down = -r / np.linalg.norm(r, axis=1, keepdims=True)
    drop = 0.5 * G0_MPS2 * dt * dt
    back = r + states[:, 3:] * dt + np.where(ballistic[:, None], down * drop, 0.0)
    miss = np.linalg.norm(back - point_m[None, :], axis=1)
    flown = np.linalg.norm(states[:, 3:], axis=1) * abs(dt)
    return np.asarray(miss <= MATCH_GATE_M + 3.0 * sigma_m + REENTRY_ERROR_FRACTION * flown)


class Reengagements:
    """The missed shots of batteries under the cell's command, by battery."""

    def __init__(self) -> None:
        self._open: list[Mandate] = []

    def missed(self, e: Engagement) -> None:
        """A battery under the cell's command missed: its post may shoot again."""
        self._open.append(
            Mandate(
                e.battery_id,
                e.partner,
                np.asarray(e.intercept_ecef_m, dtype=np.float64),
                e.intercept_time_s,
                e.assessment_time_s,
            )
        )

    def fired(self, t: float, battery_id: str, picture: FusedPicture, row: int) -> None:
        """The battery's post shot again at its picture's track ``row``: the mandates of
        that battery it matches are carried out (the cell leaves that threat to it)."""
        ballistic = ballistic_mask(picture.state[row : row + 1])
        for m in self._open:
            if m.battery_id == battery_id and m.known_s <= t:
                m.fired |= bool(
                    passed_near(
                        m.point_ecef_m,
                        m.intercept_time_s,
                        picture.time_s,
                        picture.state[row : row + 1],
                        picture.pos_sigma_m[row : row + 1],
                        ballistic,
                    )[0]
                )

    def withheld(
        self, t: float, battery_ids: list[str], states: FloatArray, sigma_m: FloatArray
    ) -> BoolArray:
        """(B, K) the cell leaves battery ``b`` off track ``k``: the battery's own post
        has shot again at that threat under a mandate (its look-shoot, not the cell's)."""
        out = np.zeros((len(battery_ids), states.shape[0]), dtype=bool)
        if not states.shape[0]:
            return out
        ballistic = ballistic_mask(states)
        for m in self._open:
            if m.fired and t - m.intercept_time_s <= MANDATE_S and m.battery_id in battery_ids:
                i = battery_ids.index(m.battery_id)
                out[i] |= passed_near(
                    m.point_ecef_m, m.intercept_time_s, t, states, sigma_m, ballistic
                )
        return out

    def due(self, t: float, commanded: frozenset[str]) -> dict[str, list[Mandate]]:
        """Per partner, the mandates its post holds at ``t`` for batteries still under
        the cell's command (one reverted to its post is that post's anyway)."""
        self._open = [m for m in self._open if t - m.intercept_time_s <= MANDATE_S]
        out: dict[str, list[Mandate]] = {}
        for m in self._open:
            if m.known_s <= t and m.battery_id in commanded:
                out.setdefault(m.partner, []).append(m)
        return out


def mandated_picture(
    picture: FusedPicture, mandates: list[Mandate], ballistic: BoolArray
) -> FusedPicture:
    """The post's picture cut down to the tracks of the threats its mandates cover
    (ballistic tracks only: an air-breathing threat leaves the cell time to re-order)."""
    keep = np.zeros(len(picture), dtype=bool)
    for m in mandates:
        keep |= passed_near(
            m.point_ecef_m,
            m.intercept_time_s,
            picture.time_s,
            picture.state,
            picture.pos_sigma_m,
            ballistic,
        )
    rows = np.flatnonzero(keep & ballistic)
    return replace(
        picture,
        picture_number=picture.picture_number[rows],
        state=picture.state[rows],
        covariance=picture.covariance[rows],
        pos_sigma_m=picture.pos_sigma_m[rows],
        contributor_id=picture.contributor_id[rows],
        sources_mask=picture.sources_mask[rows],
    )


__all__ = [
    "DELEGATED",
    "MANDATE_S",
    "MATCH_GATE_M",
    "REENTRY_ERROR_FRACTION",
    "Mandate",
    "Reengagements",
    "mandated_picture",
    "passed_near",
]
