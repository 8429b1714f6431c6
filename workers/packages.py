"""Problem packages carried by Redis, so that workers need no shared filesystem.

The API host publishes the package of the problem version a job names (its content hash)
before it queues the job: the package's bytes as chunks `ioi:pkg:<hash>:<i>`, then the
manifest `ioi:pkg:<hash>` last, so a manifest present means a complete package. A worker
that meets a hash it has not cached streams the chunks (each checked against the manifest's
SHA-256), unpacks them and checks the content hash of what it unpacked.

Packages expire `ttl` seconds after they were last published or asked for by a job, which
bounds Redis memory to the problems in use. `PackageTransport` is the interface an object
store (S3 and the like) would implement for the same job.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tarfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel
from redis import Redis

from ..grading.grader import GradingError
from ..problems.package import unpack_package, write_package

log = logging.getLogger(__name__)

MANIFEST_KEY = "ioi:pkg:{}"
CHUNK_KEY = "ioi:pkg:{}:{}"
LOCK_KEY = "ioi:pkg:{}:lock"
CHUNK_BYTES = 1 << 20
DEFAULT_TTL = int(os.environ.get("IOI_GRADER_PACKAGE_TTL", 7 * 24 * 3600))
PUBLISH_LOCK_SECONDS = 600


class PackageUnavailable(GradingError):
    """The package of a problem version is not (or no longer) published."""


class PackageCorrupt(GradingError):
    """What arrived does not match the manifest or the content hash."""


class PackageChanged(RuntimeError):
    """The folder's content changed between hashing and packing: it is another version now."""

    def __init__(self, expected: str, actual: str):
        super().__init__(f"the problem's files changed while it was published ({expected[:12]} -> {actual[:12]})")
        self.actual = actual


class PackageManifest(BaseModel):
    content_hash: str
    problem_id: str
    folder_name: str  # the task folder's name, part of the version (Kattis names problems by it)
    files: int
    bytes: int = 0  # unpacked size
    packed_bytes: int
    chunk_bytes: int
    chunk_sha256: list[str]
    published_at: float


class PackageTransport(Protocol):
    def publish(self, problem_id: str, folder: Path, content_hash: str) -> PackageManifest: ...

    def fetch(self, content_hash: str, dest: Path, on_bytes: Callable[[int], None] | None = None) -> Path: ...


class _ChunkWriter(io.RawIOBase):
    """A write-only stream that stores every `CHUNK_BYTES` as one Redis key."""

    def __init__(self, redis: Redis, key_of: Callable[[int], str], ttl: int):
        self.redis, self.key_of, self.ttl = redis, key_of, ttl
        self.buffer = bytearray()
        self.sha256: list[str] = []
        self.total = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        while len(self.buffer) >= CHUNK_BYTES:
            self._store(bytes(self.buffer[:CHUNK_BYTES]))
            del self.buffer[:CHUNK_BYTES]
        return len(data)

    def finish(self) -> None:
        if self.buffer or not self.sha256:
            self._store(bytes(self.buffer))
            self.buffer.clear()

    def _store(self, chunk: bytes) -> None:
        self.redis.set(self.key_of(len(self.sha256)), chunk, ex=self.ttl)
        self.sha256.append(hashlib.sha256(chunk).hexdigest())
        self.total += len(chunk)


class _ChunkReader(io.RawIOBase):
    """A read-only stream over a published package's chunks, checked one by one."""

    def __init__(self, redis: Redis, manifest: PackageManifest, on_bytes: Callable[[int], None] | None):
        self.redis, self.manifest, self.on_bytes = redis, manifest, on_bytes
        self.index = 0
        self.current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.current:
            if self.index >= len(self.manifest.chunk_sha256):
                return 0
            chunk = self.redis.get(CHUNK_KEY.format(self.manifest.content_hash, self.index))
            if chunk is None:
                raise PackageUnavailable(
                    f"package {self.manifest.content_hash[:12]} of {self.manifest.problem_id!r} expired while it was "
                    "fetched")
            if hashlib.sha256(chunk).hexdigest() != self.manifest.chunk_sha256[self.index]:
                raise PackageCorrupt(f"chunk {self.index} of package {self.manifest.content_hash[:12]} is corrupt")
            if self.on_bytes:
                self.on_bytes(len(chunk))
            self.current = memoryview(chunk)
            self.index += 1
        count = min(len(buffer), len(self.current))
        buffer[:count] = self.current[:count]
        self.current = self.current[count:]
        return count


class RedisPackages:
    """Packages in Redis: published by the API host, fetched by workers."""

    def __init__(self, redis: Redis, ttl: int = DEFAULT_TTL):
        self.redis = redis
        self.ttl = ttl

    def published(self, content_hash: str) -> bool:
        return bool(self.redis.exists(MANIFEST_KEY.format(content_hash)))

    def manifest(self, content_hash: str) -> PackageManifest | None:
        raw = self.redis.get(MANIFEST_KEY.format(content_hash))
        return PackageManifest.model_validate_json(raw) if raw else None

    def keep(self, manifest: PackageManifest) -> None:
        """Push the expiry of a published package back by `ttl` (a job is about to need it)."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.expire(MANIFEST_KEY.format(manifest.content_hash), self.ttl)
            for index in range(len(manifest.chunk_sha256)):
                pipe.expire(CHUNK_KEY.format(manifest.content_hash, index), self.ttl)
            pipe.execute()

    def publish(self, problem_id: str, folder: Path, content_hash: str, wait: float = PUBLISH_LOCK_SECONDS
                ) -> PackageManifest:
        """Make the package of `folder` (whose content hash is `content_hash`) available; returns
        its manifest. Idempotent; concurrent publishers of one hash publish it once."""
        deadline = time.monotonic() + wait
        lock_key, token = LOCK_KEY.format(content_hash), uuid.uuid4().hex
        while True:
            manifest = self.manifest(content_hash)
            if manifest is not None:
                self.keep(manifest)
                return manifest
            if self.redis.set(lock_key, token, nx=True, ex=PUBLISH_LOCK_SECONDS):
                break
            if time.monotonic() > deadline:
                raise PackageUnavailable(f"another process has been publishing {content_hash[:12]} for too long")
            time.sleep(0.1)
        try:
            started = time.monotonic()
            writer = _ChunkWriter(self.redis, lambda i: CHUNK_KEY.format(content_hash, i), self.ttl)
            stats = write_package(folder, writer)
            writer.finish()
            if stats.content_hash != content_hash:
                self._drop_chunks(content_hash, len(writer.sha256))
                raise PackageChanged(content_hash, stats.content_hash)
            manifest = PackageManifest(
                content_hash=content_hash, problem_id=problem_id, folder_name=Path(folder).name,
                files=stats.files, bytes=stats.bytes,
                packed_bytes=writer.total, chunk_bytes=CHUNK_BYTES, chunk_sha256=writer.sha256,
                published_at=time.time(),
            )
            # The manifest last: its presence means every chunk is there.
            self.redis.set(MANIFEST_KEY.format(content_hash), manifest.model_dump_json(), ex=self.ttl)
            log.info("published %s (%s): %d files, %d bytes packed to %d in %.1f s", problem_id,
                     content_hash[:12], stats.files, stats.bytes, writer.total, time.monotonic() - started)
            return manifest
        finally:
            if self.redis.get(lock_key) == token.encode():
                self.redis.delete(lock_key)

    def _drop_chunks(self, content_hash: str, count: int) -> None:
        if count:
            self.redis.delete(*[CHUNK_KEY.format(content_hash, i) for i in range(count)])

    def fetch(self, content_hash: str, dest: Path, on_bytes: Callable[[int], None] | None = None) -> Path:
        """Unpack the package as a task folder inside `dest` (named as on the API host), verify it
        and return the task folder."""
        manifest = self.manifest(content_hash)
        if manifest is None:
            raise PackageUnavailable(f"problem version {content_hash[:12]} is not published (expired, or Redis lost "
                                     "it); submitting the problem again publishes it")
        name = manifest.folder_name
        if not name or name.startswith(".") or "/" in name or "\0" in name:
            raise PackageCorrupt(f"package {content_hash[:12]} names a bad folder {name!r}")
        folder = Path(dest) / name
        reader = io.BufferedReader(_ChunkReader(self.redis, manifest, on_bytes), CHUNK_BYTES)
        try:
            stats = unpack_package(reader, folder)
        except (OSError, EOFError, ValueError, tarfile.TarError) as error:
            if isinstance(error, GradingError):
                raise
            raise PackageCorrupt(f"package {content_hash[:12]} does not unpack: {error}") from error
        if stats.content_hash != content_hash:
            raise PackageCorrupt(f"package {content_hash[:12]} unpacked to content {stats.content_hash[:12]}")
        return folder


def folder_bytes(folder: Path) -> int:
    total = 0
    for base, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(base, name)).st_size
            except OSError:
                pass
    return total
