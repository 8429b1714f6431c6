"""A worker host's cache of problem versions fetched from the API host, bounded on disk (LRU).

Layout under the cache folder (one per host; several worker processes may share it):

    <hash>/<name>/   the unpacked package: the task folder, named as on the API host
                     (<hash>/ present = complete and verified)
    <hash>.lock      flock: shared while a job uses the version, exclusive to fetch or evict it;
                     its mtime is the version's last use
    <hash>.size      bytes on disk, so the LRU sweep does not walk every folder
    .staging-*       packages being unpacked; .trash-* folders being deleted

Entries are content-addressed, so an entry never changes once present: a job that named a
version sees exactly that version for as long as it runs, whatever is published meanwhile.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..problems.loader import load_problem
from ..problems.model import Problem
from .packages import PackageCorrupt, folder_bytes

log = logging.getLogger(__name__)

DEFAULT_CACHE_BYTES = 20 << 30


def parse_size(text: str) -> int:
    """'20GiB', '500M', '1073741824' -> bytes."""
    value = text.strip().upper().removesuffix("B").removesuffix("I")
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    factor = units.get(value[-1:], 1)
    number = value[:-1] if value[-1:] in units else value
    try:
        result = int(float(number) * factor)
    except ValueError:
        raise ValueError(f"not a size: {text!r} (e.g. 20GiB, 512MiB)") from None
    if result <= 0:
        raise ValueError(f"a cache size must be positive, got {text!r}")
    return result


def _valid_hash(content_hash: str) -> bool:
    return len(content_hash) == 64 and all(c in "0123456789abcdef" for c in content_hash)


@dataclass
class CacheEvent:
    hit: bool
    fetched_bytes: int = 0


class Pin:
    """A version in use: its entry cannot be evicted until `release()`."""

    def __init__(self, problem: Problem, handle, content_hash: str):
        self.problem, self._handle, self.content_hash = problem, handle, content_hash

    def release(self) -> None:
        if self._handle is not None:
            try:
                fcntl.flock(self._handle, fcntl.LOCK_UN)
            finally:
                self._handle.close()
                self._handle = None


class ProblemCache:
    def __init__(self, root: Path, max_bytes: int, fetch: Callable[[str, Path, Callable[[int], None]], Path],
                 on_event: Callable[[CacheEvent], None] | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._fetch = fetch
        self._on_event = on_event or (lambda event: None)
        self._loaded: dict[str, Problem] = {}
        self._lock = threading.Lock()
        for leftover in self.root.glob(".staging-*"):
            # Another process on this host may be unpacking right now: only remove old ones.
            try:
                if os.path.getmtime(leftover) < time.time() - 3600:
                    shutil.rmtree(leftover, ignore_errors=True)
            except OSError:
                pass
        for leftover in self.root.glob(".trash-*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def entry(self, content_hash: str) -> Path:
        return self.root / content_hash

    def pin(self, problem_id: str, content_hash: str) -> Pin:
        """The problem version `content_hash`, fetched if this host does not have it, pinned."""
        if not _valid_hash(content_hash):
            raise PackageCorrupt(f"not a content hash: {content_hash[:80]!r}")
        for _ in range(3):
            handle = open(self.root / f"{content_hash}.lock", "a+b")  # noqa: SIM115 - owned by the Pin
            try:
                fcntl.flock(handle, fcntl.LOCK_SH)
                if self.entry(content_hash).is_dir():
                    self._touch(content_hash)
                    problem = self._load(problem_id, content_hash)
                    self._on_event(CacheEvent(hit=True))
                    return Pin(problem, handle, content_hash)
                # Not here: take the entry exclusively (waiting for another process fetching it).
                fcntl.flock(handle, fcntl.LOCK_EX)
                fetched = 0
                if not self.entry(content_hash).is_dir():
                    fetched = self._download(content_hash)
                fcntl.flock(handle, fcntl.LOCK_SH)
                if not self.entry(content_hash).is_dir():
                    handle.close()
                    continue  # evicted in the instant between the two locks: go again
                self._touch(content_hash)
                problem = self._load(problem_id, content_hash)
                self._on_event(CacheEvent(hit=fetched == 0, fetched_bytes=fetched))
                pin = Pin(problem, handle, content_hash)
            except BaseException:
                handle.close()
                raise
            self.evict(keep=content_hash)
            return pin
        raise PackageCorrupt(f"problem version {content_hash[:12]} keeps being evicted: is the cache too small?")

    def _download(self, content_hash: str) -> int:
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        received = 0

        def count(size: int) -> None:
            nonlocal received
            received += size

        try:
            self._fetch(content_hash, staging / "package", count)
            size = folder_bytes(staging / "package")
            (self.root / f"{content_hash}.size").write_text(str(size))
            os.replace(staging / "package", self.entry(content_hash))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        log.info("fetched problem version %s: %d bytes over the wire", content_hash[:12], received)
        return received

    def _load(self, problem_id: str, content_hash: str) -> Problem:
        with self._lock:
            problem = self._loaded.get(content_hash)
        if problem is None:
            folders = [p for p in self.entry(content_hash).iterdir() if p.is_dir() and not p.name.startswith(".")]
            if len(folders) != 1:
                raise PackageCorrupt(f"cache entry {content_hash[:12]} holds {len(folders)} task folders")
            problem = load_problem(folders[0])
            with self._lock:
                self._loaded[content_hash] = problem
        if problem.id != problem_id:
            raise PackageCorrupt(f"problem version {content_hash[:12]} is problem {problem.id!r}, not {problem_id!r}")
        return problem

    def _touch(self, content_hash: str) -> None:
        try:
            os.utime(self.root / f"{content_hash}.lock")
        except OSError:
            pass

    def usage(self) -> dict[str, tuple[int, float]]:
        """{hash: (bytes, last use)} of the complete entries."""
        found = {}
        for entry in self.root.iterdir():
            if entry.name.startswith(".") or not entry.is_dir() or not _valid_hash(entry.name):
                continue
            try:
                size = int((self.root / f"{entry.name}.size").read_text())
            except (OSError, ValueError):
                size = folder_bytes(entry)
            try:
                used = os.path.getmtime(self.root / f"{entry.name}.lock")
            except OSError:
                used = 0.0
            found[entry.name] = (size, used)
        return found

    def evict(self, keep: str | None = None) -> list[str]:
        """Delete least recently used versions until the cache fits its bound. Versions in use
        (pinned by any process of this host) and `keep` are never deleted."""
        usage = self.usage()
        total = sum(size for size, _ in usage.values())
        evicted = []
        for content_hash, (size, _) in sorted(usage.items(), key=lambda item: item[1][1]):
            if total <= self.max_bytes:
                break
            if content_hash == keep:
                continue
            with open(self.root / f"{content_hash}.lock", "a+b") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # in use right now
                if not self.entry(content_hash).is_dir():
                    continue  # another process of this host evicted it first
                trash = Path(tempfile.mkdtemp(prefix=".trash-", dir=self.root))
                os.replace(self.entry(content_hash), trash / "entry")
                (self.root / f"{content_hash}.size").unlink(missing_ok=True)
                fcntl.flock(handle, fcntl.LOCK_UN)
            shutil.rmtree(trash, ignore_errors=True)
            with self._lock:
                self._loaded.pop(content_hash, None)
            total -= size
            evicted.append(content_hash)
            log.info("evicted problem version %s (%d bytes) from the cache", content_hash[:12], size)
        return evicted

