"""Which CPU a run box keeps its work on.

A test's round trip hands the CPU over several times: supervisor -> spawner -> test process
-> supervisor. When those processes sit on different CPUs, every hand-over is a cross-CPU
wake-up, and the CPU woken up may first have to leave an idle state (on a virtual machine, a
trip through the hypervisor). Measured on a 2-core VM, many-small (240 tests of ~1 ms, two run
boxes), the floor and both variants interleaved 20 times: ours/floor 1.081 with the boxes free
to float, 1.015 with each box's processes on a CPU of their own.

So each run box gets a CPU index, the one least used by the run boxes the engine runs at the
moment (its `LABEL_CPU`), and its supervisor keeps itself, its spawners and single-process
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


def least_used(cpu_count: int, taken: list[int]) -> int:
    """The index in range(cpu_count) that the fewest of `taken` name (the lowest on a tie)."""
    counts = Counter(index for index in taken if 0 <= index < cpu_count)
    return min(range(cpu_count), key=lambda index: (counts[index], index))


def _engine_cpus(client: docker.DockerClient) -> int:
    if client not in _engine_cpu_counts:
        _engine_cpu_counts[client] = max(1, int(client.info().get("NCPU") or 1))
    return _engine_cpu_counts[client]


def _taken(client: docker.DockerClient) -> list[int]:
    taken = []
    # Created ones too: a box counts from its creation (under the lock) on.
    for container in client.containers.list(filters={"label": LABEL_CPU, "status": ["created", "running"]}):
        try:
            taken.append(int(container.labels[LABEL_CPU]))
        except (KeyError, ValueError):
            continue
    return taken


@contextmanager
def placement(client: docker.DockerClient, settings: SandboxSettings, keep: int | None = None) -> Iterator[int | None]:
    """The CPU index for a run box about to be created, held until it is (create the container
    inside the `with`). `keep`: the index of the box it replaces, kept as is. None when pinning
    is off, or the engine cannot say what runs (the box then floats, as any process)."""
    if not settings.pin_cpus:
        yield None
        return
    if keep is not None:
        yield keep
        return
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.state_dir / LOCK_NAME, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            chosen = least_used(_engine_cpus(client), _taken(client))
        except (docker.errors.DockerException, OSError, ValueError) as error:
            log.warning("no CPU chosen for a new box (it will float): %s", error)
            chosen = None
        yield chosen  # the lock is released once the container exists
