"""A task folder as a content-addressed package: its content hash, and a byte stream to ship it.

The *content hash* identifies one version of a problem. It is computed over the files on disk
(relative path, size and SHA-256 of every file), not over the `Problem` model, so any change to
a test, a grader or problem.json makes a new version, and a change to how loaders interpret
folders does not. Hidden entries (names starting with ".") are not part of a package: they hold
local bookkeeping such as the hash sidecar below. Symbolic links are followed, so a folder that
links shared data in place packs the data itself.

The folder's own name is hashed too (a Kattis package is named by its folder); its location is
not. A *package* is a gzip-compressed tar of the files in path order. It is verified by unpacking
it and hashing the result: the hash does not depend on how the bytes travelled.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import stat
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from .model import ProblemFormatError

__all__ = [
    "HASH_SIDECAR",
    "PackageIndex",
    "PackageStats",
    "content_hash",
    "package_files",
    "unpack_package",
    "write_package",
]

HASH_SIDECAR = ".ioi-version.json"
MAX_PACKAGE_FILES = 100_000
MAX_PACKAGE_BYTES = 64 << 30
_READ_BLOCK = 1 << 20
_SIDECAR_FORMAT = 1


@dataclass(frozen=True)
class PackageFile:
    path: str  # relative, POSIX separators
    source: Path  # where it is read from (symlinks resolved by the OS on open)
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class PackageStats:
    content_hash: str
    files: int
    bytes: int  # sum of file sizes, uncompressed


def package_files(folder: str | os.PathLike[str]) -> list[PackageFile]:
    """Every non-hidden regular file under `folder` (following links), sorted by relative path."""
    root = Path(folder)
    if not root.is_dir():
        raise ProblemFormatError(root, "not a task folder (not a directory)")
    found: list[PackageFile] = []
    seen_dirs: set[tuple[int, int]] = set()

    def walk(directory: Path, prefix: str) -> None:
        info = directory.stat()
        key = (info.st_dev, info.st_ino)
        if key in seen_dirs:
            raise ProblemFormatError(directory, "folder links back to itself")
        seen_dirs.add(key)
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.startswith("."):
                    continue
                relative = f"{prefix}{entry.name}"
                try:
                    info = entry.stat(follow_symlinks=True)
                except FileNotFoundError:
                    raise ProblemFormatError(Path(entry.path), "dangling link") from None
                if stat.S_ISDIR(info.st_mode):
                    walk(Path(entry.path), relative + "/")
                elif stat.S_ISREG(info.st_mode):
                    found.append(PackageFile(relative, Path(entry.path), info.st_size, info.st_mtime_ns))
                    if len(found) > MAX_PACKAGE_FILES:
                        raise ProblemFormatError(root, f"more than {MAX_PACKAGE_FILES} files")
                else:
                    raise ProblemFormatError(Path(entry.path), "not a regular file or folder")
        seen_dirs.discard(key)

    walk(root, "")
    found.sort(key=lambda f: f.path)
    return found


class _Hasher:
    """The content hash: SHA-256 over the folder's name (a Kattis package is named by its folder),
    then `<sha256 of file>  <size>  <path>\\n` lines in path order."""

    def __init__(self, name: str) -> None:
        self._digest = hashlib.sha256(f"ioi-grader package v1\nname {name}\n".encode())
        self.files = 0
        self.bytes = 0
        self._last = ""

    def add(self, path: str, size: int, file_sha256: str) -> None:
        if path <= self._last and self.files:
            raise ValueError("package files must be added in path order")
        self._last = path
        self._digest.update(f"{file_sha256}  {size}  {path}\n".encode())
        self.files += 1
        self.bytes += size

    def stats(self) -> PackageStats:
        return PackageStats(self._digest.hexdigest(), self.files, self.bytes)


def _file_sha256(path: Path, expected_size: int | None = None) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(_READ_BLOCK):
            digest.update(block)
            size += len(block)
    if expected_size is not None and size != expected_size:
        raise _Changed(path)
    return digest.hexdigest(), size


class _Changed(Exception):
    """A file changed while it was being read."""


def content_hash(folder: str | os.PathLike[str]) -> PackageStats:
    """Hash every file of the folder (reads all of it)."""
    for _ in range(3):
        files = package_files(folder)
        hasher = _Hasher(Path(os.path.abspath(folder)).name)
        try:
            for file in files:
                digest, size = _file_sha256(file.source, file.size)
                hasher.add(file.path, size, digest)
        except _Changed:
            continue  # rewritten under us: look again
        return hasher.stats()
    raise ProblemFormatError(Path(folder), "files keep changing while they are hashed")


def _signature(files: list[PackageFile]) -> str:
    """Cheap identity of a folder's state: paths, sizes and modification times (no reads)."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file.path}\0{file.size}\0{file.mtime_ns}\n".encode())
    return digest.hexdigest()


class PackageIndex:
    """Content hashes of task folders, recomputed only when a folder's files change.

    Each answer is remembered against the folder's signature (paths, sizes, mtimes) in memory,
    and read from a hidden sidecar file in the folder when one matches, so that a restart does
    not read gigabytes of tests again. Sidecars are written only with `write_sidecars`, by the
    owner of the folders (the import, for the folders it writes): a user's own task folders are
    never written to. `recheck_after` seconds bound how often the signature itself is taken (a
    stat of every file).
    """

    def __init__(self, recheck_after: float = 1.0, write_sidecars: bool = False):
        self.recheck_after = recheck_after
        self.write_sidecars = write_sidecars
        self._known: dict[Path, tuple[str, PackageStats, float, tuple[int, int]]] = {}
        self._lock = threading.Lock()

    def stats(self, folder: str | os.PathLike[str]) -> PackageStats:
        root = Path(os.path.abspath(folder))
        now = time.monotonic()
        identity = _identity(root)  # a folder replaced by another one is another inode: look again now
        with self._lock:
            known = self._known.get(root)
        if known is not None and now - known[2] < self.recheck_after and known[3] == identity:
            return known[1]
        files = package_files(root)
        signature = _signature(files)
        if known is not None and known[0] == signature:
            with self._lock:
                self._known[root] = (signature, known[1], now, identity)
            return known[1]
        stats = _read_sidecar(root, signature)
        if stats is None:
            stats = content_hash(root)
            # Hashing took time: the signature must still describe what was hashed.
            if _signature(package_files(root)) != signature:
                return self.stats(root)
            if self.write_sidecars:
                _write_sidecar(root, signature, stats)
        with self._lock:
            self._known[root] = (signature, stats, time.monotonic(), identity)
        return stats

    def content_hash(self, folder: str | os.PathLike[str]) -> str:
        return self.stats(folder).content_hash

    def remember(self, folder: str | os.PathLike[str], stats: PackageStats) -> None:
        """Record a hash computed elsewhere (e.g. while unpacking), for the folder as it is now."""
        root = Path(os.path.abspath(folder))
        signature = _signature(package_files(root))
        if self.write_sidecars:
            _write_sidecar(root, signature, stats)
        with self._lock:
            self._known[root] = (signature, stats, time.monotonic(), _identity(root))

    def forget(self, folder: str | os.PathLike[str]) -> None:
        with self._lock:
            self._known.pop(Path(os.path.abspath(folder)), None)


def _identity(root: Path) -> tuple[int, int]:
    info = root.stat()
    return info.st_dev, info.st_ino


def _read_sidecar(root: Path, signature: str) -> PackageStats | None:
    try:
        data = json.loads((root / HASH_SIDECAR).read_text())
        if data.get("format") == _SIDECAR_FORMAT and data.get("signature") == signature:
            return PackageStats(str(data["content_hash"]), int(data["files"]), int(data["bytes"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _write_sidecar(root: Path, signature: str, stats: PackageStats) -> None:
    payload = json.dumps({"format": _SIDECAR_FORMAT, "signature": signature, "content_hash": stats.content_hash,
                          "files": stats.files, "bytes": stats.bytes})
    try:
        fd, tmp = tempfile.mkstemp(dir=root, prefix=HASH_SIDECAR + ".", suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            handle.write(payload)
        os.replace(tmp, root / HASH_SIDECAR)
    except OSError:
        pass  # a read-only folder: the in-memory answer is enough


# -- packing -------------------------------------------------------------------------------------


class _HashingReader(io.RawIOBase):
    """Reads a file for tarfile while hashing it, so the hash covers exactly the bytes packed."""

    def __init__(self, handle: BinaryIO):
        self._handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._handle.readinto(buffer)
        if count:
            self.digest.update(memoryview(buffer)[:count])
            self.size += count
        return count or 0


def write_package(folder: str | os.PathLike[str], out: BinaryIO, compresslevel: int = 1) -> PackageStats:
    """Write the folder's package (tar.gz, files in path order) to `out`; returns the content hash
    of exactly what was written. Level 1 gzip: test data shrinks several times at disk speed."""
    files = package_files(folder)
    hasher = _Hasher(Path(os.path.abspath(folder)).name)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=compresslevel, mtime=0) as compressed, \
            tarfile.open(fileobj=compressed, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for file in files:
            with open(file.source, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                info = tarfile.TarInfo(file.path)
                info.size, info.mode, info.mtime = size, 0o644, 0
                reader = _HashingReader(handle)
                archive.addfile(info, io.BufferedReader(reader, _READ_BLOCK))
                if reader.size != size:
                    raise ProblemFormatError(file.source, "file changed while it was packed")
                hasher.add(file.path, size, reader.digest.hexdigest())
    return hasher.stats()


def _member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if (not name or path.is_absolute() or any(part in ("", ".", "..") for part in path.parts)
            or any(part.startswith(".") for part in path.parts) or "\\" in name or "\0" in name):
        raise ProblemFormatError(name, "package member escapes the package or is hidden")
    return path


def unpack_package(stream: BinaryIO, dest: str | os.PathLike[str]) -> PackageStats:
    """Unpack a package stream into the empty folder `dest`; returns the content hash of what was
    unpacked (the caller compares it with the hash it asked for). Only plain files are accepted."""
    root = Path(dest)
    hasher_entries: list[tuple[str, int, str]] = []
    total = 0
    with gzip.GzipFile(fileobj=stream, mode="rb") as compressed, \
            tarfile.open(fileobj=compressed, mode="r|") as archive:
        for member in archive:
            if not member.isfile():
                raise ProblemFormatError(member.name, "package member is not a plain file")
            path = _member_path(member.name)
            total += member.size
            if total > MAX_PACKAGE_BYTES or len(hasher_entries) >= MAX_PACKAGE_FILES:
                raise ProblemFormatError(member.name, "package is too large")
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            digest = hashlib.sha256()
            written = 0
            with open(target, "xb") as out:  # "x": a duplicate member is refused, not merged
                while block := source.read(_READ_BLOCK):
                    digest.update(block)
                    out.write(block)
                    written += len(block)
            hasher_entries.append((str(path), written, digest.hexdigest()))
    hasher = _Hasher(Path(os.path.abspath(root)).name)
    for path, size, digest in sorted(hasher_entries):
        hasher.add(path, size, digest)
    return hasher.stats()

