"""Embedding throughput: torch (sentence-transformers) against the ONNX Runtime backends, on the same texts.

    python benchmarks/bench_embed.py [--corpus bundled|arxiv|both] [--limit N] [--threads N] [--rounds 2]

For each corpus (the bundled 266 papers; the 2,000-paper arXiv sample) and backend (torch, onnx-fp32, onnx-int8):
documents/s by wall clock and per CPU-second (process time: on a busy machine the wall clock measures the
neighbours too, CPU time much less so), the best of `--rounds` interleaved rounds, and the mean and minimum cosine
of each backend's vectors to the torch ones. Also the time of the one-off ONNX export (into a fresh folder) unless
--no-export. `--quality` prints instead the model card of the default topic pipeline on the bundled corpus with each
backend's embeddings (NPMI, diversity, outliers, topics; the NMF baseline as in 04_compare) and
the adjusted Rand index between the torch and onnx-int8 partitions. Texts are title + abstract as the topic
notebooks embed them (nbkit.embed.document_texts).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CORPORA = {"bundled": ROOT / "data" / "raw" / "hf_papers",
           "arxiv": ROOT / "benchmarks" / "corpora" / "arxiv_sample" / "papers.jsonl"}
BACKENDS = ("torch", "onnx-fp32", "onnx-int8")


def texts_of(name: str, limit: int | None) -> list[str]:
    from nbkit.corpus import load_corpus
    from nbkit.embed import document_texts

    texts = document_texts(load_corpus([str(CORPORA[name])]).papers)
    return texts[:limit] if limit else texts


def timed(encode, texts: list[str]) -> tuple[np.ndarray, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = encode(texts)
    return vectors, time.perf_counter() - wall, time.process_time() - cpu


def quality(cache_dir: str) -> None:
    import pandas as pd

    from nbkit.corpus import load_corpus
    from nbkit.embed import document_texts
    from nbkit.quality import compute_model_card, fit_baseline
    from nbkit.topics import TopicSettings, topic_summary

    papers = load_corpus([str(CORPORA["bundled"])]).papers
    texts = document_texts(papers)
    rows, topics = [], {}
    for backend in BACKENDS:
        summary = topic_summary(papers, TopicSettings(embedding_backend=backend), cache_dir=cache_dir, progress=False)
        topics[backend] = summary.assignments["topic"].to_numpy()
        rows.append({"model": f"default ({backend})", "topic_words": summary.topic_words(), "documents": texts,
                     "doc_topics": topics[backend], "fit_seconds": summary.fit_seconds})
    n_topics = int((pd.Series(topics["onnx-int8"]).drop_duplicates() >= 0).sum())
    rows.append(fit_baseline(texts, "nmf", n_topics, seed=42).card_row(texts))
    print(compute_model_card(rows).to_string(index=False))
    from sklearn.metrics import adjusted_rand_score

    print(f"\ntorch vs onnx-int8 partitions: ARI {adjusted_rand_score(topics['torch'], topics['onnx-int8']):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=[*CORPORA, "both"], default="both")
    parser.add_argument("--limit", type=int, help="first N texts of each corpus only")
    parser.add_argument("--threads", type=int, help="threads for every backend (default: the CPUs available)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-export", action="store_true", help="do not time a fresh export")
    parser.add_argument("--quality", action="store_true", help="print the topic model card per backend instead")
    parser.add_argument("--cache-dir", help="nbkit cache for --quality (default: a new temporary folder)")
    args = parser.parse_args()
    if args.quality:
        quality(args.cache_dir or tempfile.mkdtemp(prefix="nbkit-bench-embed-"))
        return

    import torch

    from nbkit.embed import make_embedder
    from nbkit.onnx_embed import OnnxEmbedder, available_cores

    threads = args.threads or available_cores()
    torch.set_num_threads(threads)
    print(f"{threads} threads, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    if not args.no_export:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            OnnxEmbedder(model_dir=folder).ensure_exported()
            print(f"export (torch.onnx + fusions + int8 quantization, in this process): "
                  f"{time.perf_counter() - start:.1f} s")
    embedders = {b: make_embedder(backend=b, **({} if b == "torch" else {"threads": threads})) for b in BACKENDS}
    for embedder in embedders.values():
        embedder.encode(["warm-up: load the model and open the session."])
    names = list(CORPORA) if args.corpus == "both" else [args.corpus]
    rows = []
    for name in names:
        texts = texts_of(name, args.limit)
        best: dict[str, tuple[float, float]] = {}
        vectors: dict[str, np.ndarray] = {}
        for _ in range(args.rounds):  # interleaved, so a busy spell hits every backend alike
            for backend, embedder in embedders.items():
                v, wall, cpu = timed(embedder.encode, texts)
                vectors[backend] = v
                w, c = best.get(backend, (np.inf, np.inf))
                best[backend] = (min(w, wall), min(c, cpu))
        for backend in BACKENDS:
            wall, cpu = best[backend]
            cosine = (vectors[backend] * vectors["torch"]).sum(axis=1)
            rows.append((name, len(texts), backend, len(texts) / wall, len(texts) / cpu,
                         len(texts) / cpu / (len(texts) / best["torch"][1]), cosine.mean(), cosine.min()))
    print(f"load average {os.getloadavg()[0]:.1f} at the end\n")
    print("| corpus | texts | backend | docs/s (wall) | docs per CPU-s | x torch (CPU) | mean cosine | min cosine |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for name, n, backend, wall, cpu, ratio, mean, low in rows:
        print(f"| {name} | {n} | {backend} | {wall:.1f} | {cpu:.1f} | {ratio:.2f} | {mean:.4f} | {low:.4f} |")


if __name__ == "__main__":
    main()
