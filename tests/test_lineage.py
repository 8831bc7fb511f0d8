"""Lineage columns: sorted tuples of partner ids, one per row."""

from __future__ import annotations

from skyweave.lineage import lineage_column, sender_lineage_column

ROWS = [("b", "a"), ["a", "b"], ("c",), ("b", "a"), (), ("a", "a", "c"), ("c",)]


def test_lineage_column_sorts_each_row_once_as_a_tuple() -> None:
    got = lineage_column(ROWS)
    assert got.shape == (len(ROWS),) and got.dtype == object
    assert got.tolist() == [tuple(sorted(set(r))) for r in ROWS]
    assert lineage_column([]).shape == (0,)


def test_sender_lineage_column_adds_the_sender() -> None:
    senders = ["c", "a", "a", "b", "d", "b", "c"]
    got = sender_lineage_column(senders, ROWS)
    want = lineage_column((s, *r) for s, r in zip(senders, ROWS, strict=True))
    assert got.tolist() == want.tolist()
    assert all(isinstance(v, tuple) for v in got)
