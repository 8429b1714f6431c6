"""Which CPU a run box keeps its work on.

A test's round trip hands the CPU over several times: supervisor -> spawner -> test process
-> supervisor. When those processes sit on different CPUs, every hand-over is a cross-CPU
wake-up, and the CPU woken up may first have to leave an idle state (on a virtual machine, a
trip through the hypervisor). Measured on a 2-core VM, many-small (240 tests of ~1 ms, two run
boxes), the floor and both variants interleaved 20 times: ours/floor 1.081 with the boxes free
to float, 1.015 with each box's processes on a CPU of their own.

So each run box gets a CPU index (its `LABEL_CPU`): the one fewest boxes of its own pool use,
since a submission's tests run side by side in the boxes of one pool, and of those the one
fewest run boxes on the engine use. Its supervisor keeps itself, its spawners and single-process
runs of at most one CPU there (runs of several processes, or allowed more CPUs, such as a
compile, use every CPU). Two workers starting boxes at the same moment must not both see the
same CPU as free: the choice and the container's creation happen under a lock file in the
state directory, which every worker of one host shares (the service's workers, compose's).
"""

from __future__ import annotations

import fcntl
import logging
import weakref
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import docker
import docker.errors

from .settings import SandboxSettings

log = logging.getLogger(__name__)

LABEL_CPU = "ioi-grader.cpu"
LOCK_NAME = "cpus.lock"
_engine_cpu_counts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # client -> `docker info`'s NCPU


def least_used(cpu_count: int, taken: list[int], own: list[int] = ()) -> int:
    """The index in range(cpu_count) that the fewest of `own` (the pool's boxes) name, then
    the fewest of `taken` (every run box's, the pool's included), then the lowest."""
    mine = Counter(own)
    counts = Counter(taken)
    return min(range(cpu_count), key=lambda index: (mine[index], counts[index], index))


def pool_of(box_name: str) -> str:
    """The name a box's pool gives all its boxes (`<pool>-<role><serial>`, see SandboxPool)."""
    return box_name.rsplit("-", 1)[0]


def _engine_cpus(client: docker.DockerClient) -> int:
    if client not in _engine_cpu_counts:
        _engine_cpu_counts[client] = max(1, int(client.info().get("NCPU") or 1))
    return _engine_cpu_counts[client]


def _taken(client: docker.DockerClient, pool: str) -> tuple[list[int], list[int]]:
    """The CPU indices of every run box on the engine, and of those named `pool`-*."""
    taken, own = [], []
    # Created ones too: a box counts from its creation (under the lock) on.
    for container in client.containers.list(filters={"label": LABEL_CPU, "status": ["created", "running"]}):
        try:
            index = int(container.labels[LABEL_CPU])
        except (KeyError, ValueError):
            continue
        taken.append(index)
        if pool_of(container.name) == pool:
            own.append(index)
    return taken, own


@contextmanager
def placement(client: docker.DockerClient, settings: SandboxSettings, box_name: str,
              keep: int | None = None) -> Iterator[int | None]:
    """The CPU index for the run box `box_name` about to be created, held until it is (create
    the container inside the `with`; the state directory exists by then). `keep`: the index of
    the box it replaces, kept as is. None when pinning is off, or the engine cannot say what
    runs (the box then floats, as any process)."""
    if not settings.pin_cpus:
        yield None
        return
    if keep is not None:
        yield keep
        return
    with open(settings.state_dir / LOCK_NAME, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            chosen = least_used(_engine_cpus(client), *_taken(client, pool_of(box_name)))
        except (docker.errors.DockerException, OSError, ValueError) as error:
            log.warning("no CPU chosen for a new box (it will float): %s", error)
            chosen = None
        yield chosen  # the lock is released once the container exists
