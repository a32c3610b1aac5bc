"""Can MiniLM embed 3x faster than torch on this CPU? Every candidate runtime and quantization on the same texts.

    python benchmarks/bench_embed_fast.py [--corpus bundled] [--limit N] [--rounds 2] [--only NAME,...]
    python benchmarks/bench_embed_fast.py --gemm          # GFLOP/s of fp32 and int8 matrix products per runtime
    python benchmarks/bench_embed_fast.py --cpus NAME     # NAME's vectors under each emulated CPU, and topics

OpenVINO and NNCF are not nbkit dependencies: install them beside the venv, e.g.
`pip install --no-deps --target extra openvino nncf openvino-telemetry ninja pydot tabulate` and put `extra` on
PYTHONPATH after src; their candidates are skipped when `openvino` does not import.

Candidates (all read the packaged all-MiniLM-L6-v2, tokenize with its tokenizer.json truncated at 256 tokens, and
mean-pool + normalize with nbkit.onnx_embed.pool, except torch which is sentence-transformers itself):
  torch            sentence-transformers + torch, batch 32 (the nbkit default)
  ort-fp32         ONNX Runtime, nbkit's export (BERT fusions), batch 16 sorted by length (nbkit's onnx-fp32)
  ort-int8-dyn     nbkit's onnx-int8: dynamic int8, per channel, 7-bit weights, one text per run
  ort-int8-dyn-b16 the same file, batch 16 (faster, but a vector then depends on its batch: see onnx_embed)
  ort-int8-qdq     static int8 QDQ (activations scaled by calibration, so batch-independent), per channel,
                   7-bit weights, on the unfused export, batch 16
  ort-int8-nncf    NNCF's static int8 (SmoothQuant, bias correction) saved as ONNX QDQ, run by ONNX Runtime, batch 16
  ov-fp32          OpenVINO CPU plugin on the unfused export, batch 16, LATENCY hint
  ov-fp32-tput     the same, THROUGHPUT hint (one stream per core, batches in flight on an AsyncInferQueue)
  ov-int8          NNCF static int8 (model_type TRANSFORMER, calibrated), batch 16, LATENCY hint
  ov-int8-tput     the same, THROUGHPUT hint
Static quantization is calibrated on 300 texts of the arXiv sample (its papers 1000-1299), never on the texts timed.

Reported per candidate: docs/s by the wall clock and CPU seconds per 1,000 docs (process time: the machine is
shared, so wall time also measures the neighbours), best of --rounds interleaved rounds, x torch on CPU time, and
the mean and minimum cosine to the torch vectors. Timings on a shared machine are noisy; compare rows of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CORPORA = {"bundled": ROOT / "data" / "raw" / "hf_papers",
           "arxiv": ROOT / "benchmarks" / "corpora" / "arxiv_sample" / "papers.jsonl"}
WORK = Path(os.environ.get("NBKIT_BENCH_WORK", Path(tempfile.gettempdir()) / "nbkit-bench-embed-fast"))
CALIBRATION = slice(1000, 1300)  # arXiv sample papers used to calibrate static quantization
MAX_LENGTH = 256


def texts_of(name: str, limit: int | None = None, rows: slice | None = None) -> list[str]:
    from nbkit.corpus import load_corpus
    from nbkit.embed import document_texts

    texts = document_texts(load_corpus([str(CORPORA[name])]).papers)
    texts = texts[rows] if rows else texts
    return texts[:limit] if limit else texts


def tokenizer() -> Any:
    from tokenizers import Tokenizer

    from nbkit.embed import resolve_model

    tok = Tokenizer.from_file(str(resolve_model(None) / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(MAX_LENGTH)
    return tok


def batches(texts: list[str], size: int) -> list[tuple[np.ndarray, dict[str, np.ndarray]]]:
    """(rows, feed) per batch of texts of similar length, padded to the batch's longest: nbkit.onnx_embed's way."""
    from nbkit.onnx_embed import length_batches

    return list(length_batches(tokenizer().encode_batch([t.strip() for t in texts]), size))


def padding_share(texts: list[str], size: int) -> tuple[float, float]:
    """(share of texts truncated at MAX_LENGTH, share of padded positions in batches of `size` sorted by length)."""
    encodings = tokenizer().encode_batch([t.strip() for t in texts])
    lengths = np.array([len(e.ids) for e in encodings])
    padded = sum(int(lengths[b[0]].max()) * len(b[0]) for b in batches(texts, size))
    return float((lengths >= MAX_LENGTH).mean()), 1 - lengths.sum() / padded


# --- model files ------------------------------------------------------------------------------------------------

def artefacts(names: list[str] | None = None) -> dict[str, Path]:
    """The ONNX and OpenVINO files the candidates `names` (None: all) run, built once under WORK (minutes: export
    and calibration)."""
    from nbkit.embed import resolve_model
    from nbkit.onnx_embed import OnnxEmbedder, _torch_export

    WORK.mkdir(parents=True, exist_ok=True)
    nbkit_export = OnnxEmbedder().ensure_exported().parent  # nbkit's own: fused fp32 and dynamic int8
    files = {"fused-fp32": nbkit_export / "model-fp32.onnx", "int8-dyn": nbkit_export / "model-int8.onnx",
             "raw": WORK / "raw.onnx", "int8-qdq": WORK / "int8-qdq.onnx", "ov-int8": WORK / "ov-int8.xml",
             "int8-nncf": WORK / "int8-nncf.onnx"}
    if not files["raw"].is_file():
        _torch_export(resolve_model(None), files["raw"], MAX_LENGTH)  # unfused: what OpenVINO and QDQ read
    calibration = None
    wanted = " ".join(names) if names else "ort-int8-qdq ov-int8 ort-int8-nncf"
    if "ort-int8-qdq" in wanted and not files["int8-qdq"].is_file():
        calibration = [feed for _, feed in batches(texts_of("arxiv", rows=CALIBRATION), 1)]
        quantize_qdq(files["raw"], files["int8-qdq"], calibration)
    if "ov-int8" in wanted and have_openvino() and not files["ov-int8"].is_file():
        calibration = calibration or [feed for _, feed in batches(texts_of("arxiv", rows=CALIBRATION), 1)]
        quantize_nncf(files["raw"], files["ov-int8"], calibration)
    if "ort-int8-nncf" in wanted and have_openvino() and not files["int8-nncf"].is_file():
        calibration = calibration or [feed for _, feed in batches(texts_of("arxiv", rows=CALIBRATION), 1)]
        quantize_nncf_onnx(files["raw"], files["int8-nncf"], calibration)
    return files


def quantize_qdq(raw: Path, out: Path, calibration: list[dict[str, np.ndarray]]) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(calibration)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.items, None)

    prepared = out.with_suffix(".pre.onnx")
    quant_pre_process(str(raw), str(prepared), skip_symbolic_shape=True)
    quantize_static(str(prepared), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    reduce_range=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    op_types_to_quantize=["MatMul"], extra_options={"MatMulConstBOnly": True})
    prepared.unlink()


def have_openvino() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def quantize_nncf(raw: Path, out: Path, calibration: list[dict[str, np.ndarray]]) -> None:
    import nncf
    import openvino as ov

    model = ov.Core().read_model(str(raw))
    quantized = nncf.quantize(model, nncf.Dataset(calibration), model_type=nncf.ModelType.TRANSFORMER,
                              subset_size=len(calibration))
    ov.save_model(quantized, str(out), compress_to_fp16=False)


def quantize_nncf_onnx(raw: Path, out: Path, calibration: list[dict[str, np.ndarray]]) -> None:
    """NNCF's recipe (SmoothQuant, bias correction) written as an ONNX QDQ file that ONNX Runtime runs."""
    import nncf
    import onnx

    quantized = nncf.quantize(onnx.load(str(raw)), nncf.Dataset(calibration),
                              model_type=nncf.ModelType.TRANSFORMER, subset_size=len(calibration))
    onnx.save(quantized, str(out))


# --- candidates -------------------------------------------------------------------------------------------------

def pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    from nbkit.onnx_embed import pool

    return pool(hidden, mask, "mean", True)


class OrtCandidate:
    def __init__(self, path: Path, batch: int, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # as nbkit's OnnxEmbedder
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.batch = batch

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), 384), dtype=np.float32)
        for rows, feed in batches(texts, self.batch):
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
            out[rows] = pooled(hidden, feed["attention_mask"])
        return out


class OvCandidate:
    def __init__(self, path: Path, batch: int, threads: int, hint: str) -> None:
        import openvino as ov

        core = ov.Core()
        config = {"PERFORMANCE_HINT": hint, "INFERENCE_NUM_THREADS": threads,
                  "INFERENCE_PRECISION_HINT": "f32"}  # f32: no bf16/fp16 on this CPU, and never a silent downcast
        self.compiled = core.compile_model(core.read_model(str(path)), "CPU", config)
        self.streams = int(self.compiled.get_property("NUM_STREAMS"))
        self.batch = batch

    def encode(self, texts: list[str]) -> np.ndarray:
        import openvino as ov

        out = np.empty((len(texts), 384), dtype=np.float32)
        work = batches(texts, self.batch)

        def done(request: Any, index: int) -> None:
            rows, feed = work[index]
            out[rows] = pooled(request.get_output_tensor(0).data, feed["attention_mask"])

        queue = ov.AsyncInferQueue(self.compiled, max(1, self.streams))
        queue.set_callback(done)
        for index, (_, feed) in enumerate(work):
            queue.start_async(feed, index)
        queue.wait_all()
        return out


class TorchCandidate:
    def __init__(self) -> None:
        from nbkit.embed import SentenceEmbedder

        self.embedder = SentenceEmbedder()

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.embedder.encode(texts)


def make_candidates(names: list[str], threads: int) -> dict[str, Any]:
    files = artefacts(names)
    factories = {
        "torch": TorchCandidate,
        "ort-fp32": lambda: OrtCandidate(files["fused-fp32"], 16, threads),
        "ort-int8-dyn": lambda: OrtCandidate(files["int8-dyn"], 1, threads),
        "ort-int8-dyn-b16": lambda: OrtCandidate(files["int8-dyn"], 16, threads),
        "ort-int8-qdq": lambda: OrtCandidate(files["int8-qdq"], 16, threads),
        "ort-int8-nncf": lambda: OrtCandidate(files["int8-nncf"], 16, threads),
        "ov-fp32": lambda: OvCandidate(files["raw"], 16, threads, "LATENCY"),
        "ov-fp32-tput": lambda: OvCandidate(files["raw"], 16, threads, "THROUGHPUT"),
        "ov-int8": lambda: OvCandidate(files["ov-int8"], 16, threads, "LATENCY"),
        "ov-int8-tput": lambda: OvCandidate(files["ov-int8"], 16, threads, "THROUGHPUT"),
    }
    if not have_openvino():
        names = [n for n in names if not n.startswith("ov-")]
    return {name: factories[name]() for name in names}


def measure(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    names = args.only.split(",") if args.only else ["torch", "ort-fp32", "ort-int8-dyn", "ort-int8-dyn-b16",
                                                     "ort-int8-qdq", "ov-fp32", "ov-fp32-tput", "ov-int8",
                                                     "ov-int8-tput"]
    if "torch" not in names:
        names.insert(0, "torch")
    candidates = make_candidates(names, args.threads)
    for candidate in candidates.values():
        candidate.encode(["warm-up: load the model and compile it."] * 2)
    texts = texts_of(args.corpus, args.limit)
    truncated, padding = padding_share(texts, 16)
    print(f"{len(texts)} texts of {args.corpus}: {truncated:.1%} truncated at {MAX_LENGTH} tokens, "
          f"{padding:.2%} padding in length-sorted batches of 16; {args.threads} threads, load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    best: dict[str, tuple[float, float]] = {}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):  # interleaved, so a busy spell hits every candidate alike
        for name, candidate in candidates.items():
            wall, cpu = time.perf_counter(), time.process_time()
            vectors[name] = candidate.encode(texts)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            old = best.get(name, (np.inf, np.inf))
            best[name] = (min(old[0], wall), min(old[1], cpu))
    print(f"load average {os.getloadavg()[0]:.1f} at the end\n")
    rows = []
    for name in candidates:
        wall, cpu = best[name]
        cosine = (vectors[name] * vectors["torch"]).sum(axis=1)
        rows.append({"candidate": name, "texts": len(texts), "docs_per_s": len(texts) / wall,
                     "cpu_s_per_1000": 1000 * cpu / len(texts), "x_torch_cpu": best["torch"][1] / cpu,
                     "x_torch_wall": best["torch"][0] / wall, "cosine_mean": float(cosine.mean()),
                     "cosine_min": float(cosine.min())})
    print("| candidate | docs/s (wall) | CPU s per 1,000 docs | x torch (CPU) | x torch (wall) | cosine mean | min |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['candidate']} | {r['docs_per_s']:.1f} | {r['cpu_s_per_1000']:.0f} | {r['x_torch_cpu']:.2f} | "
              f"{r['x_torch_wall']:.2f} | {r['cosine_mean']:.4f} | {r['cosine_min']:.4f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"corpus": args.corpus, "threads": args.threads, "rows": rows},
                                              indent=1) + "\n")


# --- matrix products alone ----------------------------------------------------------------------------------------

GEMM_SHAPES = ((4096, 384, 1536), (4096, 1536, 384))  # 16 texts x 256 tokens through MiniLM's feed-forward layers


def gemm_models(m: int, k: int, n: int, folder: Path) -> dict[str, Path]:
    """One-product ONNX files: fp32 MatMul, and the same as QDQ (u8 activations, s8 per-channel 7-bit weights),
    which ONNX Runtime runs as an int8 product and OpenVINO as an int8 FullyConnected."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    b = rng.standard_normal((k, n)).astype(np.float32) * 0.05
    a_info = helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])
    y_info = helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])
    fp32 = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["y"])], "mm", [a_info], [y_info],
                             [numpy_helper.from_array(b, "b")])
    w_scale = (np.abs(b).max(axis=0) / 63).astype(np.float32)  # 7-bit, per output column
    w_q = np.round(b / w_scale).astype(np.int8)
    inits = [numpy_helper.from_array(w_q, "bq"), numpy_helper.from_array(w_scale, "bs"),
             numpy_helper.from_array(np.zeros(n, np.int8), "bz"),
             numpy_helper.from_array(np.array(4 / 255, np.float32), "as"),
             numpy_helper.from_array(np.array(128, np.uint8), "az")]
    nodes = [helper.make_node("QuantizeLinear", ["a", "as", "az"], ["aq"]),
             helper.make_node("DequantizeLinear", ["aq", "as", "az"], ["ad"]),
             helper.make_node("DequantizeLinear", ["bq", "bs", "bz"], ["bd"], axis=1),
             helper.make_node("MatMul", ["ad", "bd"], ["y"])]
    qdq = helper.make_graph(nodes, "mmq", [a_info], [y_info], inits)
    out = {}
    for name, graph in (("fp32", fp32), ("int8", qdq)):
        path = folder / f"mm-{m}-{k}-{n}-{name}.onnx"
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
        out[name] = path
    return out


def best_seconds(run: Any, repeats: int = 7) -> tuple[float, float]:
    run()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def gemm(args: argparse.Namespace) -> None:
    import onnxruntime as ort
    import torch

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for m, k, n in GEMM_SHAPES:
            files = gemm_models(m, k, n, Path(folder))
            a = np.random.default_rng(1).standard_normal((m, k)).astype(np.float32)
            flops = 2 * m * k * n
            for threads in sorted({1, args.threads}):
                runs: dict[str, Any] = {}
                torch.set_num_threads(threads)
                at, bt = torch.from_numpy(a), torch.from_numpy(np.ones((k, n), np.float32))
                runs["torch fp32 (mm)"] = lambda at=at, bt=bt: torch.mm(at, bt)
                linear = torch.nn.Linear(k, n, bias=False)
                qlinear = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(linear), {torch.nn.Linear},
                                                                 dtype=torch.qint8)
                runs["torch int8 (dynamic Linear, fbgemm)"] = lambda q=qlinear, at=at: q(at)
                for kind, path in files.items():
                    options = ort.SessionOptions()
                    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
                    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                    runs[f"onnxruntime {kind}"] = lambda s=session, a=a: s.run(None, {"a": a})
                if have_openvino():
                    import openvino as ov

                    core = ov.Core()
                    for kind, path in files.items():
                        compiled = core.compile_model(str(path), "CPU", {
                            "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
                            "INFERENCE_PRECISION_HINT": "f32"})
                        request = compiled.create_infer_request()
                        runs[f"openvino {kind}"] = lambda r=request, a=a: r.infer({0: a})
                for name, run in runs.items():
                    wall, cpu = best_seconds(run)
                    rows.append((f"{m}x{k}x{n}", threads, name, flops / wall / 1e9, flops / cpu / 1e9))
    print(f"load average {os.getloadavg()[0]:.1f}\n")
    print("| product (MxKxN) | threads | runtime | GFLOP/s (wall) | GFLOP per CPU-s |")
    print("|---|---:|---|---:|---:|")
    for shape, threads, name, wall, cpu in rows:
        print(f"| {shape} | {threads} | {name} | {wall:.0f} | {cpu:.0f} |")


# --- the same vectors and topics on every CPU? ---------------------------------------------------------------------

def corpora(args: argparse.Namespace) -> list[str]:
    return list(CORPORA) if args.corpus == "both" else [args.corpus]


class FixedEmbedder:
    """Vectors computed beforehand, served by text: lets fit_topics cluster another process's vectors."""

    def __init__(self, identity: str, texts: list[str], vectors: np.ndarray) -> None:
        self.identity = identity
        self.table = dict(zip(texts, vectors, strict=True))

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts])


def write_vectors(args: argparse.Namespace) -> None:
    """Child of --cpus: the candidate's vectors of both corpora, in this process's (emulated) CPU setting."""
    candidate = make_candidates([args.only], args.threads)[args.only]
    start = time.process_time()
    arrays = {name: candidate.encode(texts_of(name)) for name in corpora(args)}
    arrays["cpu_seconds"] = np.array(time.process_time() - start)
    np.savez(args.vectors_to, **arrays)
    # OpenVINO 2026.4's threads kept this child waiting on a futex at interpreter exit (seen here: the file was
    # written, the process never ended); the work is saved, so leave without the interpreter's teardown.
    sys.stdout.flush()
    os._exit(0)


def torch_vectors(texts: list[str]) -> np.ndarray:
    """Torch vectors read from nbkit's embedding cache ($NBKIT_TORCH_CACHE, default data/cache), the missing ones
    computed; the cache is only read, never written (it may belong to another checkout)."""
    from nbkit.embed import EmbeddingCache, SentenceEmbedder, text_keys

    embedder = SentenceEmbedder()
    cache = EmbeddingCache(os.environ.get("NBKIT_TORCH_CACHE", ROOT / "data" / "cache"))
    vectors, found = cache.scan(embedder.identity, text_keys(texts))
    missing = np.flatnonzero(~found)
    if len(missing):
        computed = embedder.encode([texts[i] for i in missing])
        vectors = np.empty((len(texts), computed.shape[1]), np.float32) if vectors is None else vectors
        vectors[missing] = computed
    return vectors


def partition(name: str, vectors: np.ndarray, identity: str) -> np.ndarray:
    from nbkit.corpus import load_corpus
    from nbkit.embed import document_texts
    from nbkit.topics import TopicSettings, compute_assignments, fit_topics

    papers = load_corpus([str(CORPORA[name])]).papers
    texts = document_texts(papers)
    result = fit_topics(papers, TopicSettings(), embedder=FixedEmbedder(identity, texts, vectors), progress=False)
    return compute_assignments(result)["topic"].to_numpy()


def across_cpus(args: argparse.Namespace) -> None:
    from sklearn.metrics import adjusted_rand_score

    from nbkit.emulate import CPU_CONFIGS, emulated_environment

    artefacts([args.cpus])  # built once here, read by every child (the model files are inputs, as nbkit's exports are)
    found: dict[str, dict[str, np.ndarray]] = {}
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder:
        for config in CPU_CONFIGS:
            out = Path(folder) / f"{config}.npz"
            env = emulated_environment(config, numba_cache_dir=f"{folder}/numba-{config}",
                                       nbkit_cache_dir=f"{folder}/cache-{config}")
            done = subprocess.run([sys.executable, __file__, "--only", args.cpus, "--threads", str(args.threads),
                                   "--corpus", args.corpus, "--vectors-to", str(out)], env=env, check=False,
                                   capture_output=True, text=True)
            if done.returncode != 0:  # a runtime that cannot run under this setting is a finding, not a crash
                failed[config] = ([line for line in done.stderr.splitlines() if line.strip()] or ["?"])[-1]
                continue
            with np.load(out) as data:
                found[config] = {k: data[k] for k in data.files}
    print(f"{args.cpus}: vectors and default topics under each emulated CPU configuration (nbkit.emulate)\n")
    print("| corpus | config | CPU s to embed | vectors differing from native | max abs diff | papers moved "
          "| topics | ARI to torch |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for config, error in failed.items():
        print(f"| all | {config} | failed: {error} | | | | | |")
    for name in corpora(args):
        texts = texts_of(name)
        reference = partition(name, torch_vectors(texts), "torch")
        native = None
        for config, arrays in found.items():
            vectors = arrays[name]
            topics = partition(name, vectors, f"{args.cpus}-{config}")
            native = topics if native is None else native
            diff = np.abs(vectors - found["native"][name])
            print(f"| {name} | {config} | {float(arrays['cpu_seconds']):.0f} | {int((diff > 0).any(axis=1).sum())} | "
                  f"{diff.max():.1e} | {int((topics != native).sum())} | {len(set(topics) - {-1})} | "
                  f"{adjusted_rand_score(reference, topics):.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=[*CORPORA, "both"], default="bundled", help="both: --cpus only")
    parser.add_argument("--limit", type=int, help="first N texts only")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", help="comma-separated candidates (torch is always run: the reference)")
    parser.add_argument("--json", help="also write the table to this JSON file")
    parser.add_argument("--gemm", action="store_true", help="matrix-product GFLOP/s per runtime instead")
    parser.add_argument("--cpus", metavar="NAME", help="NAME's vectors and topics under each emulated CPU instead")
    parser.add_argument("--vectors-to", help=argparse.SUPPRESS)  # the child process of --cpus
    args = parser.parse_args()
    if args.vectors_to:
        write_vectors(args)
    elif args.gemm:
        gemm(args)
    elif args.cpus:
        across_cpus(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
