"""Embedding and loading on a Dask cluster (dask.distributed), with the same results as in one process.

    with open_scheduler("local:2") as client:            # or "tcp://host:8786", or None: no Dask at all
        result = embed_corpus(texts, EmbedderSpec(), cache_dir, client=client)
        parsed = read_files(files, client=client)         # one task per file; nbkit.corpus merges as usual

Scheduler options (CLI `--scheduler`, notebook parameter `scheduler`):
  None (default)      in this process, no Dask: the right choice on one machine whatever the corpus size, since
                      torch already uses every core; a LocalCluster adds its start-up and a model load per
                      worker and measured no faster (benchmarks/results/embed_cluster.md). Use Dask for several
                      machines, or `local:N` to try the same set-up on one.
  "local", "local:N"  a LocalCluster on 127.0.0.1 with N worker processes of one thread each (default: one per core)
  "tcp://host:8786"   an existing cluster (`dask scheduler` + `dask worker tcp://host:8786` on each machine)

Embedding is partitioned by text hash: the client first checks every text against the cache's key indexes (keys
only, ~20 bytes a text), then orders the distinct texts not stored yet by their 128-bit key and cuts them into
`ceil(n / partition_size)` key ranges, so a text's partition depends only on its key and the number of texts to
embed, never on the corpus order. Each partition is one task: it builds its worker's embedder from a small
picklable `EmbedderSpec` (loaded once per worker process), looks its texts up in the shared content-addressed
cache again (another job may have stored them meanwhile, or this task's earlier attempt on a worker that died),
encodes the rest and streams them to the cache (nbkit.embed.embed_texts). A rerun therefore starts no task, and
the retry of a partition computes only what is not stored yet. Workers need the cache folder and the model
at the same paths (a shared file system), and loading needs the input files there too.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nbkit.embed import BACKENDS as MODEL_BACKENDS
from nbkit.embed import DEFAULT_BACKEND, STORE_EVERY, EmbeddingCache, Embeddings, embed_texts, make_embedder, text_keys
from nbkit.errors import NbkitError

PARTITION_SIZE = 2048  # distinct texts per task: ~100 s of MiniLM on one core, ~3 MiB of vectors
ADDRESS_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")  # dask.distributed's comm protocols
# Dask's nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536 (to give freed memory back at once). glibc
# then also stops raising its mmap threshold, so every array over 128 KiB of an encode batch is a fresh mmap,
# page-faulted in and unmapped again: ~0.4 s of system CPU per 4,096 static texts, ~9% of a worker's encode
# (measured; ~0 without it). Unset (None) for the workers nbkit starts; `dask worker` takes the same setting from
# a Dask config file (README, "Large corpora").
WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
# The model backends of nbkit.embed, and "hash": a stand-in model for tests and overhead measurements.
BACKENDS = (*MODEL_BACKENDS, "hash")


# --- embedders built on the workers ---------------------------------------------------------------------------

@dataclass(frozen=True)
class EmbedderSpec:
    """What a worker needs to build its own embedder: a backend name (BACKENDS), a model name or folder, and
    options for the factory (e.g. batch_size). Small and picklable; the model itself never travels."""

    model: str | None = None
    backend: str = DEFAULT_BACKEND
    options: tuple[tuple[str, Any], ...] = field(default_factory=tuple)

    def build(self) -> Any:
        if self.backend not in BACKENDS:
            raise NbkitError(f"unknown embedding backend {self.backend!r}; known: {', '.join(BACKENDS)}")
        if self.backend == "hash":
            return HashEmbedder(self.model, **dict(self.options))
        return make_embedder(self.model, self.backend, **dict(self.options))


_built: dict[EmbedderSpec, Any] = {}
_building = threading.Lock()


def worker_embedder(spec: EmbedderSpec) -> Any:
    """The embedder for `spec` in this process, built once (a worker keeps its model loaded between tasks)."""
    with _building:
        if spec not in _built:
            _built[spec] = spec.build()
        return _built[spec]


_caches: dict[str, EmbeddingCache] = {}


def worker_cache(root: str) -> EmbeddingCache:
    """The cache at `root` for this process, kept between tasks: it reads each shard's key index once."""
    with _building:
        if root not in _caches:
            _caches[root] = EmbeddingCache(root)
        return _caches[root]


class HashEmbedder:
    """A deterministic stand-in model for tests and overhead measurements: `dim` float32 numbers from each text's
    SHA-256, and an optional `delay` (seconds per text) to imitate a real model's cost."""

    def __init__(self, model: str | None = None, *, dim: int = 8, delay: float = 0.0) -> None:
        self.dim, self.delay = dim, delay
        self.identity = f"hash-{model or 'default'}-{dim}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.delay:
            time.sleep(self.delay * len(texts))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            digest = hashlib.shake_128(text.encode("utf-8")).digest(4 * self.dim)
            out[i] = np.frombuffer(digest, dtype="<u4") / np.float32(2**32)
        return out


# --- schedulers -------------------------------------------------------------------------------------------------

def parse_scheduler(scheduler: str | None, workers: int | None = None) -> tuple[str, Any]:
    """("none", None), ("local", n_workers) or ("address", address) from a scheduler option (NbkitError if
    unreadable)."""
    text = (scheduler or "").strip()
    if workers is not None and workers < 1:
        raise NbkitError(f"--workers must be at least 1, not {workers}")
    if text in ("", "none", "in-process"):
        if workers is not None:
            raise NbkitError("--workers needs a scheduler: --scheduler local, or the address of a cluster")
        return "none", None
    if text == "local" or text.startswith("local:"):
        count = text.partition(":")[2]
        if text.startswith("local:") and (not count.isdigit() or int(count) == 0):
            raise NbkitError(f"scheduler {text!r}: write local:N with N a number of workers, e.g. local:2")
        if count and workers is not None and int(count) != workers:
            raise NbkitError(f"scheduler {text!r} and --workers {workers} disagree; give one of them")
        return "local", int(count) if count else workers or os.cpu_count() or 1
    if text.partition("://")[0] in ADDRESS_SCHEMES and text.partition("://")[2]:
        return "address", text
    raise NbkitError(f"scheduler {text!r} not understood: use local, local:N or a cluster address like "
                     "tcp://host:8786")


@contextmanager
def open_scheduler(scheduler: Any = None, workers: int | None = None, *, timeout: float = 20) -> Iterator[Any]:
    """A dask.distributed Client for the scheduler option, closed (and its LocalCluster stopped) afterwards; None
    for the in-process default. A Client passed in is used as it is and left open.

    With an address, `timeout` bounds the connection (seconds), and `workers` waits until that many workers have
    joined (up to 60 s)."""
    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler  # a Client the caller made
        return
    kind, value = parse_scheduler(scheduler, workers)
    if kind == "none":
        yield None
        return
    import dask
    from dask.distributed import Client, LocalCluster

    if kind == "local":
        # one thread per worker process: torch and onnxruntime use their own threads, and Dask's nanny sets
        # OMP_NUM_THREADS=1, so N workers use N cores. WORKER_ENVIRON: see there.
        with dask.config.set(WORKER_ENVIRON), \
                LocalCluster(n_workers=value, threads_per_worker=1, processes=True, host="127.0.0.1",
                             scheduler_port=0, dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(value, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as exc:  # ValueError: an address Dask cannot parse
        raise NbkitError(f"cannot reach the Dask scheduler at {value} ({exc.__class__.__name__}: {exc})") from None
    with client:
        if workers:
            try:
                client.wait_for_workers(workers, timeout=60)
            except TimeoutError:
                raise NbkitError(f"{value}: fewer than {workers} Dask workers joined within 60 s") from None
        yield client


# --- embedding --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PartitionResult:
    vectors: np.ndarray | None  # rows in the order of the partition's texts; None when not asked for
    found: np.ndarray  # which of them came from the cache
    computed: int


def embed_partition(spec: EmbedderSpec, identity: str, cache_root: str, texts: list[str],
                    return_vectors: bool = True, store_every: int = STORE_EVERY) -> PartitionResult:
    """One task: the cache first, then the worker's model for the rest, streamed to the cache."""
    embedder = worker_embedder(spec)
    if embedder.identity != identity:  # a different model version on this machine would poison the cache
        raise NbkitError(f"worker's embedding model is {embedder.identity}, the client's {identity}: install the "
                         "same model on every machine")
    result = embed_texts(texts, embedder, worker_cache(cache_root), progress=False, store_every=store_every,
                         return_vectors=return_vectors)
    return PartitionResult(vectors=result.vectors if return_vectors else None, found=result.found,
                           computed=result.computed)


def partitions(keys: np.ndarray, partition_size: int = PARTITION_SIZE) -> list[np.ndarray]:
    """Indices of distinct `keys` cut into key ranges of about `partition_size`: the part of a key is
    floor(key_prefix * parts / 2**32), a function of the key and the number of parts only."""
    if len(keys) == 0:
        return []
    parts = max(1, math.ceil(len(keys) / partition_size))
    prefix = np.frombuffer(np.ascontiguousarray(keys).tobytes(), dtype=">u4")[:: keys.dtype.itemsize // 4]
    part = (prefix.astype(np.uint64) * np.uint64(parts)) >> np.uint64(32)
    order = np.lexsort((keys, part))  # by part, then by key within it
    bounds = np.searchsorted(part[order], np.arange(parts + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(parts) if bounds[i + 1] > bounds[i]]


class TaskWindow:
    """How many partitions to keep in flight: two per worker thread of the cluster now, at least 4. Enough to keep
    every worker busy while the texts the scheduler holds stay a few partitions' worth, not the corpus. Counted
    again (one scheduler call) at most every `every` seconds, so workers that join a running job get work and the
    call costs nothing beside a partition's seconds of encoding."""

    def __init__(self, client: Any, every: float = 1.0) -> None:
        self.client, self.every = client, every
        self.checked, self.threads = -math.inf, 0

    def size(self) -> int:
        if time.monotonic() - self.checked >= self.every:
            self.threads = sum(self.client.nthreads().values())
            self.checked = time.monotonic()
        return max(4, 2 * self.threads)


def embed_corpus(texts: Sequence[str], spec: EmbedderSpec, cache_dir: str | Path, *, client: Any = None,
                 partition_size: int = PARTITION_SIZE, return_vectors: bool = True, progress: bool = True,
                 store_every: int = STORE_EVERY) -> Embeddings:
    """Vectors for `texts` (input order, float32) through the cache in `cache_dir`: on the cluster of `client`, or
    in this process when client is None (nbkit.embed.embed_texts, the same vectors).

    computed counts the distinct texts encoded by partitions that finished (a partition rerun after its worker
    died counts what the rerun encoded), cached the texts found in the cache. Each partition stores its vectors
    every `store_every` texts, so a partition cut short keeps what it stored.
    """
    texts = list(texts)
    embedder = spec.build()  # cheap: models load on first encode; gives the identity the cache is keyed by
    cache = EmbeddingCache(cache_dir)
    if client is None:
        return embed_texts(texts, embedder, cache, progress=progress, return_vectors=return_vectors,
                           store_every=store_every)
    from dask.distributed import as_completed
    from tqdm.auto import tqdm

    keys = text_keys(texts)
    # The whole corpus is checked here, once, against the cache's key indexes (reading vectors only when they are
    # asked for): only texts not stored yet travel to the workers, and a rerun starts no task at all. Each task
    # checks its own texts again, so the retry of a partition whose worker died computes only what it lost.
    vectors, found = cache.scan(embedder.identity, keys, vectors=return_vectors)
    unique_keys, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    todo = np.flatnonzero(~found[first])  # distinct texts not in the cache
    parts = [todo[rows] for rows in partitions(unique_keys[todo], partition_size)]
    run = uuid.uuid4().hex  # task keys of this call (two calls on the same texts are two jobs)
    root = str(Path(cache_dir).resolve())

    def submit(number: int) -> Any:
        rows = parts[number]
        future = client.submit(embed_partition, spec, embedder.identity, root, [texts[first[i]] for i in rows],
                               return_vectors, store_every, key=f"embed-partition-{run}-{number}")
        futures[future] = rows
        return future

    futures: dict[Any, np.ndarray] = {}
    window = TaskWindow(client)
    submitted = min(window.size(), len(parts)) if parts else 0
    waiting = as_completed([submit(number) for number in range(submitted)]) if parts else []
    # the input positions of distinct text j are order[bounds[j]:bounds[j + 1]]: each partition's vectors go
    # straight into the result, with no second whole-corpus array
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(unique_keys) + 1))
    computed = 0
    with tqdm(total=len(todo), unit="text", desc="embedding", disable=not progress or not len(todo)) as bar:
        for future in waiting:
            rows = futures.pop(future)
            part: PartitionResult = future.result()
            future.release()
            while submitted < len(parts) and len(futures) < window.size():
                waiting.add(submit(submitted))
                submitted += 1
            counts = bounds[rows + 1] - bounds[rows]
            positions = order[np.repeat(bounds[rows] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())]
            if part.vectors is not None and part.vectors.size:
                if vectors is None:
                    vectors = np.empty((len(texts), part.vectors.shape[1]), dtype=np.float32)
                vectors[positions] = np.repeat(part.vectors, counts, axis=0)
            found[positions] = np.repeat(part.found, counts)
            computed += part.computed
            bar.update(len(rows))
    if vectors is None or not return_vectors:
        vectors = np.empty((0, 0), dtype=np.float32)
    return Embeddings(vectors=vectors, computed=computed, cached=int(found.sum()), found=found)


# --- loading ----------------------------------------------------------------------------------------------------

def read_one(path: str, name: str, display: str, fmt: str | None, mapping: dict | None) -> tuple[Any, str | None]:
    """One task: (ParsedFile, None) or (None, error message). The file is read at its absolute `path` and
    reported under `display`, the path as the user gave it, so reports match a load in one process."""
    from nbkit.sources import read_file

    try:
        parsed = read_file(Path(path), name, fmt=fmt, mapping=mapping)
    except NbkitError as exc:
        message = str(exc)
        if exc.path is not None and message.startswith(f"{exc.path}: "):
            message = str(NbkitError(message[len(exc.path) + 2:], display if exc.path == path else exc.path))
        return None, message
    parsed.path = display
    return parsed, None


def read_files(files: Sequence[tuple[Path, str]], *, fmt: str | None, mapping: Any, client: Any) -> list[Any]:
    """ParsedFile or NbkitError for each (path, name), in order, one Dask task per file."""
    mapping = dict(mapping) if mapping else None
    futures = [client.submit(read_one, str(Path(path).resolve()), name, str(path), fmt, mapping, pure=False)
               for path, name in files]
    out = []
    for future in futures:
        parsed, error = future.result()
        future.release()
        out.append(parsed if error is None else NbkitError(error))
    return out
