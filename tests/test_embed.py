"""Embeddings: models read from disk only, and the shared cache (hits, changed texts, corruption, parallel runs)."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nbkit import embed
from nbkit.cache import CacheWarning, write_array
from nbkit.embed import (
    EmbeddingCache,
    KeyIndex,
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


def in_threads(work, parts) -> list[Exception]:
    """work(part) for every part, each in a thread of its own, all at once; what they raised."""
    errors = []

    def run(part):
        try:
            work(part)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(part,)) for part in parts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_parallel_runs_share_the_cache_safely(tmp_path):
    cache = EmbeddingCache(tmp_path)
    texts = [f"paper {i}" for i in range(200)]
    assert in_threads(lambda part: embed_texts(part, CountingEmbedder(), EmbeddingCache(tmp_path), progress=False),
                      [texts[i::2] + texts[:50] for i in range(2)]) == []
    model = CountingEmbedder()
    final = embed_texts(texts, model, cache)
    assert final.computed == 0 and model.seen == []
    np.testing.assert_array_equal(final.vectors, CountingEmbedder().encode(texts))


# --- the key index beside each shard ---------------------------------------------------------------------------

def vectors_of(texts):
    return CountingEmbedder().encode(texts)


def files(cache: EmbeddingCache, identity: str = CountingEmbedder.identity) -> tuple[list[Path], list[Path]]:
    folder = cache.folder(identity)
    return sorted(folder.glob("shard.*.npy")), sorted(folder.glob("keys.*.npy"))


def test_each_shard_has_a_sorted_key_index_naming_it(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.store("m", text_keys(["b", "a", "c"]), vectors_of(["b", "a", "c"]))
    ((shard,), (index,)) = files(cache, "m")
    stored = np.load(index)
    # keys.<the shard's checksum>.<the index's own checksum>.npy
    assert index.name.split(".")[1] == shard.name.split(".")[1] and len(index.name.split(".")) == 4
    assert stored.dtype.names == ("key", "row") and stored["key"].tolist() == sorted(text_keys(["b", "a", "c"]))
    keys = text_keys(["b", "a", "c"])
    assert [int(stored["row"][stored["key"] == k][0]) for k in keys] == [0, 1, 2]
    assert index.stat().st_size == 128 + 3 * 20  # the .npy header, then 16 + 4 bytes a text


def test_a_lookup_of_keys_only_never_reads_a_shard(tmp_path, monkeypatch):
    EmbeddingCache(tmp_path).store("m", text_keys(["a", "b", "c"]), vectors_of(["a", "b", "c"]))
    monkeypatch.setattr(embed, "_read_shard", lambda path: pytest.fail(f"read {path.name}"))
    rows, found = EmbeddingCache(tmp_path).scan("m", text_keys(["c", "x", "a", "y"]), vectors=False)
    assert rows is None and found.tolist() == [True, False, True, False]


def test_vectors_are_read_only_from_the_shards_holding_the_rows_asked_for(tmp_path, monkeypatch):
    cache = EmbeddingCache(tmp_path)
    cache.store("m", text_keys(["a", "b"]), vectors_of(["a", "b"]))
    cache.store("m", text_keys(["c", "d"]), vectors_of(["c", "d"]))
    cache.store("m", text_keys(["d", "e"]), np.full((2, 4), 7.0))  # d again, the newer copy: the one read
    read = []
    real = embed._read_shard
    monkeypatch.setattr(embed, "_read_shard", lambda path: read.append(path) or real(path))
    shards = {np.load(p)["key"][0]: p for p in files(cache, "m")[0]}
    rows, found = EmbeddingCache(tmp_path).scan("m", text_keys(["d", "x", "c"]))
    assert found.tolist() == [True, False, True]
    np.testing.assert_array_equal(rows[[0, 2]], [np.full(4, 7.0), vectors_of(["c"])[0]])
    # the newest shard for d, then the one of c; the shard of a and b is never read
    assert read == [shards[text_keys(["d"])[0]], shards[text_keys(["c"])[0]]]


def test_a_repeated_key_in_a_shard_serves_its_last_row(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.store("m", text_keys(["a", "b", "a"]), np.array([[1.0], [2.0], [3.0]]))
    rows, found = EmbeddingCache(tmp_path).scan("m", text_keys(["a", "b"]))
    assert found.all() and rows[:, 0].tolist() == [3.0, 2.0]
    stored = np.load(files(cache, "m")[1][0])
    assert dict(zip(stored["key"].tolist(), stored["row"].tolist(), strict=True)) == {
        text_keys(["a"])[0]: 2, text_keys(["b"])[0]: 1}


def test_keys_sharing_their_first_eight_bytes_are_told_apart():
    keys = np.array([b"\x01" * 8 + b"\x02" * 8, b"\x01" * 8 + b"\x01" * 8, b"\x00" * 16, b"\x01" * 8 + b"\x03" * 8],
                    dtype="S16")
    index = embed.KeyIndex(embed.KeyIndex.table(keys))
    assert index.keys is not None  # the slow path: whole keys compared
    query = np.array([b"\x01" * 8 + b"\x03" * 8, b"\x01" * 8 + b"\x00" * 8, b"\x01" * 8 + b"\x01" * 8, b"\x00" * 16,
                      b"\x01" * 8 + b"\x02" * 8, b"\xff" * 16], dtype="S16")
    assert index.find(embed._Query.of(query)).tolist() == [3, -1, 1, 2, 0, -1]


def test_a_cache_from_before_key_indexes_gets_them_on_its_first_lookup(tmp_path):
    cache, identity = EmbeddingCache(tmp_path), CountingEmbedder.identity
    texts = ["speech", "robots", "proteins"]
    write_array(cache.folder(identity), "shard", embed._table(text_keys(texts), vectors_of(texts)))  # as before
    assert files(cache)[1] == []
    rows, found = EmbeddingCache(tmp_path).scan(identity, text_keys(["robots", "planets"]))
    assert found.tolist() == [True, False] and np.array_equal(rows[0], vectors_of(["robots"])[0])
    ((shard,), (index,)) = files(cache)
    assert index.name.startswith(f"keys.{shard.name.split('.')[1]}.")
    assert sorted(np.load(index)["key"].tolist()) == sorted(text_keys(texts).tolist())
    assert embed_texts(texts, CountingEmbedder(), cache).computed == 0


def test_a_damaged_key_index_is_warned_about_and_built_again(tmp_path):
    cache, model = EmbeddingCache(tmp_path), CountingEmbedder()
    expected = embed_texts(TEXTS, model, cache).vectors
    ((shard,), (index,)) = files(cache)
    data = bytearray(index.read_bytes())
    data[-1] ^= 0x55
    index.write_bytes(bytes(data))
    with pytest.warns(CacheWarning, match=r"keys\.[0-9a-f]{16}\.[0-9a-f]{16}\.npy: its bytes do not match"):
        result = embed_texts(TEXTS, model, EmbeddingCache(tmp_path), return_vectors=False)
    assert (result.computed, result.cached) == (0, 3)
    assert files(cache) == ([shard], [index])  # the same index, whole again
    np.testing.assert_array_equal(embed_texts(TEXTS, model, EmbeddingCache(tmp_path)).vectors, expected)


def test_an_intact_index_that_disagrees_with_its_shard_is_not_trusted(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.store("m", text_keys(TEXTS), vectors_of(TEXTS))
    ((shard,), (index,)) = files(cache, "m")
    lying = np.load(index)
    lying["row"] = lying["row"][::-1]  # rows swapped, saved under a valid checksum
    index.unlink()
    write_array(cache.folder("m"), f"keys.{shard.name.split('.')[1]}", lying)
    with pytest.warns(CacheWarning, match=f"does not match the keys of {shard.name}"):
        rows, found = EmbeddingCache(tmp_path).scan("m", text_keys(TEXTS))
    assert found.all()
    np.testing.assert_array_equal(rows, vectors_of(TEXTS))
    ((_,), (rebuilt,)) = files(cache, "m")
    assert rebuilt.name == index.name  # the true index again


def test_an_index_file_that_is_not_a_sorted_index_is_dropped(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.store("m", text_keys(TEXTS), vectors_of(TEXTS))
    ((shard,), (index,)) = files(cache, "m")
    unsorted = np.load(index)[::-1].copy()
    index.unlink()
    write_array(cache.folder("m"), f"keys.{shard.name.split('.')[1]}", unsorted)
    with pytest.warns(CacheWarning, match="it is not a sorted key index"):
        found = EmbeddingCache(tmp_path).scan("m", text_keys(TEXTS), vectors=False)[1]
    assert found.all() and [p.name for p in files(cache, "m")[1]] == [index.name]


def test_merging_keeps_one_index_per_shard_and_no_other(tmp_path, monkeypatch):
    monkeypatch.setattr(embed, "COMPACT_AFTER", 3)
    cache, model = EmbeddingCache(tmp_path), CountingEmbedder()
    texts = [f"text {i}" for i in range(10)]
    for text in texts:  # one shard per call; merged whenever more than 3 are small
        embed_texts([text], model, cache)
    shards, indexes = files(cache)
    assert len(shards) < 10 and sorted(p.name.split(".")[1] for p in indexes) == sorted(
        p.name.split(".")[1] for p in shards)
    assert sum(len(np.load(p)) for p in indexes) == sum(len(np.load(p)) for p in shards) == 10


def test_concurrent_stores_and_merges_leave_every_key_indexed(tmp_path, monkeypatch):
    monkeypatch.setattr(embed, "COMPACT_AFTER", 4)
    texts = [f"paper {i}" for i in range(120)]

    def store_in_fives(part):
        cache = EmbeddingCache(tmp_path)  # each writer its own instance, as two processes would have
        for start in range(0, len(part), 5):
            embed_texts(part[start:start + 5], CountingEmbedder(), cache, progress=False)

    assert in_threads(store_in_fives, [texts[i::3] + texts[:15] for i in range(3)]) == []
    cache = EmbeddingCache(tmp_path)
    shards, indexes = files(cache)
    assert {p.name.split(".")[1] for p in indexes} >= {p.name.split(".")[1] for p in shards}
    assert cache.scan(CountingEmbedder.identity, text_keys(texts), vectors=False)[1].all()
    model = CountingEmbedder()
    final = embed_texts(texts, model, cache)
    assert final.computed == 0 and model.seen == []
    np.testing.assert_array_equal(final.vectors, vectors_of(texts))


def rows_and_keys(cache: EmbeddingCache, identity: str = CountingEmbedder.identity) -> tuple[int, int]:
    """Rows over every shard, and distinct keys among them."""
    keys = [np.load(p)["key"] for p in files(cache, identity)[0]]
    return sum(len(k) for k in keys), len(np.unique(np.concatenate(keys)))


def test_two_writers_merging_at_once_leave_no_duplicate_rows(tmp_path, monkeypatch):
    # one writer pauses after reading the small shards, as a slow merge does; another stores a shard and merges
    # meanwhile. Each merged shard is full (5 rows of 32 bytes + header), so no later merge would remove copies.
    monkeypatch.setattr(embed, "COMPACT_AFTER", 100)  # merges only when asked for here
    monkeypatch.setattr(embed, "SHARD_BYTES", 256)
    identity = CountingEmbedder.identity
    for i in range(5):
        EmbeddingCache(tmp_path).store(identity, text_keys([f"t{i}"]), vectors_of([f"t{i}"]))
    reading, go_on = threading.Event(), threading.Event()
    write_shard = EmbeddingCache._write_shard

    def paused(self, ident, table):
        if threading.current_thread().name == "slow":
            reading.set()
            assert go_on.wait(10)
        return write_shard(self, ident, table)

    monkeypatch.setattr(EmbeddingCache, "_write_shard", paused)
    slow = threading.Thread(target=EmbeddingCache(tmp_path).compact, args=(identity,), name="slow")
    slow.start()
    assert reading.wait(10)
    other = EmbeddingCache(tmp_path)
    other.store(identity, text_keys(["t5"]), vectors_of(["t5"]))
    other.compact(identity)  # the lock is held: this writer leaves the merge to the other one
    assert (tmp_path / "embeddings" / identity / "compact.lock").exists()
    go_on.set()
    slow.join()
    assert not (tmp_path / "embeddings" / identity / "compact.lock").exists()  # released
    assert rows_and_keys(EmbeddingCache(tmp_path)) == (6, 6)
    EmbeddingCache(tmp_path).compact(identity)
    assert rows_and_keys(EmbeddingCache(tmp_path)) == (6, 6)
    found = EmbeddingCache(tmp_path).scan(identity, text_keys([f"t{i}" for i in range(6)]))
    assert found[1].all() and np.array_equal(found[0], vectors_of([f"t{i}" for i in range(6)]))


def test_a_merge_writes_no_key_a_full_shard_holds(tmp_path, monkeypatch):
    monkeypatch.setattr(embed, "COMPACT_AFTER", 100)
    monkeypatch.setattr(embed, "SHARD_BYTES", 256)  # 5 rows (+ header) make a full shard, one row not
    cache, identity = EmbeddingCache(tmp_path), CountingEmbedder.identity
    cache.store(identity, text_keys(list("abcde")), vectors_of(list("abcde")))
    cache.store(identity, text_keys(["a", "f"]), vectors_of(["a", "f"]))  # a again (two jobs embedded it)
    cache.store(identity, text_keys(["f", "g", "b"]), vectors_of(["f", "g", "b"]))
    assert rows_and_keys(cache) == (10, 7)
    cache.compact(identity)
    shards = sorted((np.load(p)["key"] for p in files(cache)[0]), key=len)
    assert [sorted(k) for k in shards] == [sorted(text_keys(["f", "g"])), sorted(text_keys(list("abcde")))]
    assert EmbeddingCache(tmp_path).scan(identity, text_keys(list("abcdefg")), vectors=False)[1].all()


def test_a_merge_keeps_the_copy_lookups_read(tmp_path, monkeypatch):
    monkeypatch.setattr(embed, "COMPACT_AFTER", 100)
    cache = EmbeddingCache(tmp_path)
    cache.store("m", text_keys(["a", "b"]), np.array([[1.0], [2.0]]))
    cache.store("m", text_keys(["b", "c", "b"]), np.array([[3.0], [4.0], [5.0]]))  # b's newest copy: 5
    before = cache.scan("m", text_keys(["a", "b", "c"]))[0]
    cache.compact("m")
    ((shard,), _) = files(cache, "m")
    assert len(np.load(shard)) == 3
    np.testing.assert_array_equal(EmbeddingCache(tmp_path).scan("m", text_keys(["a", "b", "c"]))[0], before)
    np.testing.assert_array_equal(before, [[1.0], [5.0], [4.0]])


def test_a_lock_left_by_a_crashed_merge_is_taken_once_stale(tmp_path, monkeypatch):
    monkeypatch.setattr(embed, "COMPACT_AFTER", 100)
    cache = EmbeddingCache(tmp_path)
    for text in ["a", "b", "c"]:
        cache.store("m", text_keys([text]), vectors_of([text]))
    lock = cache.folder("m") / "compact.lock"
    lock.write_text("other-host 123 token")  # a merge running elsewhere
    cache.compact("m")
    assert len(files(cache, "m")[0]) == 3 and lock.read_text() == "other-host 123 token"
    old = time.time() - embed.LOCK_STALE_S - 5  # the same lock, never released: its writer crashed
    os.utime(lock, (old, old))
    cache.compact("m")
    assert len(files(cache, "m")[0]) == 1 and not lock.exists()
    assert [p.name for p in cache.folder("m").iterdir() if "lock" in p.name] == []


def test_an_index_whose_shard_never_came_is_removed_once_old(tmp_path):
    cache = EmbeddingCache(tmp_path)
    folder = cache.folder("m")
    old = time.time() - embed.ORPHAN_AFTER_S - 5
    # a writer crashed between the index and its shard, long ago; another is between the two right now
    crashed = write_array(folder, "keys.00000000000000aa", KeyIndex.table(text_keys(["x"])))
    half_written = folder / ".tmp-k2x9q.npy"  # and one crashed mid-write
    half_written.write_bytes(b"\x93NUMPY")
    for path in (crashed, half_written):
        os.utime(path, (old, old))
    writing = write_array(folder, "keys.00000000000000bb", KeyIndex.table(text_keys(["y"])))
    being_written = folder / ".tmp-p0w7z.npy"
    being_written.write_bytes(b"\x93NUMPY")
    cache.store("m", text_keys(["a"]), vectors_of(["a"]))
    assert not crashed.exists() and not half_written.exists() and writing.exists() and being_written.exists()
    ((shard,), indexes) = files(cache, "m")
    assert sorted(p.name.split(".")[1] for p in indexes) == sorted([shard.name.split(".")[1], "00000000000000bb"])
    assert EmbeddingCache(tmp_path).scan("m", text_keys(["a"]), vectors=False)[1].all()


def test_an_old_index_written_again_by_its_writer_is_not_swept(tmp_path):
    # the index of a shard that was never written, then the same texts stored again: the writer finds the index
    # already there (same bytes, same name); it must count as fresh until the shard follows
    cache = EmbeddingCache(tmp_path)
    table = embed._table(text_keys(["a"]), vectors_of(["a"]))
    digest = embed.file_digest(embed.array_bytes(table))
    index = write_array(cache.folder("m"), f"keys.{digest}", KeyIndex.table(table["key"]))
    old = time.time() - embed.ORPHAN_AFTER_S - 5
    os.utime(index, (old, old))
    assert write_array(cache.folder("m"), f"keys.{digest}", KeyIndex.table(table["key"])) == index
    assert cache.drop_orphans("m") == [] and index.exists()


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
