"""network stage of the kill chain: data links and the releasability boundary.

:class:`LinkBoundary` is the one place data crosses between partners: the
releasability policy (:class:`ReleasePolicy`) first, then the direct link joining
the two command posts (latency, jitter, loss, bandwidth, outages, cuts, silent
command posts). Callers describe what they send as :class:`Messages` and keep
their payload tables; they get back :class:`Deliveries`.
"""

from skyweave.network.links import (
    LinkBoundary,
    in_windows,
    link_down_windows,
    merge_windows,
    silent_windows,
)
from skyweave.network.messages import OUTCOMES, Deliveries, Messages, Transmissions
from skyweave.network.policy import DATA_CLASSES, ReleasePolicy, ReleaseTerms, degrade_positions

__all__ = [
    "DATA_CLASSES",
    "OUTCOMES",
    "Deliveries",
    "LinkBoundary",
    "Messages",
    "ReleasePolicy",
    "ReleaseTerms",
    "Transmissions",
    "degrade_positions",
    "in_windows",
    "link_down_windows",
    "merge_windows",
    "silent_windows",
]
