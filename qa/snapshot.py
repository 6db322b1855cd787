"""What an index holds, as immutable values: the files indexed, their distinct texts, and every component a
search reads (``qa.store`` keeps them on disk, ``qa.indexer`` makes the next from the last)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from qa.dense import DenseIndex
from qa.lexical import Lexical
from qa.passages import PassageTable

FORMAT_VERSION = 1


@dataclass(frozen=True)
class DocRecord:
    """A file that was indexed: where it is, what it held when indexed."""

    path: str
    size: int
    mtime: float
    sha256: str
    kind: str
    duplicate_of: str | None = None
    warnings: tuple[str, ...] = ()
    reader: int = 1  # the version of its format's reader that read it (loaders.READER_VERSIONS)


@dataclass(frozen=True)
class Content:
    """One distinct document text; its passages are a contiguous run of rows."""

    sha256: str
    source: str
    kind: str
    first_row: int
    passages: int
    chars: int
    page_starts: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()  # 1-based pages whose text was read by OCR
    reader: int = 1  # the version of its format's reader that extracted the text

    @property
    def key(self) -> str:
        """The name its text is stored under: a new reader's text never overwrites an older one's."""
        return text_key(self.sha256, self.reader)


@dataclass(frozen=True)
class Snapshot:
    """A whole index, immutable: searches keep using theirs while a new one is built."""

    model: dict[str, Any]
    chunking: dict[str, int]
    documents: tuple[DocRecord, ...]
    contents: tuple[Content, ...]
    headings: tuple[str, ...]
    passages: PassageTable
    embeddings: np.ndarray
    sentence_vectors: np.ndarray
    lexical: Lexical
    dense: DenseIndex
    generation: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def config(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "generation": self.generation,
            "model": self.model,
            "chunking": self.chunking,
            "index_type": self.dense.kind,
            "passages": len(self.passages),
            "documents": [asdict(d) for d in self.documents],
            "contents": [asdict(c) for c in self.contents],
            "headings": list(self.headings),
            **self.extra,
        }


def text_key(sha256: str, reader: int) -> str:
    return sha256 if reader <= 1 else f"{sha256}.r{reader}"
