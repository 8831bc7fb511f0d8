"""Data links and the link boundary: the one place one partner's data reaches another.

The caller keeps its payload tables (alerts, tracks, detections, ...) and describes
what it wants to send as :class:`Messages`: one row per payload row, with the send
time, the origin partner, the data class, the payload row index and, where the
data class carries one, an ECEF position. :meth:`LinkBoundary.deliver` returns
:class:`Deliveries`: which rows reach which partner, when, and with what degraded
position. Nothing else in Skyweave may hand data to another partner.

The model, step by step, for each message and each partner that could receive it
-------------------------------------------------------------------------------
1. **Policy.** Only a data class the origin releases to the receiver crosses
   (:class:`~skyweave.network.policy.ReleasePolicy`); in ``independent`` mode
   nothing does. A receiver the policy does not name never appears in the output.
   **Originator control**: a message derived from several partners' data
   (``Messages.originators``, the sender always among them) crosses only if
   *every* originator releases that data class to the receiver; it then takes
   the largest of their delays and the strongest of their degradations (largest
   noise, coarsest rounding). A message withheld by another originator's policy
   is recorded with outcome ``withheld`` and never transmitted. The receiver's own
   data in a product needs no release back to it.
2. **Route.** Direct links only: the message needs a scenario link whose two ends
   are the origin and the receiver (the first such link in the file if several).
   There is no relaying through a third partner.
3. **Release hold.** The origin offers the message to the link at
   ``offer = send_time_s + rule.delay_s``.
4. **Link and command-post state at the offer.** A link is down inside its
   scheduled ``outages`` and between a ``link_cut`` inject and the next
   ``link_restore`` of that link; a partner's command post is silent between
   ``command_post_silent`` and the next ``command_post_restore`` naming it. All
   windows are half-open, ``[start, end)`` (as for sensor outages); a cut never
   restored lasts to the end of time. A message offered while the link is down is
   **lost** (outcome ``link_down``), not queued for later; one offered while its
   origin is silent is never sent (``sender_silent``).
5. **Bandwidth.** Each link direction is a FIFO queue served at
   ``bandwidth_msgs_per_s``: a message starts transmission at
   ``start = max(offer, previous start + 1 / bandwidth)``, in offer order (ties in
   send time, then message id). The queue empties whenever the direction goes down
   (link down or origin silent): a message still waiting when that happens is lost
   (``flushed``) and uses no slot. Computed in closed form per up-period,
   ``start_k = k d + max_{j<=k}(offer_j - j d)``, without a Python loop.
6. **Loss.** A transmitted message is lost with ``loss_probability`` (Bernoulli,
   outcome ``lost``); it did use its slot.
7. **Latency and jitter.** ``arrival = start + latency_s + U * jitter_s`` with
   ``U ~ Uniform[0, 1)``: latency is the minimum transit time, jitter a bounded,
   non-negative spread. Jitter can reorder messages; receivers get them in arrival
   order (the tracker handles out-of-sequence updates).
8. **Receiver.** A message arriving while the receiver's command post is silent is
   not received (``receiver_silent``).
9. **Degradation.** Delivered positions get the rule's Gaussian error then its
   rounding (:func:`~skyweave.network.policy.degrade_positions`). The error is
   **persistent per released object** (``Messages.object_key``: a track, a
   threat's alerts, one sensor's lines of sight of one object): one draw per
   ``(origin, receiver, data class, object)``, the same offset on every message
   about that object, so averaging many deliveries cannot remove it. Messages
   without an object key get a fresh draw each.

Randomness
----------
Every ``(link, data_class)`` pair draws from its own generator,
``component_rng(seed, f"link/{link.id}/{data_class}")``, so adding a link or
changing another link's parameters never changes this link's draws. For the ``n``
messages of that pair offered to the link in a call (both directions, ordered by
send time then message id) it draws, always and in this order, ``n`` jitter
uniforms, ``n`` loss uniforms and ``n x 3`` standard normals for position noise,
whether or not the parameter using them is zero and whatever the outcome. So the
outcomes and times do not depend on the positions, and changing one parameter does
not shift the draws behind the others. A persistent per-object offset comes from
``tick_rng(seed, f"release/{origin}/{receiver}/{data_class}", object_key)``
(3 standard normals), independent of when the object is first sent.

:meth:`LinkBoundary.deliver` is a pure function of the scenario, the seed and the
messages: queues and generators start afresh on every call. Give it all the
messages of a run (or of one contiguous window of it) in one call so that data
classes share bandwidth; calling it twice with the same timing but different
positions gives the same rows with the same noise applied to each position set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skyweave.network.messages import (
    TRANSMISSION_FIELDS,
    Deliveries,
    Messages,
    Transmissions,
)
from skyweave.network.policy import (
    DATA_CLASSES,
    ReleasePolicy,
    ReleaseTerms,
    degrade_positions,
)
from skyweave.rng import TickRngs, component_rng, tick_rng
from skyweave.scenario.schema import CoordinationMode, Link, Scenario
from skyweave.scenario.timeline import inject_windows

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
ObjectArray = NDArray[np.object_]

Windows = tuple[tuple[float, float], ...]


def merge_windows(windows: Iterable[tuple[float, float]]) -> Windows:
    """Sorted, disjoint half-open windows covering the union of ``windows`` (empty ones dropped)."""
    merged: list[list[float]] = []
    for start, end in sorted((float(s), float(e)) for s, e in windows if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def in_windows(windows: Windows, time_s: ArrayLike) -> BoolArray:
    """True where ``time_s`` lies in one of the merged half-open ``windows``."""
    t = np.asarray(time_s, dtype=np.float64)
    if not windows:
        return np.zeros(t.shape, dtype=bool)
    starts = np.array([w[0] for w in windows])
    ends = np.array([w[1] for w in windows])
    k = np.searchsorted(starts, t, side="right") - 1
    ok = k >= 0
    return ok & (t < ends[np.maximum(k, 0)])


def link_down_windows(scenario: Scenario, link: Link) -> Windows:
    """When ``link`` carries nothing: its scheduled outages and cut-to-restore injects."""
    scheduled = [(w.start_s, w.end_s) for w in link.outages]
    return merge_windows(scheduled + inject_windows(scenario, link.id, "link_cut", "link_restore"))


def silent_windows(scenario: Scenario, partner: str) -> Windows:
    """When ``partner``'s command post is silent (``command_post_silent`` to ``_restore``)."""
    return merge_windows(
        inject_windows(scenario, partner, "command_post_silent", "command_post_restore")
    )


def _toggle(windows: Windows, on: bool, time_s: float) -> Windows:
    """Open a window ``[time_s, inf)`` (``on``) or close the one open at ``time_s``."""
    t = float(time_s)
    if on:
        if in_windows(windows, np.array([t]))[0]:
            return windows
        return merge_windows([*windows, (t, np.inf)])
    return merge_windows([(a, min(b, t)) if a <= t < b else (a, b) for a, b in windows])


def _fifo_starts(offer_s: FloatArray, period_s: float) -> FloatArray:
    """Transmission starts of a FIFO queue served every ``period_s``, offers sorted.

    ``start_k = max(offer_k, start_{k-1} + period)``, in closed form
    ``k p + max_{j<=k}(offer_j - j p)``; never earlier than the offer itself.
    """
    k = np.arange(len(offer_s), dtype=np.float64) * period_s
    queued = k + np.maximum.accumulate(offer_s - k)
    return np.where(queued > offer_s, queued, offer_s)


class LinkBoundary:
    """The one place data crosses between partners: policy, then link.

    Parameters
    ----------
    scenario : Scenario
        Partners, links, policy, coordination mode and injects.
    seed : int
        Run seed; each ``(link, data_class)`` draws from
        ``component_rng(seed, f"link/{link.id}/{data_class}")``.
    mode : str, optional
        Overrides the scenario's coordination mode (``independent`` releases nothing).
    """

    def __init__(
        self, scenario: Scenario, seed: int, *, mode: CoordinationMode | None = None
    ) -> None:
        self.scenario = scenario
        self.seed = int(seed)
        self.policy = ReleasePolicy(scenario, mode=mode)
        self.partners: tuple[str, ...] = tuple(p.id for p in scenario.partners)
        self._partner_code = {p: i for i, p in enumerate(self.partners)}
        self.links: dict[str, Link] = {link.id: link for link in scenario.links}
        self._link_by_pair: dict[frozenset[str], Link] = {}
        for link in scenario.links:
            # First link in the file joins a pair; direct links only, no relaying.
            self._link_by_pair.setdefault(frozenset(link.between), link)
        self._link_down = {lid: link_down_windows(scenario, ln) for lid, ln in self.links.items()}
        self._silent = {p: silent_windows(scenario, p) for p in self.partners}
        # persistent degradation: one unit-normal offset per released object
        self._offsets: dict[tuple[str, int], FloatArray] = {}
        self._tick_rngs = TickRngs()  # the (link, data class) generators, reset per tick
        self._combined: dict[
            tuple[tuple[str, ...], str, str, ReleaseTerms], ReleaseTerms | None
        ] = {}

    # -- state changes during a run ------------------------------------------------

    def set_link_down(self, link_id: str, down: bool, time_s: float) -> None:
        """Cut (``down=True``) or restore a link from ``time_s`` on (a live inject)."""
        self._link_down[link_id] = _toggle(self._link_down[link_id], down, time_s)

    def set_silent(self, partner: str, silent: bool, time_s: float) -> None:
        """Silence or restore a partner's command post from ``time_s`` on (a live inject)."""
        self._silent[partner] = _toggle(self._silent[partner], silent, time_s)

    # -- state queries -------------------------------------------------------------

    def link_between(self, a: str, b: str) -> Link | None:
        """The direct link joining partners ``a`` and ``b``, or None."""
        return self._link_by_pair.get(frozenset((a, b)))

    def link_down(self, link_id: str) -> Windows:
        """Merged half-open windows when the link carries nothing."""
        return self._link_down[link_id]

    def silent(self, partner: str) -> Windows:
        """Merged half-open windows when the partner's command post is silent."""
        return self._silent[partner]

    def link_up(self, link_id: str, time_s: ArrayLike) -> BoolArray:
        """True where the link carries traffic at ``time_s``."""
        return ~in_windows(self._link_down[link_id], time_s)

    def state_changes(self) -> list[tuple[float, str, str]]:
        """``(time_s, kind, id)`` for every link going down or up and every command post
        going silent or back, sorted by time (kinds ``link_down``, ``link_up``,
        ``command_post_silent``, ``command_post_restore``). For the events table."""
        out: list[tuple[float, str, str]] = []
        for lid, windows in self._link_down.items():
            for start, end in windows:
                out.append((start, "link_down", lid))
                if np.isfinite(end):
                    out.append((end, "link_up", lid))
        for partner, windows in self._silent.items():
            for start, end in windows:
                out.append((start, "command_post_silent", partner))
                if np.isfinite(end):
                    out.append((end, "command_post_restore", partner))
        return sorted(out, key=lambda e: (e[0], e[1], e[2]))

    # -- the boundary --------------------------------------------------------------

    def deliver(self, messages: Messages) -> Deliveries:
        """What reaches whom, when, with what positions (see the module docstring).

        Returns
        -------
        Deliveries
            Sorted by (receiver in scenario partner order, arrival time, message id).
        """
        return self.transmit(messages).delivered()

    def transmit(
        self,
        messages: Messages,
        *,
        draw_key: int | None = None,
        queues: dict[tuple[str, str], float] | None = None,
    ) -> Transmissions:
        """Every attempt the policy grants, with its outcome (delivered ones included).

        Rows are sorted by (receiver, arrival time, message id), never-transmitted
        attempts (NaN arrival) last within their receiver.

        A run that offers its messages tick by tick passes ``draw_key`` (the
        tick: each ``(link, data class)`` then draws from
        ``tick_rng(seed, f"link/{link}/{data_class}", draw_key)``) and
        ``queues``, the time each ``(link, origin)`` direction's queue is next
        free, which this call reads and updates.
        """
        unknown = set(messages.origin.tolist()) - set(self.partners) if len(messages) else set()
        if unknown:
            raise ValueError(f"Messages.origin: unknown partner(s) {sorted(unknown)}")
        grants = self.policy.grants()
        if not grants or not len(messages):
            return _empty_transmissions()

        # Index the messages once by (origin, data class): masks are cheap, but a
        # grouping avoids scanning M rows per grant.
        class_code = _CLASS_CODE
        # (over lists: iterating an object array makes a NumPy scalar per element)
        codes = self._partner_code
        o_code = np.array([codes[o] for o in messages.origin.tolist()], dtype=np.int64)
        c_code = np.array([class_code[c] for c in messages.data_class.tolist()], dtype=np.int64)
        group = o_code * len(DATA_CLASSES) + c_code
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(
            group[order], np.arange(len(self.partners) * len(DATA_CLASSES) + 1)
        )

        def rows_of(origin: str, data_class: str) -> IntArray:
            g = self._partner_code[origin] * len(DATA_CLASSES) + class_code[data_class]
            return order[bounds[g] : bounds[g + 1]].astype(np.int64)

        parts: list[dict[str, Any]] = []
        # Per (link, data class): attempts over both directions share one generator.
        by_link_class: dict[tuple[str, str], list[tuple[str, str, ReleaseTerms, IntArray]]] = {}
        for (origin, receiver, data_class), terms in grants.items():
            ids = rows_of(origin, data_class)
            if not len(ids):
                continue
            link = self.link_between(origin, receiver)
            withheld, groups = self._originator_control(messages, ids, receiver, data_class, terms)
            if len(withheld):
                parts.append(
                    _attempts(
                        messages, withheld, receiver, link.id if link else "", 0.0, "withheld"
                    )
                )
            for group_terms, group_ids in groups:
                if link is None:
                    parts.append(
                        _attempts(messages, group_ids, receiver, "", group_terms.delay_s, "no_link")
                    )
                    continue
                by_link_class.setdefault((link.id, data_class), []).append(
                    (origin, receiver, group_terms, group_ids)
                )

        # Attempts on links: draw, degrade, then queue per direction.
        link_parts: dict[tuple[str, str], list[dict[str, Any]]] = {}
        xyz_all = messages.xyz_m()
        for (link_id, data_class), grant_list in by_link_class.items():
            link = self.links[link_id]
            chunks = []
            for _origin, receiver, terms, ids in grant_list:
                chunk = _attempts(messages, ids, receiver, link_id, terms.delay_s, "delivered")
                chunk["_terms"] = terms
                chunk["_xyz"] = xyz_all[ids]
                chunk["_key"] = messages.object_key[ids]
                chunks.append(chunk)
            # Draw order: by send time, then message id, over both directions.
            send = np.concatenate([c["send_time_s"] for c in chunks])
            mid = np.concatenate([c["message_id"] for c in chunks])
            draw_order = np.lexsort((mid, send))
            n = len(send)
            name = f"link/{link_id}/{data_class}"
            rng = (
                component_rng(self.seed, name)
                if draw_key is None
                else self._tick_rngs.get(self.seed, name, draw_key)
            )
            jitter_u = np.empty(n)
            loss_u = np.empty(n)
            noise = np.empty((n, 3))
            jitter_u[draw_order] = rng.random(n)
            loss_u[draw_order] = rng.random(n)
            noise[draw_order] = rng.standard_normal((n, 3))
            at = 0
            for chunk in chunks:
                m = len(chunk["message_id"])
                sl = slice(at, at + m)
                at += m
                terms = chunk.pop("_terms")
                unit = noise[sl]
                keys = chunk.pop("_key")
                if terms.position_noise_m > 0.0 and np.any(keys >= 0):
                    unit = self._persistent_units(
                        chunk["origin"][0], chunk["receiver"][0], data_class, keys, unit
                    )
                xyz = degrade_positions(chunk.pop("_xyz"), terms, unit)
                chunk["x_m"], chunk["y_m"], chunk["z_m"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
                chunk["added_position_var_m2"] = np.full(m, terms.added_variance_m2())
                chunk["_jitter"] = jitter_u[sl] * link.jitter_s
                chunk["_lost"] = loss_u[sl] < link.loss_probability
                direction = (link_id, chunk["origin"][0])
                link_parts.setdefault(direction, []).append(chunk)

        for (link_id, origin), chunks in link_parts.items():
            parts.append(self._run_direction(self.links[link_id], origin, chunks, queues))

        if not parts:
            return _empty_transmissions()
        columns = (
            {n: parts[0][n] for n in TRANSMISSION_FIELDS}
            if len(parts) == 1
            else {n: np.concatenate([p[n] for p in parts]) for n in TRANSMISSION_FIELDS}
        )
        out = Transmissions(**columns)
        r_code = np.array([self._partner_code[r] for r in out.receiver.tolist()], dtype=np.int64)
        arrival = np.where(np.isnan(out.arrival_time_s), np.inf, out.arrival_time_s)
        return out.take(np.lexsort((out.message_id, arrival, r_code)))

    def _originator_control(
        self,
        messages: Messages,
        ids: IntArray,
        receiver: str,
        data_class: str,
        terms: ReleaseTerms,
    ) -> tuple[IntArray, list[tuple[ReleaseTerms, IntArray]]]:
        """Rows withheld by another originator's policy, and the released rows grouped by
        their combined terms (largest delay, strongest degradation of all originators)."""
        lineage = messages.originators[ids].tolist()
        combined = {}
        for names in set(lineage):
            # the policy does not change during a run: each combination once
            key = (names, receiver, data_class, terms)
            if key not in self._combined:
                self._combined[key] = self._combined_terms(names, receiver, data_class, terms)
            combined[names] = self._combined[key]
        if len(combined) == 1:  # the common case: one lineage for the whole batch
            ((got),) = combined.values()
            if got is None:
                return ids, []
            return np.zeros(0, dtype=np.int64), [(got, ids)]
        withheld: list[int] = []
        groups: dict[ReleaseTerms, list[int]] = {}
        for row, names in zip(ids.tolist(), lineage, strict=True):
            got = combined[names]
            if got is None:
                withheld.append(row)
            else:
                groups.setdefault(got, []).append(row)
        return (
            np.asarray(withheld, dtype=np.int64),
            [(t, np.asarray(r, dtype=np.int64)) for t, r in sorted(groups.items(), key=_first_row)],
        )

    def _combined_terms(
        self, originators: tuple[str, ...], receiver: str, data_class: str, terms: ReleaseTerms
    ) -> ReleaseTerms | None:
        """The sender's terms combined with every other originator's, or None if one withholds."""
        out = terms
        for other in originators:
            if other == receiver:
                continue  # the receiver's own data needs no release back to it
            theirs = self.policy.terms(other, receiver, data_class)
            if theirs is None:
                return None
            out = ReleaseTerms(
                max(out.delay_s, theirs.delay_s),
                max(out.position_rounding_m, theirs.position_rounding_m),
                max(out.position_noise_m, theirs.position_noise_m),
                out.rule_index,
            )
        return out

    def _persistent_units(
        self, origin: str, receiver: str, data_class: str, keys: IntArray, fresh: FloatArray
    ) -> FloatArray:
        """Unit normals per row: the object's persistent draw where it has a key."""
        unit = fresh.copy()
        name = f"release/{origin}/{receiver}/{data_class}"
        for i in np.flatnonzero(keys >= 0).tolist():
            k = (name, int(keys[i]))
            got = self._offsets.get(k)
            if got is None:
                got = tick_rng(self.seed, name, int(keys[i])).standard_normal(3)
                self._offsets[k] = got
            unit[i] = got
        return unit

    def _run_direction(
        self,
        link: Link,
        origin: str,
        chunks: Sequence[dict[str, Any]],
        queues: dict[tuple[str, str], float] | None = None,
    ) -> dict[str, Any]:
        """Queue one link direction: state at offer, FIFO per up-period, loss, arrival."""
        # one chunk (one receiver, one rule): its own columns, fresh from _attempts
        cols = (
            dict(chunks[0])
            if len(chunks) == 1
            else {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
        )
        receiver = cols["receiver"][0]
        offer = cols["offer_time_s"]
        outcome = cols["outcome"]
        start = cols["start_time_s"]
        period_s = 1.0 / link.bandwidth_msgs_per_s
        key = (link.id, origin)
        for rows, period_end in self._up_periods(link.id, origin, cols):
            free_s = -np.inf if queues is None else queues.get(key, -np.inf)
            if free_s > offer[rows[0]]:
                # the queue is still busy with what earlier calls offered
                starts = _fifo_starts(np.concatenate([[free_s - period_s], offer[rows]]), period_s)[
                    1:
                ]
            else:
                starts = _fifo_starts(offer[rows], period_s)
            if queues is not None:
                queues[key] = float(starts[-1]) + period_s
            # Next gap after this up-period: messages still queued then are flushed.
            flushed = starts >= period_end
            start[rows] = np.where(flushed, np.nan, starts)
            outcome[rows[flushed]] = "flushed"
        sent = outcome == "delivered"
        lost = sent & cols.pop("_lost")
        outcome[lost] = "lost"
        jitter = cols.pop("_jitter")
        arrival = cols["arrival_time_s"]
        transmitted = sent & ~lost
        arrival[transmitted] = start[transmitted] + link.latency_s + jitter[transmitted]
        unheard = transmitted & in_windows(self._silent[receiver], arrival)
        outcome[unheard] = "receiver_silent"
        arrival[~transmitted] = np.nan
        return cols

    def _up_periods(
        self, link_id: str, origin: str, cols: dict[str, Any]
    ) -> list[tuple[IntArray, float]]:
        """The attempts offered in each up-period of one direction, in queue order, with
        the start of the gap that ends the period; marks the others ``sender_silent`` or
        ``link_down``."""
        offer, outcome = cols["offer_time_s"], cols["outcome"]
        down_w, silent_w = self._link_down[link_id], self._silent[origin]
        if not down_w and not silent_w:
            # never down, sender never silent: one up-period, every attempt offered
            q = np.lexsort((cols["message_id"], cols["send_time_s"], offer))
            return [(q, np.inf)] if len(q) else []
        sender_silent = in_windows(silent_w, offer)
        down = in_windows(down_w, offer)
        outcome[sender_silent] = "sender_silent"
        outcome[down & ~sender_silent] = "link_down"
        # The direction is unavailable when the link is down or its sender silent;
        # each up-period between such windows has its own queue.
        gaps = merge_windows(down_w + silent_w)
        offered = np.flatnonzero(~(sender_silent | down))
        q = offered[
            np.lexsort((cols["message_id"][offered], cols["send_time_s"][offered], offer[offered]))
        ]
        gap_starts = np.array([g[0] for g in gaps] + [np.inf])
        period = np.searchsorted(gap_starts, offer[q], side="right")
        cut = np.flatnonzero(np.diff(period)) + 1
        return [
            (q[seg], float(gap_starts[period[seg[0]]]))
            for seg in np.split(np.arange(len(q)), cut)
            if len(seg)
        ]


_CLASS_CODE = {c: i for i, c in enumerate(DATA_CLASSES)}


def _first_row(group: tuple[ReleaseTerms, list[int]]) -> int:
    return group[1][0]


def _attempts(
    messages: Messages, ids: IntArray, receiver: str, link_id: str, delay_s: float, outcome: str
) -> dict[str, Any]:
    m = len(ids)
    # the five columns not known yet, NaN, as rows of one block (one allocation)
    start, arrival, x, y, z = np.full((5, m), np.nan)
    return {
        "message_id": ids,
        "receiver": np.full(m, receiver, dtype=object),
        "origin": messages.origin[ids],
        "data_class": messages.data_class[ids],
        "link_id": np.full(m, link_id, dtype=object),
        "send_time_s": messages.send_time_s[ids],
        "offer_time_s": messages.send_time_s[ids] + delay_s,
        "start_time_s": start,
        "arrival_time_s": arrival,
        "payload_row": messages.payload_row[ids],
        "x_m": x,
        "y_m": y,
        "z_m": z,
        "added_position_var_m2": np.zeros(m),
        "originators": messages.originators[ids],
        "outcome": np.full(m, outcome, dtype=object),
    }


def _empty_transmissions() -> Transmissions:
    cols: dict[str, Any] = {}
    for f in fields(Transmissions):
        if f.name in ("message_id", "payload_row"):
            cols[f.name] = np.empty(0, dtype=np.int64)
        elif f.name in ("receiver", "origin", "data_class", "link_id", "outcome", "originators"):
            cols[f.name] = np.empty(0, dtype=object)
        else:
            cols[f.name] = np.empty(0, dtype=np.float64)
    return Transmissions(**cols)
