"""The index folder: atomic, checksummed generations, content-addressed texts and a writer's lock.

Layout of ``index_dir``::

    CURRENT              names the live generation (replaced atomically, last step of a save)
    gen-000007/          one complete index: config.json, passages.npz, embeddings.npy,
                         sentence_vectors.npy, dense.faiss, lexical_counts.npz, lexical_vocab.txt
    texts/<key>.txt      each distinct document text that offsets index (UTF-8); the key is the file's sha256,
                         with ".rN" added when version N of its format's reader extracted it
    texts/<key>.boxes.npy  where each character of that text stands on its page (PDFs and scans)
    uploads/             files uploaded through the web app
    .lock                held while a process writes

A crash at any moment leaves CURRENT naming the previous, complete generation.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from qa.dense import DenseIndex
from qa.errors import IndexBusyError, IndexDamagedError, IndexMissingError
from qa.lexical import Lexical
from qa.passages import PassageTable
from qa.rowfile import RowFile
from qa.snapshot import FORMAT_VERSION, Content, DocRecord, Snapshot
from qa.stores.arrays import assemble
from qa.stores.base import LocalFolders
from qa.stores.batch import Batch
from qa.stores.durable import file_sha256, fsync_path, read_text_file, write_atomic

IN_MEMORY_UP_TO = 300_000  # passages; beyond, vectors are read from disk per question (docs/BENCHMARKS.md)
_COMPONENTS = ("passages.npz", "embeddings.npy", "sentence_vectors.npy", "dense.faiss")


class Store(LocalFolders):
    """Reads and writes the generations of one index folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def texts_dir(self) -> Path:
        return self.root / "texts"

    def current(self) -> str | None:
        try:
            name = (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        return name or None

    def exists(self) -> bool:
        return self.current() is not None

    def read_config(self) -> dict[str, Any]:
        name = self.current()
        if name is None:
            raise IndexMissingError(f"no index in {self.root} yet: run python -m qa index PATH...")
        try:
            return json.loads((self.root / name / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexDamagedError(f"the index in {self.root} is damaged (config.json: {exc})") from exc

    def load(self, verify: bool = True) -> Snapshot:
        """The current generation; read again if a writer replaced it while it was being read."""
        for _ in range(3):
            name = self.current()
            try:
                return self._load(verify)
            except IndexDamagedError:
                if self.current() == name:
                    raise
        return self._load(verify)

    def _load(self, verify: bool) -> Snapshot:
        config = self.read_config()
        folder = self.root / str(self.current())
        version = config.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexDamagedError(
                f"the index in {self.root} has format version {version}; this Verbatim reads version {FORMAT_VERSION}"
            )
        if verify:
            self._verify(folder, config.get("files", {}))
        try:
            passages = PassageTable.load(folder / "passages.npz")
            embeddings = _matrix(folder / "embeddings.npy", len(passages))
            sentence_vectors = _matrix(folder / "sentence_vectors.npy", len(passages))
            lexical = Lexical.load(folder, pages=passages.page_groups())
            dense = DenseIndex.load(folder / "dense.faiss", config.get("index_type", "flat"))
            documents = tuple(DocRecord.from_json(d) for d in config["documents"])
            contents = tuple(Content.from_json(c) for c in config["contents"])
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise IndexDamagedError(f"the index in {self.root} is damaged ({type(exc).__name__}: {exc})") from exc
        if not (len(passages) == embeddings.shape[0] == lexical.size == dense.size):
            raise IndexDamagedError(f"the index in {self.root} is damaged (its parts disagree in size)")
        known = {"format_version", "generation", "model", "chunking", "index_type", "passages", "documents"}
        known |= {"contents", "headings", "files"}
        return Snapshot(
            model=config["model"],
            chunking=config["chunking"],
            documents=documents,
            contents=contents,
            headings=tuple(config["headings"]),
            passages=passages,
            embeddings=embeddings,
            sentence_vectors=sentence_vectors,
            lexical=lexical,
            dense=dense,
            generation=int(config.get("generation", 0)),
            extra={k: v for k, v in config.items() if k not in known},
        )

    def _verify(self, folder: Path, files: dict[str, str]) -> None:
        if not files:
            raise IndexDamagedError(f"the index in {self.root} is damaged (config.json lists no checksums)")
        for name, expected in files.items():
            path = folder / name
            if not path.is_file():
                raise IndexDamagedError(f"the index in {self.root} is damaged ({name} is missing)")
            if file_sha256(path) != expected:
                raise IndexDamagedError(f"the index in {self.root} is damaged ({name} fails its checksum)")

    @property
    def name(self) -> str:
        """How messages name this index."""
        return str(self.root)

    def rebuild_option(self) -> str:
        return f"--index-dir {shlex.quote(str(self.root))}"

    def document_paths(self) -> list[str]:
        return sorted({d["path"] for d in self.read_config().get("documents", [])})

    def is_current(self, snapshot: Snapshot) -> bool:
        """Whether ``snapshot`` is the generation on disk now."""
        return self.current() == generation_name(snapshot.generation)

    def refresh(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot questions should use now: a process keeps the one it loaded (or wrote) last."""
        return snapshot

    @contextmanager
    def reading(self) -> Iterator[None]:
        """A question's reads: a snapshot in memory needs nothing around them."""
        yield

    def commit(self, batch: Batch) -> Snapshot:
        """Write the index after ``batch`` as a new generation (its new texts first) and make it current."""
        snapshot, texts = assemble(batch, batch.old)  # type: ignore[arg-type]
        for key, (text, boxes) in texts.items():
            self.write_text(key, text, boxes)
        return self.save(snapshot)

    def save(self, snapshot: Snapshot) -> Snapshot:
        """Write ``snapshot`` as a new generation and make it current, atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        generation = max([snapshot.generation, *self._generations()]) + 1
        snapshot = replace(snapshot, generation=generation)
        name = generation_name(generation)
        tmp = self.root / f"{name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        snapshot.passages.save(tmp / "passages.npz")
        np.save(tmp / "embeddings.npy", np.ascontiguousarray(snapshot.embeddings, dtype=np.float32))
        np.save(tmp / "sentence_vectors.npy", np.ascontiguousarray(snapshot.sentence_vectors, dtype=np.float16))
        snapshot.dense.save(tmp / "dense.faiss")
        written = [tmp / c for c in _COMPONENTS] + snapshot.lexical.save(tmp)
        config = snapshot.config()
        config["files"] = {p.name: file_sha256(p) for p in written}
        (tmp / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")
        for path in [*written, tmp / "config.json"]:
            fsync_path(path)
        fsync_path(tmp)
        os.replace(tmp, self.root / name)
        write_atomic(self.root / "CURRENT", name + "\n")
        self._collect_garbage(name, {c.key for c in snapshot.contents})
        return snapshot

    def _generations(self) -> list[int]:
        found = []
        for path in self.root.glob("gen-*"):
            number = path.name[4:].split(".", 1)[0]
            if number.isdigit():
                found.append(int(number))
        return found

    def _collect_garbage(self, live: str, keys: set[str]) -> None:
        for path in self.root.glob("gen-*"):
            if path.name != live:
                shutil.rmtree(path, ignore_errors=True)
        if self.texts_dir.is_dir():
            for pattern, suffix in (("*.txt", ".txt"), ("*.boxes.npy", ".boxes.npy")):
                for path in self.texts_dir.glob(pattern):
                    if path.name.removesuffix(suffix) not in keys:
                        path.unlink(missing_ok=True)
            for path in self.texts_dir.glob(".*.tmp-*"):  # left by a writer that was killed
                path.unlink(missing_ok=True)

    def write_text(self, key: str, text: str, boxes: np.ndarray | None = None) -> None:
        """Store a document's text (and its characters' boxes) under its key (write-once, atomic)."""
        path = self.texts_dir / f"{key}.txt"
        if not path.exists():
            self.texts_dir.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
        boxes_path = self.texts_dir / f"{key}.boxes.npy"
        if boxes is not None and not boxes_path.exists():
            tmp = boxes_path.with_name(f".{boxes_path.name}.tmp-{os.getpid()}")
            with open(tmp, "wb") as handle:
                np.save(handle, boxes.astype(np.float32))
            os.replace(tmp, boxes_path)

    def read_text(self, key: str) -> str:
        return read_text_file(str(self.texts_dir / f"{key}.txt"))

    def read_slices(self, spans: Sequence[tuple[str, int, int]]) -> list[str]:
        texts = {key: self.read_text(key) for key in dict.fromkeys(key for key, _, _ in spans)}
        return [texts[key][start:end] for key, start, end in spans]

    def read_original(self, sha256: str) -> bytes | None:
        """None: a files index is read on the machine that holds its documents, so pages come from the files."""
        return None

    def read_boxes(self, key: str) -> np.ndarray | None:
        """Each character's box (x0, top, x1, bottom) on its page, or None for a text without pages."""
        path = self.texts_dir / f"{key}.boxes.npy"
        # mapped, not read: a page view slices a passage's boxes out of a whole document's (16 bytes a character)
        return np.load(path, mmap_mode="r") if path.is_file() else None

    @contextmanager
    def lock(self, timeout: float = 0.0) -> Iterator[None]:
        """Hold the folder's write lock; wait up to ``timeout`` seconds for another writer."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusyError(
                            f"another process is writing the index in {self.root}; try again when it has finished"
                        ) from None
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def generation_name(number: int) -> str:
    """The folder of generation ``number`` inside the index folder."""
    return f"gen-{number:06d}"


def _matrix(path: Path, passages: int) -> np.ndarray | RowFile:
    """Vectors in memory for collections up to ``IN_MEMORY_UP_TO`` passages, read row by row beyond."""
    return np.load(path) if passages <= IN_MEMORY_UP_TO else RowFile(path)
