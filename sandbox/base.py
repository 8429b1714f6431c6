"""The sandbox API that task types, checkers and the grader use: what a box offers, whatever
runs it. `Box` (a warm Docker container) is the real one; the test suite has a plain-process
double. No caller builds paths inside a box's folders: `put`, `output` and `install` hand out
the paths a request may name.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from collections.abc import Collection
from typing import Protocol

from .protocol import RunManyResponse, RunRequest, RunResponse


class BoxFile:
    """A file a run may write (stdout, a log, a collected program): `inside` is its path in the
    box, to name in a request; after the run, read it or take it out."""

    def __init__(self, host: str, inside: str):
        self._host = host
        self.inside = inside

    def exists(self) -> bool:
        return os.path.exists(self._host)

    def read_bytes(self, limit: int | None = None) -> bytes:
        """At most `limit` bytes of it (all of it without a limit); empty if it was never written."""
        try:
            with open(self._host, "rb") as handle:
                return handle.read() if limit is None else handle.read(limit)
        except FileNotFoundError:
            return b""

    def read_text(self, errors: str = "strict") -> str:
        return self.read_bytes().decode("utf-8", errors=errors)

    def take(self, dest: Path | str) -> Path:
        """Move it out of the box's folder to `dest` (a rename on the same filesystem)."""
        shutil.move(self._host, dest)
        return Path(dest)

    def unlink(self) -> None:
        try:
            os.unlink(self._host)
        except FileNotFoundError:
            pass

    def __repr__(self) -> str:
        return f"BoxFile({self.inside})"


class CapturedFile:
    """An output stream a run captured in memory (`Stream(capture=True)`): a memfd its box
    handed back with the result, which never touches a disk. Read it, or give its `path`
    (/proc/self/fd/N, which re-opens it) to anything that opens files; `unlink` frees it, as it
    removes an output file (a memfd has no name: closing its last descriptor frees it).

    A small one is kept as bytes, and becomes a memfd of its own only if its `path` is asked
    for: judging most outputs then reads no file at all.

    The worker owns it: whoever takes a result's capture must `unlink` it once done (the
    garbage collector frees one that was dropped)."""

    SMALL = 64 << 10  # bytes kept in memory as they are

    def __init__(self, fd: int = -1, data: bytes | None = None):
        self.fd = fd
        self._data = data

    @classmethod
    def copy_of(cls, fd: int) -> CapturedFile:
        """A copy of the memfd `fd` that is this process's own (bytes, or a memfd of its own),
        and `fd` closed.

        A memfd's pages stay charged to the memory cgroup of the process that wrote them (the
        run's) for as long as the file lives. The box reuses a slot's cgroup on cgroup v1, so a
        capture freed while a later run is in it would lower that run's usage below the
        baseline its peak is measured from. Copied here while the box is still ours, the run's
        pages are freed before the box serves another run, and what the worker keeps is its own."""
        try:
            size = os.fstat(fd).st_size
            if size <= cls.SMALL:
                return cls(data=_read_all(fd, size))
            own = os.memfd_create("captured", os.MFD_CLOEXEC)
            try:
                copied = 0
                while copied < size:
                    sent = os.sendfile(own, fd, copied, size - copied)
                    if sent == 0:
                        break
                    copied += sent
            except BaseException:
                os.close(own)
                raise
            return cls(own)
        finally:
            os.close(fd)

    @property
    def path(self) -> str:
        if self.fd < 0:
            if self._data is None:
                raise ValueError("captured output already freed")
            self.fd = os.memfd_create("captured", os.MFD_CLOEXEC)
            view = memoryview(self._data)
            while view:
                view = view[os.write(self.fd, view):]
        return f"/proc/self/fd/{self.fd}"

    def __fspath__(self) -> str:
        return self.path

    def exists(self) -> bool:
        return self.fd >= 0 or self._data is not None

    def size(self) -> int:
        return len(self._data) if self._data is not None else os.fstat(self.fd).st_size

    def read_bytes(self, limit: int | None = None) -> bytes:
        """At most `limit` bytes from its start (all of it without a limit)."""
        if self._data is not None:
            return self._data if limit is None else self._data[:limit]
        return _read_all(self.fd, self.size() if limit is None else limit)

    def read_text(self, errors: str = "strict") -> str:
        return self.read_bytes().decode("utf-8", errors=errors)

    def copy_to(self, dest: str | Path) -> None:
        """Write it to the file `dest` (created or truncated), without making a memfd of a
        small one first."""
        if self._data is None:
            shutil.copyfile(self.path, dest)
        else:
            with open(dest, "wb") as handle:
                handle.write(self._data)

    def unlink(self, missing_ok: bool = False) -> None:
        self._data = None
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        self.unlink()

    def __repr__(self) -> str:
        return f"CapturedFile(fd={self.fd}, {'in memory' if self._data is not None else 'memfd'})"


def _read_all(fd: int, wanted: int) -> bytes:
    """Up to `wanted` bytes of `fd` from its start (pread: its offset is left alone)."""
    chunks, offset = [], 0
    while offset < wanted:
        chunk = os.pread(fd, min(wanted - offset, 1 << 24), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


class Sandbox(Protocol):
    role: str  # "run" (submissions) or "judge" (trusted task programs, expected outputs)
    installed: dict[str, str]

    def put(self, source: Path | str | CapturedFile, *, cache: bool = True) -> str:
        """Make a host file (or a captured output, without `cache`) readable in the box; its
        path inside. With `cache`, a file already put (same path, size and mtime) is not copied
        again."""

    def discard(self, inside: str) -> None:
        """Forget a file `put` without `cache`."""

    def output(self) -> BoxFile:
        """A fresh file a process of the next run may create."""

    def install(self, program: Path | str, name: str, key: str, trusted: bool = False) -> str:
        """Install an executable (a submission, or with `trusted` a task program) under `name`;
        its path inside. Skipped when the same `key` is installed already."""

    def clear_submissions(self) -> None:
        """Remove every installed submission program."""

    def run(self, request: RunRequest) -> RunResponse:
        ...

    def run_many(self, runs: list[dict], stop_on_failure: bool = True) -> RunManyResponse:
        """Several runs (RunRequest dicts) back to back; stops after the first that did not run
        cleanly when `stop_on_failure` (a cancelled run does not stop the others)."""

    def cancel(self, tags: Collection[str]) -> None:
        """Abort the runs tagged with one of `tags` (`RunRequest.tag`) in the request this box is
        executing now: one still queued in a `run_many` is not started, a running one is killed.
        Each comes back with `cancelled` set (and, if it had started, what it used until then).
        Safe to call from any thread while another one waits in `run` or `run_many`; tags of
        runs that have finished, or a box with no request in flight, are ignored."""
