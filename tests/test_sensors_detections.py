"""Detections batch: concatenation, stable sort and the Arrow table."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from skyweave.sensors.detections import (
    Detections,
    column_names,
    concat_detections,
    detections_schema,
    detections_to_arrow_table,
    empty_detections,
)


def batch(times: list[float], sensor: str, objects: list[str | None]) -> Detections:
    m = len(times)
    cols: dict[str, np.ndarray] = {name: np.arange(m, dtype=float) for name in column_names()}
    cols["time_s"] = np.asarray(times, dtype=float)
    cols["sensor_id"] = np.full(m, sensor, dtype=object)
    cols["sensor_type"] = np.full(m, "radar", dtype=object)
    cols["partner"] = np.full(m, "North", dtype=object)
    cols["object_id"] = np.asarray(objects, dtype=object)
    cols["los_angle1_rad"] = np.full(m, np.nan)
    return Detections(**cols)


def test_arrow_table_sorted_stable_with_null_false_alarms() -> None:
    a = batch([2.0, 1.0, 1.0], "r2", ["x", None, "y"])
    b = batch([1.0, 0.5], "r1", ["z", "w"])
    table = detections_to_arrow_table([a, b])
    assert table.schema.equals(detections_schema())
    assert table.column_names == list(column_names())
    assert table.num_rows == 5
    got = list(zip(table["time_s"].to_pylist(), table["sensor_id"].to_pylist(), strict=True))
    assert got == [(0.5, "r1"), (1.0, "r1"), (1.0, "r2"), (1.0, "r2"), (2.0, "r2")]
    # Ties (1.0, r2) keep their input order: the false alarm came first.
    assert table["object_id"].to_pylist() == ["w", "z", None, "y", "x"]
    assert table["object_id"].null_count == 1
    assert table["los_angle1_rad"].type == pa.float64()
    assert np.isnan(table["los_angle1_rad"].to_numpy()).all()


def test_concat_and_empty() -> None:
    a = batch([1.0], "r1", ["x"])
    assert len(concat_detections([])) == 0
    both = concat_detections([a, empty_detections(), a])
    assert len(both) == 2 and both.object_id.tolist() == ["x", "x"]
    assert detections_to_arrow_table(empty_detections()).num_rows == 0


def test_length_mismatch_rejected() -> None:
    cols = {name: np.zeros(2) for name in column_names()}
    cols["range_m"] = np.zeros(3)
    with pytest.raises(ValueError, match="range_m"):
        Detections(**cols)
