"""A worker's warm boxes: `run_boxes` that execute submissions and `judge_boxes` (one per run
box by default) that compile and run the task's trusted programs (grader objects, checkers,
managers). Judge boxes are the only ones that ever hold expected outputs; run boxes never do.
A box goes back into service only while healthy and younger than `recycle_after` runs;
otherwise it is destroyed and replaced by a fresh container.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import docker
import docker.errors

from .box import Box, SandboxError, SandboxUnavailable, remove_stale_boxes
from .settings import SandboxSettings

log = logging.getLogger(__name__)

BOX_PREFIX = "ioig"  # box names: ioig-<worker pid><random>-<role><serial>


def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except docker.errors.DockerException as error:
        raise SandboxUnavailable(
            f"cannot reach the Docker engine ({error}); start it (scripts/bootstrap does) or set DOCKER_HOST"
        ) from error
    return client


class SandboxPool:
    def __init__(self, settings: SandboxSettings | None = None, client: docker.DockerClient | None = None):
        self.settings = settings or SandboxSettings()
        self.client = client or docker_client()
        self._prefix = f"{BOX_PREFIX}-{os.getpid()}{secrets.token_hex(2)}"
        self._serial = 0
        self._serial_lock = threading.Lock()
        self._idle: queue.Queue[Box] = queue.Queue()
        self._all: set[Box] = set()
        self._judges: queue.Queue[Box] = queue.Queue()
        self.recycled = 0  # boxes replaced, for metrics
        self._started = False
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> SandboxPool:
        from .build import ensure_image  # noqa: PLC0415 - avoids an import cycle with box

        ensure_image(self.client, self.settings.image)
        self.settings.boxes_dir.mkdir(parents=True, exist_ok=True)
        removed = remove_stale_boxes(self.client, self.settings)
        if removed:
            log.info("removed %d boxes left by dead workers", removed)
        judges = self.settings.judge_boxes or self.settings.run_boxes
        roles = ["judge"] * judges + ["run"] * self.settings.run_boxes
        with ThreadPoolExecutor(max_workers=len(roles)) as executor:
            boxes = list(executor.map(self._new_box, roles))
        for box in boxes:
            (self._judges if box.role == "judge" else self._idle).put(box)
        self._started = True
        return self

    def close(self) -> None:
        self._closed = True
        boxes = list(self._all)
        with ThreadPoolExecutor(max_workers=max(1, len(boxes))) as executor:
            list(executor.map(lambda b: b.destroy(), boxes))
        self._all.clear()

    def __enter__(self) -> SandboxPool:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _new_box(self, role: str) -> Box:
        with self._serial_lock:
            self._serial += 1
            name = f"{self._prefix}-{role[0]}{self._serial}"
        box = Box(self.client, self.settings, name, role)
        try:
            box.start()
        except BaseException:
            box.destroy()
            raise
        self._all.add(box)
        return box

    def _replace(self, box: Box) -> Box:
        log.info("recycling %r", box)
        self._all.discard(box)
        box.destroy()
        self.recycled += 1
        return self._new_box(box.role)

    def _needs_recycling(self, box: Box) -> bool:
        return box.broken or box.runs >= self.settings.recycle_after

    # -- handing out boxes ---------------------------------------------------------------------

    @property
    def box_prefix(self) -> str:
        """What the names of this pool's boxes (and their cgroup directories) start with."""
        return self._prefix

    @property
    def size(self) -> int:
        return self.settings.run_boxes

    @property
    def busy(self) -> int:
        """Run boxes handed out right now (for the worker's metrics)."""
        return max(0, self.size - self._idle.qsize())

    @contextmanager
    def run_box(self) -> Iterator[Box]:
        """A run box for this thread alone; recycled afterwards if it broke or aged out.

        A box that cannot be replaced goes back to the queue still broken, so the pool keeps
        its size and the next caller retries the replacement.
        """
        if self._closed:
            raise SandboxError("sandbox pool is closed")
        box = self._idle.get()
        try:
            box = self._fresh(box)
            yield box
            box = self._fresh(box, quiet=True)
        finally:
            self._idle.put(box)

    def _fresh(self, box: Box, quiet: bool = False) -> Box:
        if self._closed or not self._needs_recycling(box):
            return box
        try:
            return self._replace(box)
        except SandboxError as error:
            box.broken = True
            if quiet:
                log.error("could not replace %r: %s", box, error)
                return box
            raise

    @contextmanager
    def judge_box(self) -> Iterator[Box]:
        """A judge box for this thread alone (waits for one when all are busy)."""
        if not self._started or self._closed:
            raise SandboxError("sandbox pool is not started")
        box = self._judges.get()
        try:
            box = self._fresh(box)
            yield box
            box = self._fresh(box, quiet=True)
        finally:
            self._judges.put(box)

    def image_id(self) -> str:
        return self.client.images.get(self.settings.image).id
