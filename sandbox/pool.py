"""A worker's warm boxes: `run_boxes` that execute submissions and `judge_boxes` (one per run
box by default) that compile and run the task's trusted programs (grader objects, checkers,
managers). Judge boxes are the only ones that ever hold expected outputs; run boxes never do.
A broken box is replaced by a fresh container before it serves again. A healthy box that has
served `recycle_after` runs keeps serving while its replacement starts in the background, and is
swapped out once the replacement is up: starting a container takes about a second, which a
synchronous swap would add to the submission that happened to age the box out. Retired boxes
are destroyed in the background too.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
        # Replacements being started for aged-out boxes, and destroys of retired ones.
        self._background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="box-recycler")
        self._replacements: dict[Box, Future[Box]] = {}
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
        self._background.shutdown(wait=True)  # replacements started are in _all once done
        boxes = list(self._all)
        with ThreadPoolExecutor(max_workers=max(1, len(boxes))) as executor:
            list(executor.map(lambda b: b.destroy(), boxes))
        self._all.clear()

    def __enter__(self) -> SandboxPool:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _new_box(self, role: str, cpu: int | None = None) -> Box:
        """A started box; `cpu`: the CPU index of the run box it replaces, which it takes over."""
        with self._serial_lock:
            self._serial += 1
            name = f"{self._prefix}-{role[0]}{self._serial}"
        box = Box(self.client, self.settings, name, role, cpu)
        try:
            box.start()
        except BaseException:
            box.destroy()
            raise
        self._all.add(box)
        return box

    def _retire(self, box: Box) -> None:
        """Take `box` out of the pool and destroy it in the background."""
        self._all.discard(box)
        self.recycled += 1
        try:
            self._background.submit(box.destroy)
        except RuntimeError:  # the pool is closing: destroy it here
            box.destroy()

    def _replace(self, box: Box) -> Box:
        """A fresh box for a broken one, now."""
        log.info("replacing broken %r", box)
        pending = self._replacements.pop(box, None)  # it aged out first: its replacement is starting
        fresh = None
        if pending is not None:
            try:
                fresh = pending.result()
            except Exception as error:  # noqa: BLE001 - start one here instead
                log.warning("the replacement started for %r failed: %s", box, error)
        fresh = fresh or self._new_box(box.role, box.cpu)
        self._retire(box)
        return fresh

    def _swap_aged(self, box: Box) -> Box:
        """`box` served its `recycle_after` runs: start its replacement in the background on the
        first call, and return the replacement (retiring `box`) once it is up; until then, and if
        it could not start (the next call tries again), `box` itself."""
        pending = self._replacements.get(box)
        if pending is None:
            log.info("recycling %r: starting its replacement", box)
            try:
                self._replacements[box] = self._background.submit(self._new_box, box.role, box.cpu)
            except RuntimeError:  # the pool is closing
                pass
            return box
        if not pending.done():
            return box
        del self._replacements[box]
        try:
            fresh = pending.result()
        except Exception as error:  # noqa: BLE001 - the box is healthy: it serves on, the next call retries
            log.error("could not start a replacement for %r (it keeps serving): %s", box, error)
            return box
        self._retire(box)
        return fresh

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
        """A run box for this thread alone (waits for one when all are busy)."""
        with self._lend(self._idle) as box:
            yield box

    @contextmanager
    def judge_box(self) -> Iterator[Box]:
        """A judge box for this thread alone (waits for one when all are busy)."""
        with self._lend(self._judges) as box:
            yield box

    @contextmanager
    def _lend(self, boxes: queue.Queue[Box]) -> Iterator[Box]:
        """A box from `boxes`, replaced before and after use if it broke or aged out.

        A box that cannot be replaced goes back to the queue still broken, so the pool keeps
        its size and the next caller retries the replacement.
        """
        if self._closed:
            raise SandboxError("sandbox pool is closed")
        if not self._started:
            raise SandboxError("sandbox pool is not started")
        box = boxes.get()
        try:
            box = self._fresh(box)
            yield box
            box = self._fresh(box, quiet=True)
        finally:
            boxes.put(box)

    def _fresh(self, box: Box, quiet: bool = False) -> Box:
        if self._closed:
            return box
        if not box.broken:
            return self._swap_aged(box) if box.runs >= self.settings.recycle_after else box
        try:
            return self._replace(box)
        except SandboxError as error:
            box.broken = True
            if quiet:
                log.error("could not replace %r: %s", box, error)
                return box
            raise

    def image_id(self) -> str:
        return self.client.images.get(self.settings.image).id
