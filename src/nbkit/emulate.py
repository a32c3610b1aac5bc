"""Run a command as if on another CPU: the environment settings that make torch, MKL, oneDNN, OpenBLAS, numba and
numpy take the code paths of an older or smaller x86-64 machine.

    nbkit emulate-cpu generic -- python -m pytest notebooks     # nbval as on an SSE4.1-only machine
    nbkit check-cpus data/raw/hf_papers                         # the same topics under every configuration?
    emulated_environment("avx2", numba_cache_dir="/tmp/x")      # the variables, for subprocess.run(env=...)

Float results of numeric kernels differ between such code paths in the last bits; nbkit's topics must not. Each
setting only takes effect when the process starts, so every configuration needs a process of its own, with an
empty numba cache (numba would otherwise reuse machine code compiled for the host).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbkit.errors import NbkitError
from nbkit.paths import MODEL_ENV, model_path

if TYPE_CHECKING:
    import pandas as pd


def cpu_info() -> tuple[str, set[str]]:
    """The real CPU's model name and instruction-set flags (Linux's /proc/cpuinfo; elsewhere what `platform` knows,
    and no flags). What the emulation cannot change: ONNX Runtime's kernels follow these (README, Reproducible
    topics), so a run's manifest records the model and the benchmarks print both."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:  # not Linux
        return platform.processor() or platform.machine(), set()
    model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                 platform.machine())
    flags = next((set(line.split(":", 1)[1].split()) for line in info if line.startswith("flags")), set())
    return model, flags


_AVX512 = "AVX512F,AVX512CD,AVX512_SKX,AVX512_CLX,AVX512_CNL,AVX512_ICL,AVX512_SPR,X86_V4"

# "native" leaves everything as the machine is; the others follow the recipe in the reproducible-topics issue.
# On a CPU without AVX-512 some names are absent, which numpy and the others accept.
CPU_CONFIGS: dict[str, dict[str, str]] = {
    "native": {},
    "avx2": {
        "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2",
        "OMP_NUM_THREADS": "1", "NUMBA_CPU_NAME": "haswell", "OPENBLAS_CORETYPE": "Haswell",
        "NPY_DISABLE_CPU_FEATURES": _AVX512,
    },
    "generic": {
        "ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "ONEDNN_MAX_CPU_ISA": "SSE41",
        "NUMBA_CPU_NAME": "generic", "OPENBLAS_CORETYPE": "Prescott",
        "NPY_DISABLE_CPU_FEATURES": _AVX512 + ",AVX2,FMA3,X86_V3,AVX,F16C",
    },
}


def emulated_environment(name: str, base: Mapping[str, str] | None = None, *, numba_cache_dir: str | None = None,
                         nbkit_cache_dir: str | None = None) -> dict[str, str]:
    """`base` (default: os.environ) with the settings of CPU configuration `name`, a numba cache and an nbkit
    cache (new empty folders unless given), and no inherited emulation settings from another configuration."""
    if name not in CPU_CONFIGS:
        raise NbkitError(f"unknown CPU configuration {name!r}; known: {', '.join(CPU_CONFIGS)}")
    env = dict(os.environ if base is None else base)
    for settings in CPU_CONFIGS.values():  # one configuration per process: never a mix of two
        for key in settings:
            env.pop(key, None)
    env.update(CPU_CONFIGS[name])
    env["NUMBA_CACHE_DIR"] = numba_cache_dir or tempfile.mkdtemp(prefix=f"nbkit-numba-{name}-")
    env["NBKIT_CACHE_DIR"] = nbkit_cache_dir or tempfile.mkdtemp(prefix=f"nbkit-cache-{name}-")
    env["NBKIT_CPU_CONFIG"] = name
    return env


def exec_emulated(name: str, command: Sequence[str]) -> None:
    """Replace this process with `command` running under CPU configuration `name`."""
    if not command:
        raise NbkitError("emulate-cpu needs a command to run, after --")
    env = emulated_environment(name)
    try:
        os.execvpe(command[0], list(command), env)
    except OSError as exc:
        raise NbkitError(f"cannot run {command[0]}: {exc.strerror}") from None


# --- the same topics under every configuration? ------------------------------------------------------------------

def topic_fingerprint(paths: Sequence[str], parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What must not depend on the CPU: every paper's topic, and each topic's size, label and terms, for the
    corpus at `paths` fitted with TopicSettings(**parameters) from an empty cache."""
    from nbkit.corpus import load_corpus
    from nbkit.topics import TopicSettings, compute_assignments, compute_topic_table, fit_topics

    papers = load_corpus(list(paths)).papers
    result = fit_topics(papers, TopicSettings.from_parameters(**dict(parameters or {})), progress=False)
    table = compute_topic_table(result)
    return {
        "paper_id": result.papers["paper_id"].astype(str).tolist(),
        "topic": compute_assignments(result)["topic"].astype(int).tolist(),
        "topics": {str(t): {"size": int(row["size"]), "label": row["label"], "terms": row["top_terms"]}
                   for t, row in table.iterrows()},
    }


def fingerprint_under(name: str, paths: Sequence[str], parameters: Mapping[str, Any] | None = None, *,
                      own_models: bool = False) -> dict[str, Any]:
    """topic_fingerprint computed in a new process under CPU configuration `name`, with empty caches (and an
    empty models folder too with own_models: each configuration then distils or exports its own model)."""
    with tempfile.TemporaryDirectory(prefix=f"nbkit-{name}-") as folder:
        env = emulated_environment(name, numba_cache_dir=os.path.join(folder, "numba"),
                                   nbkit_cache_dir=os.path.join(folder, "cache"))
        env["HF_HUB_OFFLINE"] = "1"
        # the ONNX export is the model in another format (the same bytes on every CPU, like the packaged weights
        # it is made from): children share this process's export rather than each making one (~30 s). The
        # static model is not: its table is computed (MiniLM + PCA) and differs in the last bits between CPUs,
        # so what a CPU would distil for itself is checked with own_models.
        env[MODEL_ENV] = os.path.join(folder, "models") if own_models else str(model_path())
        command = [sys.executable, "-m", "nbkit.emulate", json.dumps({"paths": list(map(str, paths)),
                                                                      "parameters": dict(parameters or {})})]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise NbkitError(f"the topic fit under CPU configuration {name!r} failed: {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare_across_cpus(paths: Sequence[str], configs: Sequence[str] = tuple(CPU_CONFIGS),
                        parameters: Mapping[str, Any] | None = None, *, own_models: bool = False) -> pd.DataFrame:
    """Fit the topics under each configuration (one process each) and compare them with the first: one row per
    configuration with n_topics, outliers, papers_moved (papers whose topic differs), labels_changed, terms_changed
    and identical. own_models: see fingerprint_under."""
    import pandas as pd  # here: `nbkit`'s parser reads CPU_CONFIGS, and should not import pandas for it

    prints = {name: fingerprint_under(name, paths, parameters, own_models=own_models) for name in configs}
    reference = prints[configs[0]]
    rows = []
    for name, found in prints.items():
        if found["paper_id"] != reference["paper_id"]:
            raise NbkitError(f"configuration {name!r} loaded other papers than {configs[0]!r}")
        moved = sum(a != b for a, b in zip(found["topic"], reference["topic"], strict=True))
        shared = found["topics"].keys() & reference["topics"].keys()
        labels = sum(found["topics"][t]["label"] != reference["topics"][t]["label"] for t in shared)
        terms = sum(found["topics"][t]["terms"] != reference["topics"][t]["terms"] for t in shared)
        labels += len(found["topics"].keys() ^ reference["topics"].keys())
        rows.append({"config": name, "n_topics": sum(t != "-1" for t in found["topics"]),
                     "outliers": found["topics"].get("-1", {}).get("size", 0), "papers_moved": moved,
                     "labels_changed": labels, "terms_changed": terms,
                     "identical": found == reference})
    return pd.DataFrame(rows)


if __name__ == "__main__":  # the child process of fingerprint_under
    request = json.loads(sys.argv[1])
    print(json.dumps(topic_fingerprint(request["paths"], request["parameters"])))
