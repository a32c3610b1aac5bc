"""The sentence-transformers model run by ONNX Runtime: the same packaged model, exported once, int8-quantized.

    embedder = OnnxEmbedder()                   # all-MiniLM-L6-v2, int8, exported on first use into the cache
    embedder.encode(["Robots grasp objects."])  # (1, 384) float32, unit length, like SentenceEmbedder's

The first use exports the model folder to ONNX (torch.onnx, offline), fuses BERT's attention and layer norms
(onnxruntime.transformers), and quantizes the weights to int8 (onnxruntime.quantization.quantize_dynamic), all
under `<cache>/models/<model>-<fingerprint>-onnx-<recipe>/` (nbkit.paths.model_path); every later process loads
the stored file. Tokenizing (the model's own tokenizer.json), pooling and normalizing follow the model's
sentence-transformers configuration (modules.json, 1_Pooling/config.json, sentence_bert_config.json), so the
vectors are the torch ones up to the quantization error (benchmarks/bench_embed.py measures it).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from nbkit.errors import NbkitError
from nbkit.paths import building_folder, model_path

# Bump when the export or quantization below changes: it names the stored model and the cache identity.
RECIPE = "r1"
QUANTIZATIONS = ("int8", "fp32")
OPTIMIZATIONS = {"all": "ORT_ENABLE_ALL", "extended": "ORT_ENABLE_EXTENDED", "basic": "ORT_ENABLE_BASIC",
                 "disable": "ORT_DISABLE_ALL"}
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
POOLING_MODES = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls",
                 "pooling_mode_max_tokens": "max", "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len"}


class CpuDependentWarning(UserWarning):
    """Results that a computer with another CPU would compute differently."""


# Measured with `python benchmarks/bench_embed.py --quality` (README, Reproducible topics) on the two machines;
# torch and onnx-fp32 gave the same 9 topics on both.
INT8_CPU_NOTE = ("onnx-int8 vectors depend on the CPU's instruction set, and so may the topics (the bundled corpus: 8 "
                 "topics on an AVX2 AMD EPYC, 16 on an AVX-512 Intel Xeon); embedding_backend 'torch' gives the same "
                 "topics on any x86-64 CPU")


def available_cores() -> int:
    """CPUs this process may run on (a container or taskset may allow fewer than the machine has)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# --- the model's sentence-transformers configuration ------------------------------------------------------------

def read_pipeline(path: Path) -> dict[str, Any]:
    """What the ONNX graph does not: max_seq_length, do_lower_case, pooling mode, normalize. Only models made of
    Transformer + Pooling (+ Normalize) are supported; anything else (a Dense layer, ...) is a clear error."""
    modules_file = path / "modules.json"
    modules = json.loads(modules_file.read_text()) if modules_file.is_file() else [
        {"type": "sentence_transformers.models.Transformer", "path": ""},
        {"type": "sentence_transformers.models.Pooling", "path": "1_Pooling"}]  # a plain transformers folder
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise NbkitError(f"the onnx embedding backend runs Transformer + Pooling (+ Normalize) models, not "
                         f"{' + '.join(kinds)}; use embedding_backend='torch'", path)
    bert_config = path / "sentence_bert_config.json"
    st = json.loads(bert_config.read_text()) if bert_config.is_file() else {}
    pooling_file = path / modules[1]["path"] / "config.json"
    pooling = json.loads(pooling_file.read_text()) if pooling_file.is_file() else {"pooling_mode_mean_tokens": True}
    modes = [mode for key, mode in POOLING_MODES.items() if pooling.get(key)]
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v and k not in POOLING_MODES]
    if len(modes) != 1 or others:
        raise NbkitError(f"the onnx embedding backend pools one way (mean, cls, max or mean_sqrt_len), not "
                         f"{modes + others}; use embedding_backend='torch'", pooling_file)
    config = json.loads((path / "config.json").read_text())
    return {"max_seq_length": int(st.get("max_seq_length") or config.get("max_position_embeddings", 512)),
            "do_lower_case": bool(st.get("do_lower_case", False)), "pooling": modes[0],
            "normalize": "Normalize" in kinds, "num_heads": int(config.get("num_attention_heads", 0)),
            "hidden_size": int(config.get("hidden_size", 0)), "model_type": config.get("model_type", "bert")}


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str, normalize: bool) -> np.ndarray:
    """Token vectors (batch, tokens, dim) to one vector per text, as sentence_transformers.models.Pooling (and
    Normalize) do: padding never counts."""
    weights = mask[:, :, None].astype(np.float32)
    if mode == "cls":
        vectors = hidden[:, 0]
    elif mode == "max":
        vectors = np.where(weights > 0, hidden, np.float32(-1e9)).max(axis=1)
    else:
        counts = np.maximum(weights.sum(axis=1), np.float32(1e-9))
        vectors = (hidden * weights).sum(axis=1) / (counts if mode == "mean" else np.sqrt(counts))
    vectors = vectors.astype(np.float32, copy=False)
    if normalize:
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), np.float32(1e-12))
    return vectors


def length_batches(encodings: Sequence[Any], size: int) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
    """(rows, feed) for each batch of `size` tokenized texts (tokenizers Encodings) of similar length, padded to
    the batch's longest: sorted by length, so padding costs little. `rows` are the texts' positions."""
    lengths = np.array([len(e.ids) for e in encodings])
    order = np.argsort(lengths, kind="stable")
    for start in range(0, len(order), size):
        rows = order[start:start + size]
        width = int(lengths[rows].max())
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            ids[r, :lengths[i]] = encodings[i].ids
            mask[r, :lengths[i]] = 1
        yield rows, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


# --- export -----------------------------------------------------------------------------------------------------

def export_folder(model_dir: Path, slug: str, fingerprint: str) -> Path:
    return model_dir / f"{slug}-{fingerprint}-onnx-{RECIPE}"


def export_model(source: Path, target: Path, pipeline: dict[str, Any]) -> float:
    """Export `source` (a sentence-transformers folder) to `target`/model-fp32.onnx and model-int8.onnx; seconds.

    Written to a temporary folder beside `target` and renamed into place, so a process that reads `target` sees a
    whole export or none (two processes exporting at once both finish; the first rename wins)."""
    start = time.perf_counter()
    with building_folder(target, "model-int8.onnx") as tmp:
        raw = tmp / "raw.onnx"
        _torch_export(source, raw, pipeline["max_seq_length"])
        from onnxruntime.transformers.optimizer import optimize_model

        # opt_level 0: only the transformer fusions (Attention, EmbedLayerNormalization, SkipLayerNormalization,
        # BiasGelu) are written into the file; ORT's own graph optimizations happen when a session loads it, so
        # the stored model is the same on every CPU and they can be switched off (OnnxEmbedder(optimization=...)).
        fused = optimize_model(str(raw), model_type=pipeline["model_type"], num_heads=pipeline["num_heads"],
                               hidden_size=pipeline["hidden_size"], opt_level=0)
        fused.save_model_to_file(str(tmp / "model-fp32.onnx"))
        raw.unlink()
        _quantize(tmp / "model-fp32.onnx", tmp / "model-int8.onnx")
        seconds = time.perf_counter() - start
        (tmp / "export.json").write_text(json.dumps({
            "source": str(source), "recipe": RECIPE, "seconds": round(seconds, 1),
            "versions": {p: version(p) for p in ("torch", "transformers", "onnx", "onnxruntime")}}, indent=2) + "\n")
    return seconds


def _torch_export(source: Path, out: Path, max_length: int) -> None:
    import warnings

    import torch
    from transformers import AutoModel

    # eager attention: the traced graph then has the attention pattern onnxruntime's optimizer fuses
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager", local_files_only=True).eval()

    class TokenEmbeddings(torch.nn.Module):
        """The transformer's last hidden state for the three BERT inputs: what Pooling reads."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    example = tuple(torch.ones((2, min(16, max_length)), dtype=torch.long) for _ in INPUTS)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "token_embeddings")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on constants it records; the graph is checked below
        # the TorchScript exporter: 4x faster here than the dynamo one, and its graph is the one ORT fuses
        torch.onnx.export(TokenEmbeddings(model), example, str(out), input_names=list(INPUTS),
                          output_names=["token_embeddings"], dynamic_axes=axes, opset_version=17, dynamo=False)


def _quantize(fp32: Path, int8: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    # int8 weights, uint8 activations (U8S8). On AVX2/AVX-512 CPUs without VNNI, U8S8 products can saturate the
    # 16-bit intermediate sums; reduce_range (7-bit weights) avoids that, and per-channel scales win back the
    # precision the 7 bits lose (onnxruntime's quantization docs). MatMulConstBOnly: only weight matrices, never
    # activation x activation products (attention scores stay float). The embedding tables stay float too: they
    # are looked up, not multiplied, and quantizing them cost accuracy (mean cosine 0.9935 against 0.9937).
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer advises "pre-processing" on every call; the fusions above are it
    try:
        quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                         op_types_to_quantize=["MatMul", "Attention"],
                         extra_options={"MatMulConstBOnly": True, "DefaultTensorType": 1})  # 1: FLOAT
    finally:
        root.setLevel(level)


# --- the embedder -----------------------------------------------------------------------------------------------

class OnnxEmbedder:
    """A sentence-transformers model folder run by ONNX Runtime (int8 by default, or fp32), exported on first use.

    `threads` defaults to the CPUs this process may use; `optimization` is ONNX Runtime's graph optimization level
    (all, extended, basic, disable). Either may regroup float work, never the model; with this export they change
    no bit of the vectors (tests/test_emulate.py). The session is opened on first encode and never pickled: a
    pickled embedder is its small spec, cheap to send to a worker.
    """

    def __init__(self, model: str | None = None, *, quantization: str = "int8", threads: int | None = None,
                 optimization: str = "all", batch_size: int | None = None,
                 model_dir: str | Path | None = None) -> None:
        from nbkit.embed import DEFAULT_MODEL, model_fingerprint, model_slug, resolve_model

        if quantization not in QUANTIZATIONS:
            raise NbkitError(f"onnx quantization {quantization!r} is not one of {', '.join(QUANTIZATIONS)}")
        if optimization not in OPTIMIZATIONS:
            raise NbkitError(f"onnx optimization {optimization!r} is not one of {', '.join(OPTIMIZATIONS)}")
        self.name = model or DEFAULT_MODEL
        self.path = resolve_model(self.name)
        self.quantization, self.optimization = quantization, optimization
        self.threads = threads or available_cores()
        # int8: one text per run. Dynamic quantization scales each activation by its largest value in the run, so
        # in a batch a text's vector would depend on its neighbours (cosine down to 0.993 between the same text
        # alone and in a batch of 32); alone it depends on the text only, and it is faster here (no padding).
        # fp32 gives the same vectors in any batch (checked bit for bit), so it batches texts of similar length.
        self.batch_size = batch_size or (1 if quantization == "int8" else 16)
        if quantization == "int8":
            warnings.warn(INT8_CPU_NOTE, CpuDependentWarning, stacklevel=2)
        self.slug, self.fingerprint = model_slug(self.name), model_fingerprint(self.path)
        self.identity = f"{self.slug}-{self.fingerprint}-onnx-{quantization}-{RECIPE}"
        self.model_dir = Path(model_dir) if model_dir is not None else model_path()
        self._session: Any = None
        self._tokenizer: Any = None
        self._pipeline: dict[str, Any] | None = None
        self._inputs: set[str] = set(INPUTS)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_session": None, "_tokenizer": None}

    @property
    def folder(self) -> Path:
        return export_folder(self.model_dir, self.slug, self.fingerprint)

    @property
    def pipeline(self) -> dict[str, Any]:
        if self._pipeline is None:
            self._pipeline = read_pipeline(self.path)
        return self._pipeline

    def ensure_exported(self) -> Path:
        """The stored ONNX file, exported now when missing (about 30 s, once per model and cache folder)."""
        target = self.folder / f"model-{self.quantization}.onnx"
        if not target.is_file():
            try:
                export_model(self.path, self.folder, self.pipeline)
            except NbkitError:
                raise
            except Exception as exc:  # torch, transformers and onnxruntime raise many types; say which step
                raise NbkitError(f"cannot export embedding model {self.name} to ONNX ({exc.__class__.__name__}: "
                                 f"{str(exc).splitlines()[0] if str(exc) else ''}); embedding_backend='torch' "
                                 "runs it without ONNX", self.path) from None
        return target

    def session(self) -> Any:
        if self._session is None:
            import onnxruntime as ort

            file = self.ensure_exported()
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            # no spin-waiting between operators: nbkit shares the CPUs (sweeps with --jobs, Dask workers, other
            # users), and spinning threads burn what the others need (under load here: 2.9 against 1.8 docs/s)
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, OPTIMIZATIONS[self.optimization])
            try:
                self._session = ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])
            except Exception as exc:  # a damaged file: export again next time
                shutil.rmtree(self.folder, ignore_errors=True)
                raise NbkitError(f"cannot load the ONNX export of {self.name} ({exc.__class__.__name__}); it was "
                                 "removed and is exported again on the next run", file) from None
            self._inputs = {i.name for i in self._session.get_inputs()}
        return self._session

    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            file = self.path / "tokenizer.json"
            if not file.is_file():
                raise NbkitError("the onnx embedding backend reads the model's tokenizer.json, which this model "
                                 "folder lacks; use embedding_backend='torch'", self.path)
            tokenizer = Tokenizer.from_file(str(file))
            tokenizer.no_padding()  # padded per batch below, to the batch's longest text
            tokenizer.enable_truncation(self.pipeline["max_seq_length"])
            self._tokenizer = tokenizer
        return self._tokenizer

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(t).strip() for t in texts]  # as sentence_transformers.models.Transformer.tokenize
        if self.pipeline["do_lower_case"]:
            texts = [t.lower() for t in texts]
        if not texts:
            return np.empty((0, self.pipeline["hidden_size"]), dtype=np.float32)
        session = self.session()
        out: np.ndarray | None = None
        for rows, feed in length_batches(self.tokenizer().encode_batch(texts), self.batch_size):
            hidden = session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
            vectors = pool(hidden, feed["attention_mask"], self.pipeline["pooling"], self.pipeline["normalize"])
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors  # back in input order
        return out

    def __repr__(self) -> str:
        return f"OnnxEmbedder({self.name!r}, identity={self.identity!r})"
