"""Embedding and loading on a Dask LocalCluster (2 worker processes on 127.0.0.1, random ports): the same results as
in one process, nothing lost when a worker dies mid-job, nothing recomputed on a rerun."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.distributed import (
    EmbedderSpec,
    HashEmbedder,
    embed_corpus,
    embed_partition,
    open_scheduler,
    parse_scheduler,
    partitions,
)
from nbkit.embed import EmbeddingCache, embed_texts, make_embedder, text_keys
from nbkit.errors import NbkitError

FIXTURES = Path(__file__).parent / "fixtures"
BUNDLED = Path(__file__).parent.parent / "data" / "raw" / "hf_papers"
HASH = EmbedderSpec(backend="hash")


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("dask.distributed")
    with open_scheduler("local:2") as client:
        client.wait_for_workers(2, timeout=120)
        yield client


def texts(n: int, prefix: str = "paper") -> list[str]:
    return [f"{prefix} {i}: a study of robot grasping" for i in range(n)]


# --- scheduler option -------------------------------------------------------------------------------------------

def test_scheduler_options_are_read_or_refused_in_one_line():
    assert parse_scheduler(None) == ("none", None)
    assert parse_scheduler("local:3") == ("local", 3)
    assert parse_scheduler("local", workers=2) == ("local", 2)
    assert parse_scheduler("tcp://10.0.0.5:8786") == ("address", "tcp://10.0.0.5:8786")
    for bad, reason in [("local:x", "write local:N"), ("local:0", "write local:N"), ("cluster", "not understood"),
                        ("tcp://", "not understood")]:
        with pytest.raises(NbkitError, match=reason):
            parse_scheduler(bad)
    with pytest.raises(NbkitError, match="disagree"):
        parse_scheduler("local:2", workers=3)
    with pytest.raises(NbkitError, match="--workers needs a scheduler"):
        parse_scheduler(None, workers=2)


def test_local_workers_start_without_dask_s_malloc_trim(client):
    # Dask's MALLOC_TRIM_THRESHOLD_=65536 made every large array of an encode batch a fresh mmap (WORKER_ENVIRON)
    environ = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS")))
    assert list(environ.values()) == [(None, "1"), (None, "1")]


def test_an_unreachable_cluster_is_one_line():
    pytest.importorskip("dask.distributed")
    with pytest.raises(NbkitError, match=r"cannot reach the Dask scheduler at tcp://127.0.0.1:9"), \
            open_scheduler("tcp://127.0.0.1:9", timeout=1):
        pass


# --- partitions -------------------------------------------------------------------------------------------------

def test_a_text_goes_to_the_partition_of_its_hash_whatever_the_order():
    keys = np.array([b"\x00" * 16, b"\x7f\xff\xff\xff" + b"\x00" * 12, b"\x80" + b"\x00" * 15, b"\xff" * 16],
                    dtype="S16")
    parts = partitions(keys, partition_size=2)  # 4 keys, 2 a part: 2 parts, cut at key prefix 0x80000000
    assert [list(keys[p]) for p in parts] == [[keys[0], keys[1]], [keys[2], keys[3]]]
    many = np.unique(text_keys(texts(1000)))
    shuffled = np.random.default_rng(0).permutation(many)
    by_order = {frozenset(many[p].tolist()) for p in partitions(many, 100)}
    assert {frozenset(shuffled[p].tolist()) for p in partitions(shuffled, 100)} == by_order
    assert len(by_order) == 10 and sum(len(s) for s in by_order) == 1000


def test_a_worker_with_another_model_refuses_to_write_the_cache(tmp_path):
    with pytest.raises(NbkitError, match="worker's embedding model is hash-default-8, the client's other-model"):
        embed_partition(HASH, "other-model", str(tmp_path), ["a"])
    assert not (tmp_path / "embeddings").exists()


# --- embedding on the cluster -----------------------------------------------------------------------------------

def test_the_cluster_gives_the_vectors_of_one_process_and_a_rerun_computes_nothing(client, tmp_path):
    corpus = texts(600) + texts(3)  # three repeats: embedded once, counted as cached on the rerun
    alone = embed_texts(corpus, HashEmbedder(), EmbeddingCache(tmp_path / "alone"), progress=False)
    first = embed_corpus(corpus, HASH, tmp_path / "cluster", client=client, partition_size=100, progress=False)
    assert first.vectors.dtype == np.float32 and first.vectors.shape == (603, 8)
    assert np.array_equal(first.vectors, alone.vectors)  # bit-identical: the same function of the same bytes
    assert (first.computed, first.cached) == (600, 0)
    again = embed_corpus(corpus, HASH, tmp_path / "cluster", client=client, partition_size=100, progress=False)
    assert (again.computed, again.cached) == (0, 603)
    assert np.array_equal(again.vectors, alone.vectors)
    # another corpus order and partition size: still nothing to compute, same vectors in the new order
    reordered = corpus[::-1]
    third = embed_corpus(reordered, HASH, tmp_path / "cluster", client=client, partition_size=37, progress=False)
    assert third.computed == 0 and np.array_equal(third.vectors, alone.vectors[::-1])


def test_texts_already_cached_by_one_process_are_not_sent_to_the_model_again(client, tmp_path):
    from dask.distributed import get_task_stream

    embed_texts(texts(250), HashEmbedder(), EmbeddingCache(tmp_path), progress=False)
    with get_task_stream(client) as stream:
        result = embed_corpus(texts(400), HASH, tmp_path, client=client, partition_size=64, progress=False,
                              return_vectors=False)
    assert (result.computed, result.cached) == (150, 250) and result.vectors.shape == (0, 0)
    # checked on the client first: only the 150 missing texts were cut into partitions, ceil(150 / 64) = 3
    assert len({t["key"] for t in stream.data if "embed-partition" in str(t["key"])}) == 3
    found = EmbeddingCache(tmp_path).lookup(HashEmbedder().identity, text_keys(texts(400)))[1]
    assert found.all()


def test_cached_and_computed_vectors_come_back_together_in_input_order(client, tmp_path):
    embed_texts(texts(250)[::2], HashEmbedder(), EmbeddingCache(tmp_path), progress=False)
    corpus = texts(300) + texts(5)  # 125 cached, 175 to compute; the repeats of 0, 2, 4 cached, of 1, 3 computed
    result = embed_corpus(corpus, HASH, tmp_path, client=client, partition_size=64, progress=False)
    assert (result.computed, result.cached) == (175, 128)
    assert result.found.tolist() == [i < 250 and i % 2 == 0 for i in range(300)] + [True, False, True, False, True]
    assert np.array_equal(result.vectors, HashEmbedder().encode(corpus))


class NoTasks:
    """A client that refuses to start tasks."""

    def __getattr__(self, name):
        pytest.fail(f"the client was asked for {name}")


def test_a_rerun_on_a_filled_cache_starts_no_task(tmp_path):
    pytest.importorskip("dask.distributed")
    corpus = texts(50)
    embed_texts(corpus, HashEmbedder(), EmbeddingCache(tmp_path), progress=False)
    again = embed_corpus(corpus + corpus[:2], HASH, tmp_path, client=NoTasks(), progress=False)
    assert (again.computed, again.cached) == (0, 52)
    assert np.array_equal(again.vectors, HashEmbedder().encode(corpus + corpus[:2]))


def test_a_worker_killed_mid_job_loses_nothing(client, tmp_path):
    corpus = texts(400, "killed")
    slow = EmbedderSpec(backend="hash", options=(("delay", 0.01),))  # 40 texts a partition: ~0.4 s each
    cache = EmbeddingCache(tmp_path)
    identity = slow.build().identity
    done: dict = {}
    worker = threading.Thread(target=lambda: done.update(result=embed_corpus(
        corpus, slow, tmp_path, client=client, partition_size=40, store_every=10, progress=False)))
    worker.start()
    deadline = time.monotonic() + 60
    busy: list[str] = []
    while not busy and time.monotonic() < deadline:  # until partitions are storing and one is running
        time.sleep(0.02)
        if list(cache.folder(identity).glob("shard.*.npy")):
            busy = [address for address, keys in client.processing().items() if keys]
    assert busy, "no partition was running"
    pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
    os.kill(pid, signal.SIGKILL)
    worker.join(timeout=120)
    assert not worker.is_alive()
    result = done["result"]
    assert np.array_equal(result.vectors, HashEmbedder().encode(corpus))  # every vector arrived
    assert result.computed + result.cached == 400 and result.computed <= 400
    found = cache.lookup(identity, text_keys(corpus))[1]
    assert found.all()  # the cache is complete
    client.wait_for_workers(2, timeout=120)  # the nanny restarted the killed worker
    assert pid not in client.run(os.getpid).values()


class CountingClient:
    """A Client that notes, at each task it starts, how many of its tasks are unfinished (including that one)."""

    def __init__(self, client) -> None:
        self.client, self.futures, self.in_flight = client, [], []

    def submit(self, *args, **kwargs):
        future = self.client.submit(*args, **kwargs)
        self.futures.append(future)
        self.in_flight.append(sum(not f.done() for f in self.futures))
        return future

    def __getattr__(self, name):
        return getattr(self.client, name)


def test_workers_that_join_a_running_job_get_work(tmp_path):
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client, LocalCluster

    slow = EmbedderSpec(backend="hash", options=(("delay", 0.01),))  # 10 texts a partition: ~0.1 s each
    corpus = texts(800, "joined")
    # worker threads in this process: they join in a moment, and sleeping tasks leave the cores to the others; the
    # HTTP server on a free port (not 8787, which the module's other cluster holds: a warning)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as real:
        client = CountingClient(real)
        done: dict = {}
        job = threading.Thread(target=lambda: done.update(result=embed_corpus(
            corpus, slow, tmp_path, client=client, partition_size=10, progress=False)))
        job.start()
        deadline = time.monotonic() + 30
        while not client.futures and time.monotonic() < deadline:
            time.sleep(0.01)
        started = len(client.in_flight)
        cluster.scale(5)  # four more workers of one thread each, while the job runs
        real.wait_for_workers(5, timeout=60)
        job.join(timeout=120)
    assert not job.is_alive() and len(client.futures) == 80
    assert max(client.in_flight[:started]) <= 4  # 1 thread when the job started: the window's floor, 4
    # up to two per thread once the four have joined (the window is recounted at most once a second); the window
    # fixed at the job's start kept it at 4
    assert 4 < max(client.in_flight) <= 10
    assert np.array_equal(done["result"].vectors, HashEmbedder().encode(corpus))


def test_the_real_model_on_the_cluster(client, tmp_path):
    corpus = ["Robot grasping with tactile sensing.", "Protein structure prediction.", "Speech recognition.",
              "Robot grasping with tactile sensing."]
    here = embed_texts(corpus, make_embedder(), progress=False).vectors  # the default backend, as EmbedderSpec()
    there = embed_corpus(corpus, EmbedderSpec(), tmp_path, client=client, progress=False)
    assert there.vectors.shape == (4, 384) and (there.computed, there.cached) == (3, 0)
    # One partition: the same batches as here, and the vectors were bit-identical on the development VM (one worker
    # thread against this process's two). Not asserted bit for bit: another CPU's kernels may split sums by thread
    # count; and texts batched differently (several partitions) pad to other lengths and differ by ~1e-7.
    np.testing.assert_allclose(there.vectors, here, rtol=0, atol=1e-6)
    assert embed_corpus(corpus, EmbedderSpec(), tmp_path, client=client, progress=False).computed == 0


# --- loading on the cluster -------------------------------------------------------------------------------------

def mixed_inputs(tmp_path: Path) -> list[Path]:
    """Files of five formats in one folder, and the bundled HF pages."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    for source in ["hf/mixed_metadata.txt", "hf/cut_off.txt", "ris/scopus.ris", "bibtex/refs.bib",
                   "records/papers.csv", "records/arxiv_snapshot.jsonl"]:
        shutil.copy(FIXTURES / source, folder / Path(source).name)
    return [folder, BUNDLED]


def assert_same_corpus(a, b) -> None:
    pd.testing.assert_frame_equal(a.papers, b.papers)
    pd.testing.assert_frame_equal(a.listings, b.listings)
    assert a.report.to_json() == b.report.to_json()


def test_loading_on_the_cluster_gives_the_corpus_of_one_process(client, tmp_path):
    inputs = mixed_inputs(tmp_path)
    alone = load_corpus(inputs)
    parallel = load_corpus(inputs, scheduler=client)
    assert_same_corpus(parallel, alone)
    assert parallel.report.totals["files"] == 11 and len(parallel.papers) == len(alone.papers) > 250


def test_a_bad_file_reads_the_same_on_the_cluster(client, tmp_path):
    inputs = mixed_inputs(tmp_path)
    (inputs[0] / "notes.txt").write_text("Shopping list\n\nmilk, eggs\n")
    with pytest.raises(NbkitError) as alone:
        load_corpus(inputs)
    with pytest.raises(NbkitError) as parallel:
        load_corpus(inputs, scheduler=client)
    assert str(parallel.value) == str(alone.value) and str(inputs[0] / "notes.txt") in str(alone.value)
    assert_same_corpus(load_corpus(inputs, scheduler=client, skip_bad_files=True),
                       load_corpus(inputs, skip_bad_files=True))


def test_fit_topics_embeds_on_the_scheduler_it_is_given(client, tmp_path):
    from nbkit.topics import TopicSettings, _embed_on_cluster, fit_topics

    texts = ["Robot grasping with tactile sensing.", "Protein structure prediction."]
    result = _embed_on_cluster(texts, TopicSettings(), make_embedder(), tmp_path, client, progress=False)
    assert result.vectors.shape == (2, 384) and result.computed + result.cached == 2
    papers = pd.DataFrame({"title": [f"Paper {i}" for i in range(6)], "abstract": ["Robots."] * 6})
    with pytest.raises(NbkitError, match="needs a cache_dir the workers share"):
        fit_topics(papers, TopicSettings(min_topic_size=2), scheduler=client)
    with pytest.raises(NbkitError, match="needs the model by name"):
        fit_topics(papers, TopicSettings(min_topic_size=2), embedder=HashEmbedder(), cache_dir=tmp_path,
                   scheduler=client)
