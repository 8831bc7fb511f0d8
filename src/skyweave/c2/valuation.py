"""Step 1 of a decision cycle: which tracks a post's batteries could reach, and their worth.

A track is worth the value of the defended assets its predicted impact (or, for
an air-breathing track, its straight ground track) threatens, weighted by its
urgency and by the probability it survives the engagements already in flight
(the post's own, a twin track's, and those other partners reported). Tracks no
ready battery could reach are not evaluated at all: the reach box is cheap and
spares the impact prediction of the many tracks far from every battery.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from skyweave.c2.coalition_status import RemoteEngagements
from skyweave.c2.decision_log import Reason, Verdicts
from skyweave.c2.prediction import airbreathing_threat, predict_positions
from skyweave.c2.reach import note_reach, note_unvalued, reach_matrix, twins
from skyweave.c2.threat_evaluation import coverage_and_urgency, urgency_weight
from skyweave.scenario.schema import Battery
from skyweave.tracking.fusion import FusedPicture
from skyweave.warning.impact import DefendedAssets, ballistic_mask, predict_impacts

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: engagements in flight per track id: (kill probability, assessment time) each
OpenEngagements = Mapping[str, list[tuple[float, float]]]


@dataclass(frozen=True)
class ValuedThreats:
    """One post's candidate tracks in a cycle and those it values.

    ``idx``: picture rows of the candidates; ``sel``: the valued ones among them;
    ``ids``: the candidates' track ids; ``nearest_m``: (every battery of the post,
    candidate) closest approach; the other fields are per valued track.
    """

    idx: IntArray
    sel: IntArray
    ids: list[str]
    nearest_m: FloatArray
    traj: FloatArray  # predicted trajectory (K, T, 6) at the cycle's offsets
    sigma_m: FloatArray
    states: FloatArray
    value: FloatArray  # urgency-weighted value at stake: the WTA's priority
    coverage: FloatArray
    at_stake: FloatArray  # expected value a sure kill saves
    valid: BoolArray  # on a ballistic arc (an impact prediction)
    look_s: FloatArray  # when an awaited kill assessment comes (-inf: none)


@dataclass(frozen=True)
class ThreatValuation:
    """A run's constants of step 1: prediction offsets, battery positions, assets."""

    offsets_s: FloatArray
    battery_ecef: Mapping[str, FloatArray]
    assets: DefendedAssets
    values: FloatArray

    def __call__(
        self,
        post: str,
        batteries: Sequence[Battery],
        excluded: Mapping[str, Reason],
        allowed: BoolArray,
        picture: FusedPicture,
        t: float,
        track_ids: Sequence[str],
        idx: IntArray,
        in_flight: tuple[OpenEngagements, Mapping[str, float], RemoteEngagements],
        verdicts: Verdicts,
    ) -> ValuedThreats | str:
        """The candidate tracks (picture rows ``idx``) the post's ready batteries could
        reach, valued for assets ``allowed``; or why none is (the reason consents are
        dropped). ``in_flight``: the post's open engagements, its known kills by track
        id, and what other partners reported."""
        states, covs = picture.state[idx], picture.covariance[idx]
        sigma_m = picture.pos_sigma_m[idx]
        ids = [track_ids[k] for k in idx.tolist()]
        ballistic = ballistic_mask(states)
        traj = predict_positions(states, ballistic, self.offsets_s)
        reach, nearest_m = reach_matrix(traj[..., :3], batteries, self.battery_ecef)
        note_reach(batteries, excluded, reach, nearest_m, ids, verdicts)
        ready_rows = np.array([b.id not in excluded for b in batteries])
        near = reach[ready_rows].any(axis=0)
        if not near.any():
            return "window closed awaiting consent"
        sel = np.flatnonzero(near)

        near_states, near_ballistic = states[sel], ballistic[sel]
        pred = predict_impacts(t, near_states, covs[sel])
        # (fresh arrays: the air-breathing rows are written over below)
        _, coverage, _, urgency = coverage_and_urgency(pred, self.assets, t)
        air = np.flatnonzero(~pred.valid)
        if air.size:
            c_air, t_cpa = airbreathing_threat(near_states[air], self.assets, t)
            coverage[air] = c_air
            first = np.where(c_air > 0, t_cpa, np.inf).min(axis=1, initial=np.inf)
            urgency[air] = np.where(np.isfinite(first), urgency_weight(first - t), 0.0)
        # Engagements whose outcome is not known yet: the target is worth only its
        # survival probability. A track close to one already engaged or known killed
        # is taken for the same object (duplicate tracks of one threat): it inherits
        # that knowledge.
        open_, known, remote = in_flight
        inherited = twins(picture, track_ids, idx[sel], open_, known, t)
        dead = np.array([d for d, _ in inherited], dtype=bool)
        opened = [o for _, o in inherited]
        survive = np.array([math.prod(1.0 - p for p, _ in o) for o in opened], dtype=np.float64)
        # other partners' engagements and kills, as their status reports told this post
        remote_dead, remote_survive, remote_look = remote.marks(
            t,
            near_states,
            sigma_m[sel],
            near_ballistic,
            exclude_batteries={b.id for b in batteries},
            predict=lambda dt_s: predict_positions(
                near_states, near_ballistic, np.array([0.0, dt_s])
            )[:, 1, :3],
            own_track_prefix=f"{post}:",
        )
        dead |= remote_dead
        survive *= remote_survive
        survive[dead] = 0.0
        # expected value saved by a sure kill, and the WTA's priority (urgency-weighted)
        at_stake = survive * (coverage[:, allowed] @ self.values[allowed])
        value = urgency * at_stake
        keep = value > 0.0
        note_unvalued(
            [ids[s] for s in sel.tolist()],
            keep,
            dead,
            urgency * (coverage @ self.values),
            survive < 1.0,
            verdicts,
        )
        if not keep.any():
            return "threat no longer evaluated"
        sel = sel[keep]
        verdicts.valued.update(ids[s] for s in sel.tolist())
        opened = [o for o, k in zip(opened, keep, strict=True) if k]
        look = np.array([max((a for _, a in o), default=-math.inf) for o in opened])
        return ValuedThreats(
            idx=idx,
            sel=sel,
            ids=ids,
            traj=traj[sel],
            nearest_m=nearest_m,
            sigma_m=sigma_m[sel],
            states=states[sel],
            value=value[keep],
            coverage=coverage[keep],
            at_stake=at_stake[keep],
            valid=pred.valid[keep],
            look_s=np.maximum(look, remote_look[keep]),
        )
