"""The passage table: one row per passage (row number = passage id), as flat numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.types import Span

_COLUMNS = ("content", "start", "end", "line", "page", "heading", "sentence_ptr", "sentence_start", "sentence_end")


@dataclass(frozen=True)
class PassageTable:
    """Columns of equal length (``sentence_ptr`` has one more; sentences are stored CSR-style)."""

    content: np.ndarray  # index into the index's contents (one per distinct document text)
    start: np.ndarray
    end: np.ndarray
    line: np.ndarray  # 1-based line of ``start``
    page: np.ndarray  # 1-based page, 0 when the format has no pages
    heading: np.ndarray  # index into the headings list, -1 for none
    sentence_ptr: np.ndarray
    sentence_start: np.ndarray
    sentence_end: np.ndarray

    def __len__(self) -> int:
        return int(self.content.shape[0])

    @classmethod
    def empty(cls) -> PassageTable:
        e = np.zeros(0, dtype=np.int64)
        return cls(e, e, e, e, e, e, np.zeros(1, dtype=np.int64), e, e)

    def sentences(self, row: int) -> tuple[Span, ...]:
        lo, hi = int(self.sentence_ptr[row]), int(self.sentence_ptr[row + 1])
        return tuple(
            Span(int(s), int(e)) for s, e in zip(self.sentence_start[lo:hi], self.sentence_end[lo:hi], strict=True)
        )

    def take(self, rows: np.ndarray) -> PassageTable:
        """The given rows, in that order (sentences follow their passages)."""
        rows = np.asarray(rows, dtype=np.int64)
        counts = self.sentence_ptr[rows + 1] - self.sentence_ptr[rows]
        sentence_index = _ranges(self.sentence_ptr[rows], counts)
        return PassageTable(
            self.content[rows], self.start[rows], self.end[rows], self.line[rows], self.page[rows],
            self.heading[rows], np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            self.sentence_start[sentence_index], self.sentence_end[sentence_index],
        )  # fmt: skip

    def page_groups(self) -> np.ndarray:
        """Each row's page as a number shared by the rows of one page of one document (0, 1, ...); a document
        without pages is one page."""
        if not len(self):
            return np.zeros(0, dtype=np.int64)
        keys = self.content.astype(np.int64) * (int(self.page.max()) + 1) + self.page
        return np.unique(keys, return_inverse=True)[1].astype(np.int64)

    def sentence_index(self, rows: np.ndarray) -> np.ndarray:
        """Sentence-row numbers of the given passages, in order (for gathering sentence vectors)."""
        rows = np.asarray(rows, dtype=np.int64)
        return _ranges(self.sentence_ptr[rows], self.sentence_ptr[rows + 1] - self.sentence_ptr[rows])

    @staticmethod
    def concat(tables: list[PassageTable]) -> PassageTable:
        tables = [t for t in tables if len(t)] or [PassageTable.empty()]
        offsets = np.cumsum([0] + [int(t.sentence_ptr[-1]) for t in tables[:-1]])
        ptr = np.concatenate([[0]] + [t.sentence_ptr[1:] + off for t, off in zip(tables, offsets, strict=True)])
        columns = {
            name: np.concatenate([getattr(t, name) for t in tables]) for name in _COLUMNS if name != "sentence_ptr"
        }
        return PassageTable(sentence_ptr=ptr.astype(np.int64), **columns)

    def save(self, path: Path) -> None:
        with open(path, "wb") as handle:
            np.savez(handle, **{name: getattr(self, name) for name in _COLUMNS})

    @classmethod
    def load(cls, path: Path) -> PassageTable:
        with np.load(path) as data:
            return cls(**{name: data[name].astype(np.int64) for name in _COLUMNS})


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``range(s, s + c)`` for each pair, vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return (np.arange(total) + offsets).astype(np.int64)
