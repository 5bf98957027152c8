"""A chunk's rows in id order: the integer sort of the ids' hex prefixes gives Arrow's byte
order of the ids, and Arrow's sort decides whenever the prefixes cannot."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from worker.loading import _hex_order, in_id_order


def _by_arrow(table: pa.Table) -> pa.Table:
    return table.take(pc.sort_indices(table.column("response_id")))


def _table(ids: list[str]) -> pa.Table:
    return pa.table({"response_id": pa.array(ids, pa.string()), "row": np.arange(len(ids))})


def test_random_ids_sort_by_their_prefixes_as_arrow_sorts_them():
    rng = np.random.default_rng(3)
    ids = [rng.bytes(16).hex() for _ in range(20_000)]
    table = _table(ids)
    assert _hex_order(table.column("response_id").combine_chunks()) is not None
    assert in_id_order(table).equals(_by_arrow(table))
    # in batches (several Arrow chunks) and sliced (an offset into the buffers)
    batches = pa.concat_tables([table.slice(0, 7_000), table.slice(7_000)])
    assert in_id_order(batches).equals(_by_arrow(batches))
    part = table.slice(1_234, 5_000)
    assert in_id_order(part).equals(_by_arrow(part))


@pytest.mark.parametrize(
    "ids",
    [
        ["ABCDEF0123456789ab", "abcdef0123456789ab", "0123456789abcdef"],  # upper case
        ["abc", "abd", "0000000000000000"],  # shorter than the prefix
        ["0123456789abcdef1", "0123456789abcdef0", "ffffffffffffffff"],  # one prefix
        ["g" * 16, "0" * 16, "f" * 16],  # not hex
        ["ü" * 16, "a" * 16],  # not ASCII
    ],
)
def test_ids_the_prefix_cannot_order_are_sorted_by_arrow(ids):
    table = _table(ids)
    assert _hex_order(table.column("response_id").combine_chunks()) is None
    assert in_id_order(table).equals(_by_arrow(table))


def test_empty_and_single_row_chunks():
    assert in_id_order(_table([])).num_rows == 0
    assert in_id_order(_table(["ab"])).equals(_table(["ab"]))
