"""The box's cgroups, as the supervisor sees them: one set per slot, for accounting and limits.

The driver delegates the box's own cgroup directories to the supervisor (bind mounts under
CGROUP_DIR); each slot gets a child there. `open_box_cgroups` picks the backend for what the
host runs. Only the standard library: this file runs inside the image.
"""

from __future__ import annotations

import errno
import os
import signal
import time

CGROUP_DIR = "/sandbox/cgroup"
CFS_PERIOD = 100_000
REQUIRED_CONTROLLERS = ("memory", "cpuacct", "pids")
OPTIONAL_CONTROLLERS = ("cpu", "freezer")


class CgroupUnavailable(SystemExit):
    """The box was started without the cgroups the supervisor needs."""


def write_text(path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def read_text(path: str) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return os.read(fd, 1 << 16).decode()
    finally:
        os.close(fd)


class SlotCgroup:
    """The cgroups of one slot: every process a run starts in that slot, and their descendants."""

    def __init__(self, slot: str, controllers: dict[str, str]):
        self.slot = slot
        self.paths = {name: os.path.join(root, slot) for name, root in controllers.items()}
        for path in self.paths.values():
            try:
                os.mkdir(path, 0o755)
            except FileExistsError:
                pass
        self.memory_baseline = 0
        self.oom_kills_before = 0
        self.spawner: Spawner | None = None  # lives in the slot's cgroups; never killed between runs
        self._applied: dict[str, int] = {}  # last value written to each limit file
        self.has_memsw = os.path.exists(self._file("memory", "memory.memsw.limit_in_bytes"))

    def _file(self, controller: str, name: str) -> str:
        return os.path.join(self.paths[controller], name)

    def adopt(self, pid: int) -> None:
        """Move a process (the slot's spawner) into the slot: its children are born there."""
        for controller in self.paths:
            write_text(self._file(controller, "cgroup.procs"), str(pid))

    def members(self) -> list[int]:
        """Every process the slot's cgroup lists, except its spawner.

        A listing is a snapshot that races with fork: it can show a parent and miss the child
        it is creating, and by the time we look at the parent it may have exited. So a listed
        process that turns out to be a zombie does not prove the slot empty; only a listing
        with nobody in it, or one taken with the slot frozen, does (see `kill_all`)."""
        text = read_text(self._file("pids", "cgroup.procs"))
        spawner = self.spawner.pid if self.spawner else -1
        return [int(p) for p in text.split() if int(p) != spawner]

    def pids(self) -> list[int]:
        """Live processes in the slot (zombies waiting to be reaped are not running anything)."""
        return [p for p in self.members() if not is_zombie(p)]

    def oom_kills(self) -> int:
        for line in read_text(self._file("memory", "memory.oom_control")).splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def prepare(self, memory: int, pids: int, cpus: float) -> None:
        """Reset the counters and set this run's limits. Called with the slot empty.

        Limits are written only when they change: consecutive tests of a submission share
        them, and every cgroup file write costs a syscall round trip (~10 us)."""
        write_text(self._file("cpuacct", "cpuacct.usage"), "0")
        # Whatever is still charged (page cache of files an earlier run touched) is not this
        # run's: measure peak above it, and let the run have its full limit on top of it.
        self.memory_baseline = int(read_text(self._file("memory", "memory.usage_in_bytes")))
        self._set("memory", "memory.limit_in_bytes", memory + self.memory_baseline, memsw=self.has_memsw)
        write_text(self._file("memory", "memory.max_usage_in_bytes"), "0")
        self.oom_kills_before = self.oom_kills()
        self._set("pids", "pids.max", pids + 1)  # + the slot's spawner
        if "cpu" in self.paths:
            self._set("cpu", "cpu.cfs_period_us", CFS_PERIOD)
            self._set("cpu", "cpu.cfs_quota_us", max(1000, int(CFS_PERIOD * cpus)))

    def _set(self, controller: str, name: str, value: int, memsw: bool = False) -> None:
        if self._applied.get(name) == value:
            return
        if memsw:
            # memsw (memory+swap) must never be below the memory limit: order the writes so it holds.
            names = ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.limit_in_bytes")
        else:
            names = (name,)
        for each in names:
            try:
                write_text(self._file(controller, each), str(value))
            except OSError as error:
                if error.errno != errno.EINVAL:
                    raise
        self._applied[name] = value

    def cpu_seconds(self) -> float:
        return int(read_text(self._file("cpuacct", "cpuacct.usage"))) / 1e9

    def peak_memory(self) -> int:
        peak = int(read_text(self._file("memory", "memory.max_usage_in_bytes")))
        return max(0, peak - self.memory_baseline)

    def oom_killed(self) -> bool:
        return self.oom_kills() > self.oom_kills_before

    def kill_all(self, keep_unreaped: frozenset[int] = frozenset()) -> int | None:
        """SIGKILL every process in the slot. Returns how many live processes it killed once
        the slot is empty (0 at once when nobody is listed), None if it would not empty.

        Killed orphans (re-parented to us) are reaped here, except `keep_unreaped`: direct
        children whose exit status the run still has to collect itself.
        """
        deadline = time.monotonic() + 5.0
        freezer = "freezer" in self.paths
        killed: set[int] = set()
        while True:
            if not self.members():
                return len(killed)
            if time.monotonic() > deadline:
                return None
            # Frozen, nothing in the slot can fork, so the listing is complete: without this a
            # fork bomb outruns the kill loop, and a daemon's parent exiting right after its
            # fork hides the child from the listing (the daemon attack caught that).
            frozen = freezer and self._set_frozen(True)
            pids = self.pids()
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if freezer:
                self._set_frozen(False)
            killed.update(pids)
            if not pids and (frozen or not freezer):
                # Frozen: a complete listing with nothing alive in it. Without the (optional)
                # freezer controller this is the best a snapshot can tell.
                return len(killed)
            for pid in pids:
                if pid not in keep_unreaped:
                    try:
                        os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        pass  # not ours yet: its parent is alive (and now dying)
            time.sleep(0.001)

    def _set_frozen(self, frozen: bool) -> bool:
        """Freeze or thaw the slot; True once it is frozen (or thawed), False if it did not
        settle within 100 ms (a task stuck in the kernel): the caller must not trust a listing."""
        state_file = self._file("freezer", "freezer.state")
        write_text(state_file, "FROZEN" if frozen else "THAWED")
        if not frozen:
            return True
        for _ in range(200):
            if read_text(state_file).strip() == "FROZEN":
                return True
            time.sleep(0.0005)
        return False

    def remove(self) -> None:
        for path in self.paths.values():
            try:
                os.rmdir(path)
            except OSError:
                pass


def discover_controllers(root: str = CGROUP_DIR) -> dict[str, str]:
    controllers = {}
    for name in REQUIRED_CONTROLLERS + OPTIONAL_CONTROLLERS:
        path = os.path.join(root, name)
        if os.path.isdir(path) and os.access(path, os.W_OK):
            controllers[name] = path
    missing = [c for c in REQUIRED_CONTROLLERS if c not in controllers]
    if missing:
        raise CgroupUnavailable(f"supervisor: cgroup controllers not delegated to the box: {', '.join(missing)}")
    return controllers


def is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return True  # gone already


class BoxCgroups:
    """cgroup v1: one bind-mounted directory per controller, a child per slot in each."""

    version = 1

    def __init__(self, root: str = CGROUP_DIR):
        self.controllers = discover_controllers(root)

    def limit_box_pids(self, count: int) -> None:
        """The box as a whole (every slot together) never holds more than `count` tasks."""
        write_text(os.path.join(self.controllers["pids"], "pids.max"), str(count))

    def slot(self, name: str) -> SlotCgroup:
        return SlotCgroup(name, self.controllers)

    def describe(self) -> list[str]:
        return sorted(self.controllers)


def open_box_cgroups() -> BoxCgroups:
    return BoxCgroups()
