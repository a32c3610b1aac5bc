"""The same topics on every CPU: emulated CPU configurations really change the numeric code paths, and the topic
fit still gives identical assignments, labels and terms under each (a process per configuration, empty caches)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nbkit.emulate import CPU_CONFIGS, compare_across_cpus, emulated_environment
from nbkit.errors import NbkitError
from tests.conftest import BUNDLED

PROBE = """
import json, sys
import numpy, torch
from nbkit.embed import SentenceEmbedder
features = numpy._core._multiarray_umath.__cpu_features__  # X86_V3: the AVX2 + FMA3 level numpy dispatches on
vectors = SentenceEmbedder().encode(["Robots grasp objects.", "Proteins fold.", "Speech is recognised."])
print(json.dumps({"avx2": bool(features.get("X86_V3")), "torch": torch.backends.cpu.get_cpu_capability(),
                  "vectors": vectors.astype(float).tolist()}))
"""


def _probe(name: str, tmp_path) -> dict:
    env = emulated_environment(name, numba_cache_dir=str(tmp_path / f"numba-{name}"),
                               nbkit_cache_dir=str(tmp_path / f"cache-{name}"))
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_configuration_replaces_every_inherited_setting():
    base = {"PATH": "/bin", "NUMBA_CPU_NAME": "haswell", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "NUMBA_CACHE_DIR": "/x"}
    env = emulated_environment("generic", base, numba_cache_dir="/tmp/n", nbkit_cache_dir="/tmp/c")
    assert env["PATH"] == "/bin" and env["NUMBA_CPU_NAME"] == "generic" and env["NUMBA_CACHE_DIR"] == "/tmp/n"
    assert "MKL_ENABLE_INSTRUCTIONS" not in env  # an avx2 setting must not leak into the generic machine
    assert env["NPY_DISABLE_CPU_FEATURES"].endswith("AVX2,FMA3,X86_V3,AVX,F16C")
    native = emulated_environment("native", base, numba_cache_dir="/tmp/n", nbkit_cache_dir="/tmp/c")
    assert not set(native) & {key for settings in CPU_CONFIGS.values() for key in settings}
    with pytest.raises(NbkitError, match="unknown CPU configuration 'arm'"):
        emulated_environment("arm")


def test_the_generic_configuration_really_takes_other_code_paths(tmp_path):
    native, generic = _probe("native", tmp_path), _probe("generic", tmp_path)
    assert generic["avx2"] is False and generic["torch"] == "DEFAULT"
    if not native["avx2"]:
        pytest.skip("this CPU has no AVX2: native and generic take the same code paths")
    a, b = np.array(native["vectors"]), np.array(generic["vectors"])
    assert not np.array_equal(a, b)  # the float noise the topics must not amplify...
    np.testing.assert_allclose(a, b, atol=1e-5)  # ...and it is only noise


def test_topics_are_identical_under_every_cpu_configuration():
    table = compare_across_cpus([str(BUNDLED)])
    assert table["config"].tolist() == ["native", "avx2", "generic"]
    assert table["identical"].all(), table.to_string()
    assert (table["papers_moved"] == 0).all() and (table["labels_changed"] == 0).all()
    assert table["n_topics"].iloc[0] >= 5  # a real partition, not one topic everywhere


def test_onnx_topics_are_identical_under_other_thread_counts_and_graph_optimizations(tmp_path):
    """ONNX Runtime has no switch to take another CPU's code paths, so this is the proxy: other intra-op thread
    counts and graph optimization levels (which regroup float work as another CPU's kernels do) must give the same
    topics on the bundled corpus. They give bit-identical vectors, in fact: the int8 products are summed in
    integers (exact in any order, and reduce_range keeps AVX2's 16-bit pair sums from saturating, so VNNI and
    non-VNNI CPUs add the same integers), and ORT splits the float work by rows, never inside a sum."""
    from nbkit.corpus import load_corpus
    from nbkit.onnx_embed import OnnxEmbedder
    from nbkit.topics import TopicSettings, compute_assignments, compute_topic_table, fit_topics

    papers = load_corpus([str(BUNDLED)]).papers
    settings = TopicSettings(stability_runs=0)
    reference_vectors, reference, labels = None, None, None
    for threads, optimization in [(2, "all"), (1, "all"), (2, "disable")]:
        embedder = OnnxEmbedder(threads=threads, optimization=optimization)
        # each its own empty cache: every configuration embeds the corpus itself
        result = fit_topics(papers, settings, embedder=embedder, cache_dir=tmp_path / f"{threads}-{optimization}",
                            progress=False)
        vectors = result.embeddings
        topics = compute_assignments(result)["topic"].tolist()
        table = compute_topic_table(result)["label"].tolist()
        if reference is None:
            reference_vectors, reference, labels = vectors, topics, table
            continue
        assert topics == reference, (threads, optimization)
        assert table == labels
        np.testing.assert_array_equal(vectors, reference_vectors)
    assert len(set(reference)) >= 6  # a real partition


def test_topics_fitted_on_a_sample_are_identical_on_the_generic_cpu():
    # the large-corpus path (tree on the papers of smallest text hash, the rest assigned to the nearest centre),
    # forced on the bundled corpus by a cap of 150 of its 266 papers
    table = compare_across_cpus([str(BUNDLED)], ("native", "generic"), {"max_fit_papers": 150})
    assert table["identical"].all(), table.to_string()
    assert table["n_topics"].iloc[0] >= 3


def test_emulate_cpu_runs_a_command_under_a_configuration():
    nbkit = Path(sys.executable).with_name("nbkit")
    done = subprocess.run([str(nbkit), "emulate-cpu", "generic", "--", sys.executable, "-c",
                           "import os; print(os.environ['NUMBA_CPU_NAME'], os.environ['NBKIT_CPU_CONFIG'])"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["generic", "generic"]
    missing = subprocess.run([str(nbkit), "emulate-cpu", "generic", "--", "no-such-command-here"],
                             capture_output=True, text=True, check=False)
    assert missing.returncode == 2 and missing.stderr.startswith("nbkit: error: cannot run no-such-command-here")


def test_static_topics_are_identical_on_the_generic_cpu():
    # the static backend's encoding (token rows averaged in numpy, float16) and the fit under SSE4.1-only code
    # paths; both share this session's distilled table. Each CPU distilling its own table (MiniLM + PCA differ in
    # the last bits) was checked by hand, as `nbkit check-cpus --own-models -p embedding_backend static` does:
    # identical (benchmarks/results/static_cpus.md), but minutes per CPU, slower than a test should be.
    from nbkit.static_embed import StaticEmbedder

    StaticEmbedder().ensure_distilled()
    table = compare_across_cpus([str(BUNDLED)], ("native", "generic"), {"embedding_backend": "static"})
    assert table["identical"].all(), table.to_string()


def test_own_models_gives_each_configuration_an_empty_models_folder(monkeypatch, tmp_path):
    import nbkit.emulate

    seen = []

    def fake_run(command, env, **kwargs):
        seen.append(env["NBKIT_MODEL_DIR"])
        return subprocess.CompletedProcess(command, 0, stdout='{"paper_id": []}\n', stderr="")

    monkeypatch.setattr(nbkit.emulate.subprocess, "run", fake_run)
    monkeypatch.setenv("NBKIT_MODEL_DIR", str(tmp_path / "shared"))
    nbkit.emulate.fingerprint_under("generic", ["x"])
    nbkit.emulate.fingerprint_under("generic", ["x"], own_models=True)
    assert seen[0] == str(tmp_path / "shared")  # by default the children share this process's models
    assert seen[1] != seen[0] and seen[1].endswith("/models") and "nbkit-generic-" in seen[1]
