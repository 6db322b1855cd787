"""Rows of a saved ``.npy`` matrix read on demand, for collections too large to keep in memory.

A memory map would do the same with less code, but every page it touches (and, through the kernel's
fault-around, its neighbours) then counts as the process's resident memory; reading rows with ``pread``
keeps only the rows asked for. Questions need a few hundred rows, so this costs well under a millisecond.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class RowFile:
    """``rows_file[indices]`` gives those rows as an array, as indexing a loaded matrix would."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = reader(handle)
            self.offset = handle.tell()
        if fortran or len(shape) != 2:
            raise ValueError(f"{path.name} is not a row-major matrix")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self.dtype = np.dtype(dtype)
        self.row_bytes = self.dtype.itemsize * self.shape[1]
        self.fd = os.open(path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.shape[0]

    def __del__(self) -> None:
        fd = getattr(self, "fd", None)
        if fd is not None:
            os.close(fd)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        out = np.empty((rows.size, self.shape[1]), dtype=self.dtype)
        if rows.size == 0:
            return out
        if rows.min() < 0 or rows.max() >= self.shape[0]:
            raise IndexError("row out of range")
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        breaks = np.flatnonzero(np.diff(ordered) != 1) + 1  # read each run of consecutive rows at once
        for start, end in zip(np.concatenate([[0], breaks]), np.concatenate([breaks, [rows.size]]), strict=True):
            count = int(end - start)
            data = os.pread(self.fd, count * self.row_bytes, self.offset + int(ordered[start]) * self.row_bytes)
            out[order[start:end]] = np.frombuffer(data, dtype=self.dtype).reshape(count, self.shape[1])
        return out
