"""Rows for PostgreSQL's binary COPY built by numpy, not a Python loop: a million passages' postings (some fifty
million rows) are written in seconds. Fixed-size columns only (integers, reals, pgvector's vector and halfvec)."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
_TYPES = {"int4": ">i4", "int8": ">i8", "float4": ">f4"}
CHUNK_ROWS = 200_000  # rows encoded at a time: bounded memory whatever the batch


def copy_rows(cur: Any, statement: str, columns: list[tuple[str, np.ndarray]]) -> None:
    """``COPY ... FROM STDIN (FORMAT BINARY)`` of equal-length columns, each (type, values): ``int4``, ``int8``,
    ``float4``, ``vector`` or ``halfvec`` (values a 2-D array, one vector a row)."""
    n = len(columns[0][1]) if columns else 0
    with cur.copy(statement) as copy:
        copy.write(HEADER)
        for lo in range(0, n, CHUNK_ROWS):
            copy.write(_encode([(kind, values[lo : lo + CHUNK_ROWS]) for kind, values in columns]))
        copy.write(TRAILER)


def _encode(columns: list[tuple[str, np.ndarray]]) -> bytes:
    n = len(columns[0][1])
    fields: list[tuple[str, Any]] = [("count", ">i2")]
    for i, (kind, values) in enumerate(columns):
        fields.append((f"len{i}", ">i4"))
        if kind in _TYPES:
            fields.append((f"v{i}", _TYPES[kind]))
        else:  # pgvector's binary form: dimension (int16), unused (int16), then the elements
            dim = values.shape[1]
            fields += [(f"dim{i}", ">i2"), (f"pad{i}", ">i2"), (f"v{i}", ">f4" if kind == "vector" else ">f2", (dim,))]
    rows = np.zeros(n, dtype=np.dtype(fields))
    rows["count"] = len(columns)
    for i, (kind, values) in enumerate(columns):
        if kind in _TYPES:
            rows[f"len{i}"] = np.dtype(_TYPES[kind]).itemsize
        else:
            dim = values.shape[1]
            rows[f"len{i}"] = 4 + dim * (4 if kind == "vector" else 2)
            rows[f"dim{i}"] = dim
        rows[f"v{i}"] = values
    return rows.tobytes()
