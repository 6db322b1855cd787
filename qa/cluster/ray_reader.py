"""``index --ray [auto|ADDRESS]``: the new files' texts read, OCR'd, cut and embedded on a Ray cluster.

The driver (where ``index`` runs) does what it always does: finds the files, hashes them, decides which are new
(``qa.indexer``), and writes the result as one new generation of the store, crash-safe as ever. The work in
between goes to the cluster as two Ray Data stages of actors, one core each. First ``DocumentWorker``s read,
OCR and cut the files, which the driver ships in the dataset's blocks, packed into units (so the workers need no
shared filesystem, only the same Verbatim installed); results stream back as they finish, and a file a worker
cannot read comes back as its one-line reason, as on the local path. Then ``EmbedWorker``s, the model loaded
once each, embed the very batches the local path would have made (int8 sets its scales per batch: other batches
would give other vectors). Nothing is written until every file is back, so a run that fails leaves the previous
index as it was.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qa.embedder import BUNDLED, Embedder, Progress
from qa.errors import DocumentError, VerbatimError
from qa.indexer import Job
from qa.stores.batch import Fresh
from qa.types import Span

INSTALL_HINT = 'indexing on Ray needs the extra: pip install "verbatim[ray]" (or ray[data]==2.60.0)'
BLOCK_BYTES = 256 * 2**20  # file bytes shipped in one dataset: the object store holds them until they are read
BLOCK_FILES = 2_000
EMBED_GROUP = 8  # batches (of 16 passages) a worker embeds in one call: Ray's cost per call is a few ms
UNIT_BYTES = 1 << 20  # at most this much of files in one worker's call (a bigger file goes alone)
LOCAL_OBJECT_STORE = 4 * BLOCK_BYTES  # a local cluster's: Ray's default (30% of memory) crowds a small /dev/shm


def import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise VerbatimError(INSTALL_HINT) from None
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the terminal shows Verbatim's own line (qa.console.cluster_line)
    context.print_on_execution_start = False
    return ray


def connect(address: str) -> str:
    """Join the cluster ``address`` (``auto``: the one ``RAY_ADDRESS`` names, else a local one on this machine's
    cores); what was joined, for the report."""
    ray = import_ray()
    if ray.is_initialized():
        return "the Ray cluster already joined"
    target = os.environ.get("RAY_ADDRESS") if address == "auto" else address
    if target:
        _reachable(target)
    try:
        if target:
            ray.init(address=target, log_to_driver=False, logging_level="ERROR", configure_logging=False)
            return f"the Ray cluster at {target}"
        ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                 configure_logging=False, object_store_memory=LOCAL_OBJECT_STORE)  # fmt: skip
        return "a local Ray cluster"
    except (ConnectionError, RuntimeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise VerbatimError(f"cannot join the Ray cluster at {target or 'this machine'}: {reason}") from None


def _reachable(address: str, seconds: float = 5.0) -> None:
    """A one-line error now if nothing listens at ``address`` (host:port, or ray://host:port): Ray itself would
    retry for minutes."""
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise VerbatimError(f"{address!r} is not a Ray cluster's address: give HOST:PORT (the head's GCS port)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=seconds).close()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise VerbatimError(f"cannot join the Ray cluster at {address}: nothing answers there ({reason})") from None


@dataclass
class ClusterProgress:
    """What the terminal shows of a cluster's work: files read (pages OCR'd among them), passages embedded."""

    files: int = 0
    pages: int = 0
    ocr_pages: int = 0
    passages: int = 0
    embedded: int = 0
    readers: set[int] = field(default_factory=set)  # the worker processes that read files
    embedders: set[int] = field(default_factory=set)  # and that embedded passages


class RayReader:
    """``qa.indexer.Reader`` on a Ray cluster."""

    def __init__(
        self, address: str, embedder: Embedder, model: str, chunking: dict[str, Any], workers: int | None = None,
        shown: Callable[[ClusterProgress], None] | None = None,
    ) -> None:  # fmt: skip
        self.address, self.embedder, self.model, self.chunking = address, embedder, model, chunking
        self.workers, self.shown = workers, shown
        self.joined = ""
        self.worker_count = 1
        self.progress = ClusterProgress()

    def read(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Fresh | DocumentError]]:
        ray = self._ray()
        for block in _blocks(jobs):
            units = _units(block, self.worker_count)
            rows = [{"i": i, "jobs": pickle.dumps([(j.path, j.data, j.sha, j.kind, j.reader) for j in unit])}
                    for i, unit in enumerate(units)]  # fmt: skip
            for row in self._run(ray, "DocumentWorker", rows, {"chunking": self.chunking}).iter_rows():
                unit, results = units[int(row["i"])], pickle.loads(row["results"])  # our workers' own
                for job, result in zip(unit, results, strict=True):
                    result = result if isinstance(result, Fresh) else DocumentError(*result)
                    self._count(result, int(row["pid"]))
                    yield job, result

    def embed(
        self, texts: list[str], spans: list[tuple[Span, ...]], progress: Progress | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``Embedder.embed_passages`` on the cluster: the same batches as here (int8's scales are set per batch,
        so the vectors are the local path's to the last bit), a group of them to a worker at a time."""
        ray = self._ray()
        batches = self.embedder.batches_of(texts)
        groups = [batches[g : g + EMBED_GROUP] for g in range(0, len(batches), EMBED_GROUP)]
        rows = [{"i": i, "work": pickle.dumps([([texts[j] for j in b], [spans[j] for j in b]) for b in group])}
                for i, group in enumerate(groups)]  # fmt: skip
        dim = self.embedder.dimension
        starts = np.concatenate([[0], np.cumsum([len(s) for s in spans])]).astype(np.int64)
        vectors = np.zeros((len(texts), dim), dtype=np.float32)
        sentence_vectors = np.zeros((int(starts[-1]), dim), dtype=np.float32)
        done = 0
        for row in self._run(ray, "EmbedWorker", rows, {}).iter_rows():
            for batch, (pooled, pooled_spans) in zip(groups[int(row["i"])], pickle.loads(row["results"]), strict=True):
                vectors[batch] = pooled
                for j, sentence in zip(batch, pooled_spans, strict=True):
                    sentence_vectors[starts[j] : starts[j + 1]] = sentence
                done += len(batch)
                self.progress.embedded = done
                self.progress.embedders.add(int(row["pid"]))
            if progress is not None:
                progress(done, len(texts))
        return vectors, sentence_vectors

    def _ray(self) -> Any:
        ray = import_ray()
        if not self.joined:
            self.joined = connect(self.address)
            if self.embedder.backend_name != "torch":  # exported once here, not by every worker at once
                from qa.backends import onnx_file

                onnx_file(self.embedder.path, self.embedder.backend_name == "onnx-int8", self.embedder.cache_dir)
            self.worker_count = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        return ray

    def _run(self, ray: Any, worker: str, rows: list[dict[str, Any]], extra: dict[str, Any]) -> Any:
        from qa.cluster import worker as workers

        e = self.embedder
        model = self.model if self.model in BUNDLED else str(e.path)
        return ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            getattr(workers, worker), batch_size=1, num_cpus=1,
            # one unit at a time each: a worker never queues work while another waits (big PDFs, OCR)
            compute=ray.data.ActorPoolStrategy(size=min(self.worker_count, len(rows)), max_tasks_in_flight_per_actor=1),
            fn_constructor_kwargs={"model": model, "backend": e.backend_name, "batch_size": e.batch_size,
                                   "cache_dir": str(e.cache_dir), **extra},
        )  # fmt: skip

    def _count(self, result: Fresh | DocumentError, pid: int) -> None:
        progress = self.progress
        progress.files += 1
        progress.readers.add(pid)
        if isinstance(result, Fresh):
            progress.pages += len(result.document.page_starts)
            progress.ocr_pages += len(result.document.ocr_pages)
            progress.passages += len(result.chunks)
        if self.shown is not None:
            self.shown(progress)


def _units(block: list[Job], workers: int) -> list[list[Job]]:
    """The block's files in units a worker reads and embeds together: small files packed (measured on tatqa_dev's
    278 short reports: a file at a time spent more on Ray's per-task cost and batches of a few passages than on
    the model), about four units a worker so that none waits for the last, a big file alone."""
    target = min(UNIT_BYTES, max(1, sum(len(j.data) for j in block) // (4 * workers)))
    units: list[list[Job]] = [[]]
    size = 0
    for job in block:
        if units[-1] and size + len(job.data) > target:
            units.append([])
            size = 0
        units[-1].append(job)
        size += len(job.data)
    return units


def _blocks(jobs: Iterable[Job]) -> Iterator[list[Job]]:
    """Jobs in lists of at most ``BLOCK_BYTES`` of files (and one more file), ``BLOCK_FILES`` files."""
    block: list[Job] = []
    size = 0
    for job in jobs:
        block.append(job)
        size += len(job.data)
        if size >= BLOCK_BYTES or len(block) >= BLOCK_FILES:
            yield block
            block, size = [], 0
    if block:
        yield block
