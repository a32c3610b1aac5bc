"""A small on-disk array store that parallel runs can share: plain `.npy` files, each named after its checksum.

Every file is written to a temporary name in the same folder and moved into place with `os.replace`, so a reader
sees either the whole file or none of it, and two runs writing the same content write the same name. The name
carries the first 16 hex digits of the SHA-256 of the file's bytes (`<stem>.<digest>.npy`); a file whose bytes no
longer match its name (a crash mid-copy, disk trouble, a hand edit) is reported with a warning, removed, and read
as missing, so the caller recomputes it. No pickle: arrays are loaded with `allow_pickle=False`. `lock_file` gives
one process at a time a step that must not run twice at once (the embedding cache's merges).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import socket
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

SUFFIX = ".npy"


class CacheWarning(UserWarning):
    """A cache file was unreadable and has been dropped; its content will be recomputed."""


def digest_bytes(*parts: bytes | str) -> str:
    """SHA-256 over the parts (each length-prefixed, so ("ab", "c") != ("a", "bc")), as hex."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def write_array(folder: Path, stem: str, array: np.ndarray) -> Path:
    """Store `array` as `folder/<stem>.<digest>.npy` atomically; returns the path."""
    return write_file(folder, stem, array_bytes(array), SUFFIX)


def array_bytes(array: np.ndarray) -> bytes:
    """The bytes write_array stores for `array` (so a caller can name a file after them before writing it)."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def file_digest(data: bytes) -> str:
    """The checksum a stored file's name carries: the first 16 hex digits of the SHA-256 of its bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


def name_digest(path: Path) -> str:
    """The checksum in a stored file's name (`<stem>.<digest><suffix>`)."""
    return path.name[: -len(path.suffix)].rsplit(".", 1)[-1]


def write_file(folder: Path, stem: str, data: bytes, suffix: str) -> Path:
    """Store `data` as `folder/<stem>.<digest><suffix>` atomically; returns the path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{stem}.{file_digest(data)}{suffix}"
    if target.exists():  # same content already there (another run wrote it)
        with contextlib.suppress(OSError):  # fresh again, so that no sweep of old files takes it now (drop_stale)
            os.utime(target)
        return target
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read_array(path: Path) -> np.ndarray | None:
    """The array in `path`, or None when the file is gone (another run compacted it) or corrupted (warned, removed)."""
    data = read_file(path)
    if data is None:
        return None
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        drop(path, f"it is not a readable array ({exc})")
        return None


def read_file(path: Path) -> bytes | None:
    """The bytes of `path` when they match the checksum in its name; None when gone or corrupted (warned, removed)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if file_digest(data) != name_digest(path):
        drop(path, "its bytes do not match its checksum")
        return None
    return data


def drop(path: Path, reason: str) -> None:
    """Warn about an unusable cache file and remove it, so the caller recomputes its content."""
    warnings.warn(f"nbkit cache: {path}: {reason}; removed, it will be recomputed", CacheWarning, stacklevel=3)
    path.unlink(missing_ok=True)


def find_array(folder: Path, stem: str) -> np.ndarray | None:
    """The stored array for `stem`, or None."""
    for path in sorted(folder.glob(f"{stem}.*{SUFFIX}")):
        array = read_array(path)
        if array is not None:
            return array
    return None


def find_file(folder: Path, stem: str, suffix: str) -> tuple[Path, bytes] | None:
    """The first intact stored file for `stem` with `suffix` and its bytes, or None."""
    for path in sorted(folder.glob(f"{stem}.*{suffix}")):
        data = read_file(path)
        if data is not None:
            return path, data
    return None


def list_arrays(folder: Path, stem: str) -> list[Path]:
    """Every stored file of `stem`, oldest first (so that later writes win when keys repeat)."""
    paths = list(folder.glob(f"{stem}.*{SUFFIX}"))
    mtimes = {}
    for path in paths:
        try:
            mtimes[path] = path.stat().st_mtime_ns
        except FileNotFoundError:  # compacted by another run meanwhile
            continue
    return sorted(mtimes, key=lambda p: (mtimes[p], p.name))


def age_s(path: Path) -> float | None:
    """Seconds since `path` was last written (by the file system's clock), or None when it is gone."""
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def lock_file(path: Path, stale_after: float) -> Iterator[bool]:
    """Hold the lock file `path` for the block: yields True when this process holds it, False when another does.

    The lock is created with O_CREAT | O_EXCL, atomic on local file systems and on NFS v3 and later, so two
    processes, on one machine or several sharing the folder, never both hold it. A lock older than `stale_after`
    seconds is taken to belong to a writer that crashed: it is moved aside and taken, and if what was moved turns
    out to be a newer lock (another process took the stale one first) it is put back and this process yields False.
    The holder removes the lock afterwards, only when it is still its own."""
    token = f"{socket.gethostname()} {os.getpid()} {uuid.uuid4().hex}"
    if not _create(path, token) and not (_take_stale(path, stale_after) and _create(path, token)):
        yield False
        return
    try:
        yield True
    finally:
        with contextlib.suppress(OSError):
            if path.read_text(encoding="utf-8") == token:
                path.unlink()


def _create(path: Path, token: str) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token)
    return True


def _take_stale(path: Path, stale_after: float) -> bool:
    """Move a lock older than `stale_after` seconds out of the way; False when it is not stale (or is gone)."""
    try:
        before = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return True  # released meanwhile: free to take
    age = age_s(path)
    if age is None:
        return True
    if age < stale_after:
        return False
    aside = path.with_name(f"{path.name}.stale-{uuid.uuid4().hex}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return True
    if aside.read_text(encoding="utf-8") != before:  # another process replaced the stale lock first: its own
        with contextlib.suppress(OSError):
            os.link(aside, path)  # back in place unless yet another lock is there already
        aside.unlink(missing_ok=True)
        return False
    aside.unlink(missing_ok=True)
    return True
