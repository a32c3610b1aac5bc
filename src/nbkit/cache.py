"""A small on-disk array store that parallel runs can share: plain `.npy` files, each named after its checksum.

Every file is written to a temporary name in the same folder and moved into place with `os.replace`, so a reader
sees either the whole file or none of it, and two runs writing the same content write the same name. The name
carries the first 16 hex digits of the SHA-256 of the file's bytes (`<stem>.<digest>.npy`); a file whose bytes no
longer match its name (a crash mid-copy, disk trouble, a hand edit) is reported with a warning, removed, and read
as missing, so the caller recomputes it. No pickle: arrays are loaded with `allow_pickle=False`.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
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
