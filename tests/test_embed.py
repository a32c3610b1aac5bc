"""Embeddings: models read from disk only, and the shared cache (hits, changed texts, corruption, parallel runs)."""

from __future__ import annotations

import hashlib
import threading

import numpy as np
import pandas as pd
import pytest

from nbkit import embed
from nbkit.cache import CacheWarning
from nbkit.embed import (
    EmbeddingCache,
    SentenceEmbedder,
    document_texts,
    embed_texts,
    model_fingerprint,
    resolve_model,
    text_keys,
)
from nbkit.errors import NbkitError


class CountingEmbedder:
    """A stand-in model: 4-d vectors from the text's hash; remembers every text it was asked to encode."""

    identity = "counting-1"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen += list(texts)
        return np.array([np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], dtype=np.uint32) / 2**32
                         for t in texts], dtype=np.float32)


TEXTS = ["speech recognition", "robot grasping", "protein folding"]


def test_a_second_run_embeds_nothing_and_gives_the_same_vectors(tmp_path):
    cache, model = EmbeddingCache(tmp_path), CountingEmbedder()
    first = embed_texts(TEXTS, model, cache)
    again = embed_texts(TEXTS, model, cache)
    assert (first.computed, first.cached) == (3, 0)
    assert (again.computed, again.cached) == (0, 3)
    assert model.seen == sorted(TEXTS, key=lambda t: hashlib.sha256(t.encode()).digest()[:16])
    np.testing.assert_array_equal(first.vectors, again.vectors)
    assert again.summary() == "3 texts: 0 embedded, 3 from the cache"


def test_a_changed_text_is_the_only_one_embedded(tmp_path):
    cache, model = EmbeddingCache(tmp_path), CountingEmbedder()
    embed_texts(TEXTS, model, cache)
    model.seen.clear()
    changed = [TEXTS[0], "robot grasping with tactile sensing", TEXTS[2]]
    result = embed_texts(changed, model, cache)
    assert model.seen == ["robot grasping with tactile sensing"]
    assert (result.computed, result.cached) == (1, 2)
    np.testing.assert_array_equal(result.vectors[1], CountingEmbedder().encode([changed[1]])[0])


def test_repeated_texts_are_encoded_once(tmp_path):
    model = CountingEmbedder()
    result = embed_texts(["a", "b", "a", "a"], model, EmbeddingCache(tmp_path))
    assert sorted(model.seen) == ["a", "b"] and result.computed == 2
    np.testing.assert_array_equal(result.vectors[0], result.vectors[3])


def test_models_do_not_share_entries(tmp_path):
    cache, model = EmbeddingCache(tmp_path), CountingEmbedder()
    embed_texts(TEXTS, model, cache)
    other = CountingEmbedder()
    other.identity = "counting-2"
    assert embed_texts(TEXTS, other, cache).computed == 3


def test_a_corrupted_cache_file_is_warned_about_and_recomputed(tmp_path):
    cache, model = EmbeddingCache(tmp_path), CountingEmbedder()
    expected = embed_texts(TEXTS, model, cache).vectors
    (shard,) = cache.folder(model.identity).glob("shard.*.npy")
    data = bytearray(shard.read_bytes())
    data[-3] ^= 0x55
    shard.write_bytes(bytes(data))
    with pytest.warns(CacheWarning, match=r"shard\.[0-9a-f]{16}\.npy: its bytes do not match"):
        result = embed_texts(TEXTS, model, cache)
    assert result.computed == 3
    np.testing.assert_array_equal(result.vectors, expected)
    assert embed_texts(TEXTS, model, cache).computed == 0  # stored again, whole


def test_shards_are_merged_when_they_pile_up(tmp_path):
    cache, model = EmbeddingCache(tmp_path), CountingEmbedder()
    texts = [f"text {i}" for i in range(20)]
    for text in texts:  # one shard per call
        embed_texts([text], model, cache)
    shards = list(cache.folder(model.identity).glob("shard.*.npy"))
    assert 1 <= len(shards) <= 16
    model.seen.clear()
    assert embed_texts(texts, model, cache).computed == 0 and model.seen == []


class FailingEmbedder(CountingEmbedder):
    """Encodes `fail_after` texts, then fails like a run killed mid-way."""

    def __init__(self, fail_after: int) -> None:
        super().__init__()
        self.fail_after = fail_after

    def encode(self, texts):
        if len(self.seen) >= self.fail_after:
            raise MemoryError("killed")
        return super().encode(texts)


def test_vectors_are_streamed_to_the_cache_so_an_interrupted_run_keeps_them(tmp_path):
    texts = [f"text {i}" for i in range(10)]
    with pytest.raises(MemoryError):  # chunks of 2, a shard every 4 texts: 4 stored, 2 encoded, then killed
        embed_texts(texts, FailingEmbedder(6), EmbeddingCache(tmp_path), chunk=2, store_every=4)
    model = CountingEmbedder()
    result = embed_texts(texts, model, EmbeddingCache(tmp_path), chunk=2, store_every=4)
    assert (result.computed, result.cached) == (6, 4) and len(model.seen) == 6
    assert result.found.tolist() == [t not in model.seen for t in texts]
    np.testing.assert_array_equal(result.vectors, CountingEmbedder().encode(texts))
    shards = sorted(len(np.load(p)) for p in EmbeddingCache(tmp_path).folder(model.identity).glob("shard.*.npy"))
    assert shards == [2, 4, 4]  # the first run's shard, then this run's 4 + 2


def test_filling_the_cache_only_returns_no_vectors(tmp_path):
    result = embed_texts(TEXTS, CountingEmbedder(), EmbeddingCache(tmp_path), return_vectors=False)
    assert result.vectors.shape == (0, 0) and (result.computed, result.cached) == (3, 0)
    assert result.summary() == "3 texts: 3 embedded, 0 from the cache"
    again = embed_texts(TEXTS, CountingEmbedder(), EmbeddingCache(tmp_path), return_vectors=False)
    assert (again.computed, again.cached) == (0, 3) and again.summary() == "3 texts: 0 embedded, 3 from the cache"


def test_merged_shards_stay_bounded_in_size(tmp_path, monkeypatch):
    monkeypatch.setattr(embed, "SHARD_BYTES", 640)  # 20 rows of 32 bytes (16-byte key, 4 float32)
    cache, model = EmbeddingCache(tmp_path), CountingEmbedder()
    texts = [f"text {i}" for i in range(60)]
    for text in texts:  # one shard per call
        embed_texts([text], model, cache)
    paths = list(cache.folder(model.identity).glob("shard.*.npy"))
    rows = [len(np.load(p)) for p in paths]
    assert sum(rows) == 60 and max(rows) <= 20 and len(paths) < 60  # merged, each merge at most 20 rows
    assert sum(p.stat().st_size < 640 for p in paths) <= 16
    model.seen.clear()
    result = embed_texts(texts, model, cache)
    assert result.computed == 0 and model.seen == []
    np.testing.assert_array_equal(result.vectors, CountingEmbedder().encode(texts))


def test_parallel_runs_share_the_cache_safely(tmp_path):
    cache = EmbeddingCache(tmp_path)
    texts = [f"paper {i}" for i in range(200)]
    results, errors = [], []

    def run(part):
        try:
            results.append(embed_texts(part, CountingEmbedder(), EmbeddingCache(tmp_path), progress=False))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(texts[i::2] + texts[:50],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    model = CountingEmbedder()
    final = embed_texts(texts, model, cache)
    assert final.computed == 0 and model.seen == []
    np.testing.assert_array_equal(final.vectors, CountingEmbedder().encode(texts))


def test_text_keys_are_fixed_width_and_differ_for_different_texts():
    keys = text_keys(["a", "b", "a"])
    assert keys.dtype == np.dtype("S16") and keys[0] == keys[2] != keys[1]


def test_document_texts_join_fields_and_skip_missing_ones():
    papers = pd.DataFrame({"title": ["T1", "T2"], "abstract": pd.array(["A1", None], dtype="string")})
    assert document_texts(papers) == ["T1\n\nA1", "T2"]
    assert document_texts(papers, ["abstract"]) == ["A1", ""]
    with pytest.raises(NbkitError, match="unknown field"):
        document_texts(papers, ["title", "summary"])


# --- models: never downloaded ---------------------------------------------------------------------------------

def test_an_unknown_hub_model_says_it_is_not_on_this_machine():
    with pytest.raises(NbkitError, match=r"'acme/no-such-model' is not on this machine and nbkit does not download"):
        resolve_model("acme/no-such-model")


def test_a_missing_model_folder_and_a_folder_that_is_not_a_model(tmp_path):
    with pytest.raises(NbkitError, match="embedding model folder not found"):
        resolve_model(str(tmp_path / "nope"))
    with pytest.raises(NbkitError, match="not a sentence-transformers model folder"):
        resolve_model(str(tmp_path))


def test_the_fingerprint_follows_the_model_files(tmp_path):
    (tmp_path / "config.json").write_text('{"dim": 4}')
    (tmp_path / "README.md").write_text("docs")
    before = model_fingerprint(tmp_path)
    (tmp_path / "README.md").write_text("other docs")
    assert model_fingerprint(tmp_path) == before  # documentation does not change vectors
    (tmp_path / "config.json").write_text('{"dim": 8}')
    assert model_fingerprint(tmp_path) != before


@pytest.fixture(scope="module")
def minilm():
    return SentenceEmbedder()


def test_the_default_model_is_the_packaged_minilm(minilm):
    assert minilm.path == resolve_model("sentence-transformers/all-MiniLM-L6-v2")
    assert minilm.identity.startswith("all-MiniLM-L6-v2-") and len(minilm.identity) == len("all-MiniLM-L6-v2-") + 16
    assert SentenceEmbedder().identity == minilm.identity


def test_the_real_model_through_the_cache(tmp_path, minilm):
    texts = ["Robot grasping with tactile sensing.", "Protein structure prediction.", "Speech recognition."]
    first = embed_texts(texts, minilm, EmbeddingCache(tmp_path))
    assert first.vectors.shape == (3, 384) and first.vectors.dtype == np.float32 and first.computed == 3
    second = embed_texts(texts, minilm, EmbeddingCache(tmp_path))
    assert second.computed == 0
    np.testing.assert_array_equal(first.vectors, second.vectors)
    unit = first.vectors / np.linalg.norm(first.vectors, axis=1, keepdims=True)
    robot = embed_texts(["A robot hand grasps objects."], minilm).vectors[0]
    assert int(np.argmax(unit @ robot)) == 0  # the model means something
