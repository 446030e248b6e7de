"""Value readers give exactly what `as_py` gives, for every type, null and slice offset."""

from __future__ import annotations

import datetime
import decimal

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kaifang.tabular.columnread import value_reader

TYPES = [
    (pa.string(), st.text(max_size=12)),
    (pa.large_string(), st.text(max_size=12)),
    (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    (pa.int32(), st.integers(-(2**31), 2**31 - 1)),
    (pa.int8(), st.integers(-128, 127)),
    (pa.uint16(), st.integers(0, 2**16 - 1)),
    (pa.float64(), st.floats(allow_nan=False)),
    (pa.float32(), st.floats(width=32, allow_nan=False)),
    (pa.bool_(), st.booleans()),
    (pa.date32(), st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31))),
    (pa.decimal128(18, 2), st.decimals(-(10**15), 10**15, places=2, allow_nan=False, allow_infinity=False)),
    (pa.timestamp("us"), st.datetimes()),
]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), kind=st.sampled_from(range(len(TYPES))), start=st.integers(0, 5))
def test_reader_matches_as_py(data, kind, start):
    arrow_type, values = TYPES[kind]
    items = data.draw(st.lists(st.one_of(st.none(), values), max_size=40))
    array = pa.array(items, type=arrow_type).slice(min(start, len(items)))
    read = value_reader(array)
    assert [read(i) for i in range(len(array))] == array.to_pylist()


def test_a_column_of_a_memory_mapped_batch(tmp_path):
    import pyarrow.ipc as ipc

    table = pa.table(
        {
            "名称": ["咸安区", None, "通山县"],
            "值": [1.5, None, -2.0],
            "日": [None, datetime.date(2024, 2, 29), None],
        }
    )
    path = tmp_path / "t.arrow"
    with ipc.new_file(str(path), table.schema) as writer:
        writer.write_table(table)
    batch = ipc.open_file(pa.memory_map(str(path))).get_batch(0)
    assert [value_reader(batch.column(0))(i) for i in range(3)] == ["咸安区", None, "通山县"]
    assert [value_reader(batch.column(1))(i) for i in range(3)] == [1.5, None, -2.0]
    assert [value_reader(batch.column(2))(i) for i in range(3)] == [None, datetime.date(2024, 2, 29), None]
    assert value_reader(pa.array([decimal.Decimal("1.25")]))(0) == decimal.Decimal("1.25")
