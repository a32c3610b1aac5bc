"""The static backend's speed and its quality cost: torch against the model2vec table distilled from the same MiniLM.

    python benchmarks/bench_static.py [--corpus bundled|arxiv|both] [--torch-limit 300] [--cache-dir DIR]
                                      [--out benchmarks/results/static_embed]

For each corpus (the bundled 266 papers; the 2,000-paper arXiv sample):
- documents/s of torch and static on the same texts (the first --torch-limit texts: torch needs ~1 s a text on a
  busy 2-core machine), by wall clock and per CPU-second, after each model is loaded; static also on all texts;
- the default topic fit (TopicSettings(), stability_runs=0: the stability check refits and does not move a paper)
  with each backend: topics, outlier share, NPMI@10, diversity (nbkit.quality.compute_model_card, as 04_compare's
  model card), the NMF baseline with as many topics as torch found, and the adjusted Rand index between the torch
  and static partitions (cosines between the two are meaningless: they are different spaces).
Also the one-off distillation (into a fresh folder) unless --no-distill. Writes <out>.json and <out>.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CORPORA = {"bundled": ROOT / "data" / "raw" / "hf_papers",
           "arxiv": ROOT / "benchmarks" / "corpora" / "arxiv_sample" / "papers.jsonl"}
BACKENDS = ("torch", "static")


def timed(encode, texts: list[str]) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    encode(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"texts": len(texts), "docs_per_s": round(len(texts) / wall, 1),
            "docs_per_cpu_s": round(len(texts) / max(cpu, 1e-9), 1)}


def speed(embedders: dict, texts: list[str], torch_limit: int) -> dict[str, dict[str, float]]:
    first = texts[:torch_limit]
    out = {f"{b} ({len(first)} texts)": timed(e.encode, first) for b, e in embedders.items()}
    if len(texts) > len(first):
        out[f"static ({len(texts)} texts)"] = timed(embedders["static"].encode, texts)
    return out


def quality(papers, cache_dir: str) -> tuple[list[dict], float]:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from nbkit.embed import document_texts
    from nbkit.quality import compute_model_card, fit_baseline
    from nbkit.topics import TopicSettings, topic_summary

    texts = document_texts(papers)
    rows, topics = [], {}
    for backend in BACKENDS:
        settings = TopicSettings(embedding_backend=backend, stability_runs=0)
        start = time.perf_counter()
        summary = topic_summary(papers, settings, cache_dir=cache_dir, progress=False)
        print(f"  {backend} topic fit: {time.perf_counter() - start:.0f} s", flush=True)
        topics[backend] = summary.assignments["topic"].to_numpy()
        rows.append({"model": f"default ({backend})", "topic_words": summary.topic_words(), "documents": texts,
                     "doc_topics": topics[backend], "fit_seconds": summary.fit_seconds})
    n_topics = len(np.unique(topics["torch"][topics["torch"] >= 0]))
    rows.append(fit_baseline(texts, "nmf", n_topics, seed=42).card_row(texts, f"NMF ({n_topics} topics)"))
    card = compute_model_card(rows)
    return card.to_dict("records"), round(float(adjusted_rand_score(topics["torch"], topics["static"])), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=[*CORPORA, "both"], default="both")
    parser.add_argument("--torch-limit", type=int, default=300, help="texts timed with both backends")
    parser.add_argument("--cache-dir", help="nbkit cache (default: a new temporary folder); torch vectors already "
                                            "there are reused by the topic fits, never by the timings")
    parser.add_argument("--no-distill", action="store_true", help="do not time a fresh distillation")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "static_embed"))
    args = parser.parse_args()

    from nbkit.corpus import load_corpus
    from nbkit.embed import document_texts, make_embedder
    from nbkit.static_embed import StaticEmbedder

    report: dict = {"cpus": os.cpu_count(), "load_average_start": round(os.getloadavg()[0], 1), "corpora": {}}
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    if not args.no_distill:
        with tempfile.TemporaryDirectory() as folder:
            wall, cpu = time.perf_counter(), time.process_time()
            StaticEmbedder(model_dir=folder).ensure_distilled(announce=False)
            report["distill"] = {"wall_s": round(time.perf_counter() - wall, 1),
                                 "cpu_s": round(time.process_time() - cpu, 1)}
            print(f"distillation: {report['distill']}", flush=True)
    embedders = {b: make_embedder(backend=b) for b in BACKENDS}
    for embedder in embedders.values():
        embedder.encode(["warm-up: load the model."])
    report["static_identity"] = embedders["static"].identity
    cache_dir = args.cache_dir or tempfile.mkdtemp(prefix="nbkit-bench-static-")
    for name in (list(CORPORA) if args.corpus == "both" else [args.corpus]):
        papers = load_corpus([str(CORPORA[name])]).papers
        texts = document_texts(papers)
        print(f"{name}: {len(texts)} papers", flush=True)
        entry = {"papers": len(texts), "speed": speed(embedders, texts, args.torch_limit)}
        print(f"  speed: {entry['speed']}", flush=True)
        entry["model_card"], entry["ari_static_vs_torch"] = quality(papers, cache_dir)
        report["corpora"][name] = entry
        print(f"  card: {entry['model_card']}\n  ARI {entry['ari_static_vs_torch']}", flush=True)
    report["load_average_end"] = round(os.getloadavg()[0], 1)
    Path(args.out).with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    Path(args.out).with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


def markdown(report: dict) -> str:
    lines = [f"# static vs torch embeddings ({report['cpus']} CPUs, load average {report['load_average_start']} "
             f"to {report['load_average_end']}: a shared machine, wall-clock figures are noisy)", ""]
    if "distill" in report:
        lines += [f"Distillation, once: {report['distill']['wall_s']} s wall, {report['distill']['cpu_s']} s CPU.", ""]
    lines += ["| corpus | backend (texts) | docs/s (wall) | docs per CPU-second |", "|---|---|---:|---:|"]
    for name, entry in report["corpora"].items():
        for backend, row in entry["speed"].items():
            lines.append(f"| {name} | {backend} | {row['docs_per_s']} | {row['docs_per_cpu_s']} |")
    lines += ["", "| corpus | model | topics | outliers | NPMI@10 | diversity | fit s |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for name, entry in report["corpora"].items():
        for row in entry["model_card"]:
            lines.append(f"| {name} | {row['model']} | {row['n_topics']} | {row['outlier_share']:.1%} | "
                         f"{row['npmi']:.3f} | {row['diversity']:.3f} | {row['fit_seconds']} |")
    lines += [""] + [f"- {name}: adjusted Rand index static vs torch partitions {entry['ari_static_vs_torch']}"
                     for name, entry in report["corpora"].items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
