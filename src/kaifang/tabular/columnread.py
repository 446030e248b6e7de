"""Reading single values out of Arrow arrays without Arrow scalars.

`array[i].as_py()` builds a scalar object per value: about 1.8 µs, most of a data API page's Python time
when the page is 100 rows scattered over a row store (1,300 values). A reader made once per array reads
the value buffers directly (memory views over the memory-mapped file, no copy): text is decoded from its
offsets, numbers and dates come from typed views, nulls from the validity bitmap. Types without a direct
reader (decimals, timestamps with zones, nested types) fall back to `as_py`, so every type still reads.
"""

from __future__ import annotations

import datetime
import struct
from collections.abc import Callable
from typing import Any

_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
# Arrow type id -> memoryview format of its fixed-width values.
_NUMBER_FORMATS = {
    "int8": "b",
    "int16": "h",
    "int32": "i",
    "int64": "q",
    "uint8": "B",
    "uint16": "H",
    "uint32": "I",
    "uint64": "Q",
    "float": "f",
    "double": "d",
}


def _view(buffer: Any, fmt: str) -> memoryview:
    raw = memoryview(buffer)
    return raw[: len(raw) - len(raw) % struct.calcsize(fmt)].cast(fmt)


def value_reader(array: Any) -> Callable[[int], Any]:
    """A function of a row index in `array` (a pyarrow Array) giving the same value as
    `array[i].as_py()`."""
    kind = array.type
    buffers = array.buffers()
    base = array.offset
    read = _direct_reader(kind, buffers, base)
    if read is None:
        return lambda i: array[i].as_py()
    if array.null_count == 0:
        return read
    bits = memoryview(buffers[0])

    def nullable(i: int) -> Any:
        j = base + i
        return read(i) if bits[j >> 3] >> (j & 7) & 1 else None

    return nullable


def _direct_reader(kind: Any, buffers: list[Any], base: int) -> Callable[[int], Any] | None:
    import pyarrow as pa

    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        offsets = _view(buffers[1], "i" if pa.types.is_string(kind) else "q")
        data = memoryview(buffers[2]) if buffers[2] is not None else memoryview(b"")

        def text(i: int) -> str:
            j = base + i
            return str(data[offsets[j] : offsets[j + 1]], "utf-8")

        return text
    fmt = _NUMBER_FORMATS.get(str(kind))
    if fmt is not None:
        numbers = _view(buffers[1], fmt)
        return lambda i: numbers[base + i]
    if pa.types.is_date32(kind):
        days = _view(buffers[1], "i")
        from_ordinal = datetime.date.fromordinal
        return lambda i: from_ordinal(_EPOCH_ORDINAL + days[base + i])
    if pa.types.is_boolean(kind):
        flags = memoryview(buffers[1])

        def flag(i: int) -> bool:
            j = base + i
            return bool(flags[j >> 3] >> (j & 7) & 1)

        return flag
    return None
