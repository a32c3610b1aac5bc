"""A static embedding model distilled once from the packaged MiniLM (model2vec): 100-200x faster, for huge corpora.

    embedder = StaticEmbedder()                 # distilled on first use into nbkit.paths.model_path(), ~25 s
    embedder.encode(["Robots grasp objects."])  # (1, 256) float32, unit length

Distillation (model2vec.distill) runs the transformer once on every token of its vocabulary, reduces the token
vectors with PCA to `pca_dims` and weights them by SIF (rarer tokens count more); a text's vector is then the mean
of its tokens' rows, normalized: a table lookup instead of a transformer, so it costs microseconds a text. The
vectors live in another space than MiniLM's (and have fewer dimensions), so the topics differ:
benchmarks/bench_static.py measures by how much (README, "Embedding backends").

The distilled model is kept under `<models>/<model>-<fingerprint>-static-<recipe>/` like the ONNX exports: made
once per installation (`nbkit warm-up --backend static`, or the first encode, with a message on stderr), read by
every later process. Its name and the cache identity carry everything the table depends on: the source model's
fingerprint, pca_dims, the SIF coefficient, the table's dtype and model2vec's version.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from nbkit.errors import NbkitError
from nbkit.paths import building_folder, model_path

# Bump when the distillation below changes in a way its parameters do not show.
RECIPE = "r1"
PCA_DIMS = 256  # model2vec's default: MiniLM's 384 dimensions reduced to the 256 that carry most variance
SIF_COEFFICIENT = 1e-4  # model2vec's default weighting of tokens by their Zipf rank
DTYPE = "float16"  # the stored table: half the size, and last-bit noise of the distillation is rounded away


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "missing"


def distill_model(source: Path, target: Path, *, pca_dims: int, sif_coefficient: float, dtype: str) -> float:
    """Distil the sentence-transformers folder `source` into the model2vec folder `target`; seconds.

    Written to a temporary folder beside `target` and renamed into place, so a reader sees a whole model or none
    (two processes distilling at once both finish; the first rename wins and both then load that one)."""
    start = time.perf_counter()
    with building_folder(target, "distill.json") as tmp:
        model = _distill(source, pca_dims=pca_dims, sif_coefficient=sif_coefficient, dtype=dtype)
        model.embedding[:] = _fixed_signs(model.embedding)
        model.save_pretrained(tmp)
        seconds = time.perf_counter() - start
        (tmp / "distill.json").write_text(json.dumps({
            "source": str(source), "recipe": RECIPE, "pca_dims": pca_dims, "sif_coefficient": sif_coefficient,
            "dtype": dtype, "seconds": round(seconds, 1), "shape": list(model.embedding.shape),
            "versions": {p: _version(p) for p in ("model2vec", "skeletoken", "torch", "transformers", "numpy")}},
            indent=2) + "\n")
    return seconds


def _distill(source: Path, *, pca_dims: int, sif_coefficient: float, dtype: str) -> Any:
    """model2vec's distillation of a local folder (a StaticModel); it asks the Hub nothing for a local path."""
    from model2vec.distill import distill

    return distill(model_name=str(source), device="cpu", pca_dims=pca_dims, sif_coefficient=sif_coefficient,
                   quantize_to=dtype)


def _fixed_signs(table: np.ndarray) -> np.ndarray:
    """Each PCA column with a sign that float noise cannot flip: the one giving the column a positive third moment
    (sum of cubes). model2vec takes the sign of the column's largest entry, which two entries 1 float16 step apart
    decide (measured: the closest pair of MiniLM's 256 columns); the smallest sum of cubes is 0.23 and moved by at
    most 0.03 between this machine and the emulated generic CPU."""
    cubes = (table.astype(np.float64) ** 3).sum(axis=0)
    return table * np.where(cubes < 0, -1, 1).astype(table.dtype)


class StaticEmbedder:
    """A model2vec static model distilled from a sentence-transformers folder (default: the packaged MiniLM).

    The table is loaded on first encode and never pickled: a pickled embedder is its small spec. A text's vector
    depends on the text only (the mean of its tokens' rows), never on its batch."""

    def __init__(self, model: str | None = None, *, pca_dims: int = PCA_DIMS, sif_coefficient: float = SIF_COEFFICIENT,
                 dtype: str = DTYPE, batch_size: int = 1024, model_dir: str | Path | None = None) -> None:
        from nbkit.embed import DEFAULT_MODEL, model_fingerprint, model_slug, resolve_model

        if dtype not in ("float16", "float32"):
            raise NbkitError(f"static model dtype {dtype!r} is not one of float16, float32")
        if not (isinstance(pca_dims, int) and pca_dims > 0):
            raise NbkitError(f"static model pca_dims must be a positive whole number, not {pca_dims!r}")
        self.name = model or DEFAULT_MODEL
        self.path = resolve_model(self.name)
        self.pca_dims, self.sif_coefficient, self.dtype = pca_dims, sif_coefficient, dtype
        self.batch_size = batch_size
        self.slug, self.fingerprint = model_slug(self.name), model_fingerprint(self.path)
        self.recipe = (f"static-pca{pca_dims}-sif{sif_coefficient:g}-{dtype.replace('float', 'f')}"
                       f"-m2v{_version('model2vec')}-{RECIPE}")
        self.identity = f"{self.slug}-{self.fingerprint}-{self.recipe}"
        self.model_dir = Path(model_dir) if model_dir is not None else model_path()
        self._model: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_model": None}

    @property
    def folder(self) -> Path:
        return self.model_dir / self.identity

    def ensure_distilled(self, announce: bool = True) -> Path:
        """The stored model's folder, distilled now when missing (~25 s on 2 idle cores, once per model and models
        folder)."""
        if not (self.folder / "distill.json").is_file():
            if announce:
                print(f"nbkit: distilling a static embedding model from {self.name} into {self.folder} (once: "
                      "~25 s on 2 idle cores, minutes on a busy machine)", file=sys.stderr, flush=True)
            try:
                distill_model(self.path, self.folder, pca_dims=self.pca_dims, sif_coefficient=self.sif_coefficient,
                              dtype=self.dtype)
            except NbkitError:
                raise
            except Exception as exc:  # torch, transformers and model2vec raise many types; say which step
                raise NbkitError(f"cannot distil a static model from {self.name} ({exc.__class__.__name__}: "
                                 f"{str(exc).splitlines()[0] if str(exc) else ''}); embedding_backend='torch' "
                                 "runs the model itself", self.path) from None
        return self.folder

    @property
    def model(self) -> Any:
        if self._model is None:
            from model2vec import StaticModel

            folder = self.ensure_distilled()
            try:
                self._model = StaticModel.from_pretrained(folder)
            except Exception as exc:  # a damaged folder: distil again next time
                shutil.rmtree(folder, ignore_errors=True)
                raise NbkitError(f"cannot load the static model distilled from {self.name} "
                                 f"({exc.__class__.__name__}); it was removed and is distilled again on the next run",
                                 folder) from None
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:  # model2vec cannot concatenate no batches
            return np.empty((0, self.model.dim), dtype=np.float32)
        # the table's float16 values as they are (unit length to 2e-4): renormalizing would add float work whose
        # last bits depend on the CPU's SIMD, for nothing the cosine-based clustering needs.
        # No multiprocessing: nbkit's callers parallelize (Dask), and one thread does ~1,000 texts a second already
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, use_multiprocessing=False,
                                    show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.model.dim)

    def __repr__(self) -> str:
        return f"StaticEmbedder({self.name!r}, identity={self.identity!r})"
