"""Detections: the column batch every sensor emits (the ``detections.parquet`` table).

One row per reported measurement. Radars fill range/azimuth/elevation and leave
the line-of-sight angles NaN; space-based infrared fills the two line-of-sight
angles and leaves range/azimuth/elevation NaN. A false alarm has
``object_id = None`` (null in Arrow).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
ObjectArray = NDArray[np.object_]

_STRING_COLUMNS = ("sensor_id", "sensor_type", "partner", "object_id")


@dataclass(frozen=True)
class Detections:
    """A batch of detections as equal-length column arrays.

    Attributes
    ----------
    time_s : (M,) float64
        Time the measurement refers to (the scan or frame time), seconds since
        scenario start.
    report_time_s : (M,) float64
        Time the sensor outputs it: ``time_s`` plus the processing delay.
    sensor_id, sensor_type, partner : (M,) object (str)
        Sensor id, ``"radar"`` or ``"infrared"``, owning partner.
    object_id : (M,) object (str or None)
        Id of the true object that caused the detection, None for a false alarm.
    range_m, azimuth_rad, elevation_rad : (M,) float64
        Radar measurement: slant range, azimuth clockwise from North in
        ``[0, 2*pi)``, elevation above the local horizontal (see
        :mod:`skyweave.sensors.geometry`). NaN for infrared.
    los_angle1_rad, los_angle2_rad : (M,) float64
        Infrared line of sight from the satellite as angles of the ECEF unit
        vector ``u``: ``angle1 = atan2(u_y, u_x)`` in ``(-pi, pi]``,
        ``angle2 = asin(u_z)`` (see :func:`skyweave.sensors.infrared.los_unit_vector`).
        NaN for radar.
    sensor_x_m, sensor_y_m, sensor_z_m : (M,) float64
        Sensor position, ECEF WGS84, at ``time_s``.
    sigma_range_m, sigma_azimuth_rad, sigma_elevation_rad : (M,) float64
        Radar one-sigma measurement noise (NaN for infrared).
    sigma_los_rad : (M,) float64
        Infrared one-sigma angular noise across the line of sight, per axis
        (NaN for radar).
    """

    time_s: FloatArray
    report_time_s: FloatArray
    sensor_id: ObjectArray
    sensor_type: ObjectArray
    partner: ObjectArray
    object_id: ObjectArray
    range_m: FloatArray
    azimuth_rad: FloatArray
    elevation_rad: FloatArray
    los_angle1_rad: FloatArray
    los_angle2_rad: FloatArray
    sensor_x_m: FloatArray
    sensor_y_m: FloatArray
    sensor_z_m: FloatArray
    sigma_range_m: FloatArray
    sigma_azimuth_rad: FloatArray
    sigma_elevation_rad: FloatArray
    sigma_los_rad: FloatArray

    def __post_init__(self) -> None:
        n = len(self.time_s)
        # one pass over the shapes (batches are built thousands of times a run); the
        # column by column loop only to name the culprit
        if {col.shape for col in self.__dict__.values()} == {(n,)}:
            return
        for name in column_names():
            col = getattr(self, name)
            if col.ndim != 1 or len(col) != n:
                raise ValueError(f"Detections.{name}: expected shape ({n},), got {col.shape}")

    def __len__(self) -> int:
        return len(self.time_s)

    def take(self, index: NDArray[np.intp] | NDArray[np.bool_]) -> Detections:
        """Rows selected by an integer index or a boolean mask."""
        return Detections(**{name: getattr(self, name)[index] for name in column_names()})


@functools.cache
def column_names() -> tuple[str, ...]:
    """Column names of the detections table, in order."""
    return tuple(f.name for f in fields(Detections))


@functools.cache
def empty_detections() -> Detections:
    """A batch with no rows.

    One shared instance (built on the first call): its columns have no element to
    write, and the engine asks for one per partner and tick.
    """
    cols: dict[str, NDArray[np.generic]] = {}
    for name in column_names():
        dtype = object if name in _STRING_COLUMNS else np.float64
        cols[name] = np.empty(0, dtype=dtype)
    return Detections(**cols)  # type: ignore[arg-type]


def concat_detections(batches: Sequence[Detections]) -> Detections:
    """Concatenate batches, keeping row order (no sorting).

    When at most one batch has rows, that batch (or the first) is returned as it
    is: batches are read only, and most ticks deliver one.
    """
    if not batches:
        return empty_detections()
    with_rows = [b for b in batches if len(b.time_s)]
    if len(with_rows) <= 1:
        return with_rows[0] if with_rows else batches[0]
    # the batches with rows alone: an empty batch adds no row (and its columns have
    # the dtypes of the others: the result's dtypes are the same)
    cols = [b.__dict__ for b in with_rows]
    return Detections(**{name: np.concatenate([c[name] for c in cols]) for name in column_names()})


def sort_detections(det: Detections) -> Detections:
    """Rows sorted by ``time_s`` then ``sensor_id``; ties keep their order (stable)."""
    sensor_key = np.asarray(det.sensor_id, dtype=str)
    # lexsort sorts by the last key first and is stable.
    order = np.lexsort((sensor_key, det.time_s))
    return det.take(order)


def detections_schema() -> pa.Schema:
    """Arrow schema of the detections table."""
    return pa.schema(
        [
            pa.field(name, pa.string(), nullable=(name == "object_id"))
            if name in _STRING_COLUMNS
            else pa.field(name, pa.float64())
            for name in column_names()
        ]
    )


def detections_to_arrow_table(det: Detections | Sequence[Detections]) -> pa.Table:
    """Arrow table of detections, sorted by time then sensor id (stable).

    Parameters
    ----------
    det : Detections or sequence of Detections
        A sequence is concatenated first.

    Returns
    -------
    pyarrow.Table
        Columns as in :class:`Detections`; ``object_id`` is null for false alarms.
    """
    batch = det if isinstance(det, Detections) else concat_detections(det)
    batch = sort_detections(batch)
    schema = detections_schema()
    arrays = [
        pa.array(getattr(batch, f.name).tolist(), type=f.type)
        if f.name in _STRING_COLUMNS
        else pa.array(getattr(batch, f.name), type=f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)
