"""The checksummed array store: atomic files, same content same name, corruption found and dropped; the lock file."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from nbkit.cache import CacheWarning, digest_bytes, find_array, list_arrays, lock_file, read_array, write_array


def test_an_array_comes_back_as_written(tmp_path):
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    path = write_array(tmp_path, "vectors", array)
    assert path.parent == tmp_path and path.name.startswith("vectors.") and path.suffix == ".npy"
    np.testing.assert_array_equal(read_array(path), array)
    np.testing.assert_array_equal(find_array(tmp_path, "vectors"), array)


def test_the_same_content_gets_the_same_name_and_no_temporary_files_stay(tmp_path):
    first = write_array(tmp_path, "a", np.ones(3))
    second = write_array(tmp_path, "a", np.ones(3))
    third = write_array(tmp_path, "a", np.zeros(3))
    assert first == second != third
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, third.name])


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_a_damaged_file_is_warned_about_removed_and_read_as_missing(tmp_path, damage):
    path = write_array(tmp_path, "v", np.arange(100, dtype=np.float64))
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-1] ^= 0xFF
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data = bytearray(b"not an array at all")
    path.write_bytes(bytes(data))
    with pytest.warns(CacheWarning, match="recomputed"):
        assert find_array(tmp_path, "v") is None
    assert not path.exists()


def test_a_file_with_a_valid_name_but_unreadable_content_is_dropped(tmp_path):
    data = b"\x93NUMPY garbage"
    import hashlib

    path = tmp_path / f"v.{hashlib.sha256(data).hexdigest()[:16]}.npy"
    path.write_bytes(data)
    with pytest.warns(CacheWarning, match="not a readable array"):
        assert read_array(path) is None


def test_missing_entries_and_vanished_files_read_as_none(tmp_path):
    assert find_array(tmp_path / "nothing", "v") is None
    assert read_array(tmp_path / "v.0123456789abcdef.npy") is None
    assert list_arrays(tmp_path / "nothing", "v") == []


def test_digest_parts_are_length_prefixed():
    assert digest_bytes("ab", "c") != digest_bytes("a", "bc")
    assert digest_bytes("x") == digest_bytes(b"x")
    assert len(digest_bytes("x")) == 64


def test_a_lock_file_has_one_holder_and_a_stale_one_is_taken(tmp_path):
    lock = tmp_path / "compact.lock"
    with lock_file(lock, stale_after=60) as first:
        with lock_file(lock, stale_after=60) as second:
            assert (first, second) == (True, False)
        assert lock.exists()  # the second left the first one's lock alone
    assert not lock.exists()
    lock.write_text("crashed-host 99 token")
    old = time.time() - 120
    os.utime(lock, (old, old))
    with lock_file(lock, stale_after=60) as taken:
        assert taken and lock.read_text() != "crashed-host 99 token"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no lock, nothing moved aside left behind
