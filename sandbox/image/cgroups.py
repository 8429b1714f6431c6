"""The box's cgroups, as the supervisor sees them: one set per slot, for accounting and limits.

The driver delegates a cgroup subtree to the supervisor, bind-mounted at CGROUP_DIR, and
`open_box_cgroups` picks the backend for what it finds there:

- cgroup v1: one directory per controller (CGROUP_DIR/<controller>), the box's own. Each slot
  is a persistent child in each controller; the slot's spawner lives in it, so what the spawner
  clones is born there (a migration per test would cost an RCU grace period on v1).
- cgroup v2: the parent of the container's own cgroup. The supervisor finds its container's
  cgroup in it, moves itself into a leaf of it ("supervisor"), enables the controllers for the
  children, and gives every run of a slot a fresh leaf (CGROUP_DIR/<container>/<slot>) that
  the spawner clones into (CLONE_INTO_CGROUP) and that is removed when the run ends.

Guarantees, identical on both: CPU time of the whole tree, peak memory of what the run itself
charged (never what an earlier run left charged), the memory limit as requested (on v1 never
above it, and at most one 256 KiB charge batch below, see LIMIT_SLACK), a pids limit, a CPU
bandwidth cap, and "empty" decided by the kernel's own accounting of the cgroup (v1: its task
count, then its listing of every thread group and every thread; v2: `populated`), never by a
state a process claims.

Only the standard library: this file runs inside the image.
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
V2_REQUIRED = ("memory", "pids")
V2_OPTIONAL = ("cpu",)
SUPERVISOR_LEAF = "supervisor"
KILL_DEADLINE = 5.0  # seconds a slot gets to empty after SIGKILL before the box is declared broken
# v1: leftover charge (page cache of an earlier run's files) below which a run's limit and peak
# are set above it instead of reclaiming it first. Forcing a reclaim costs milliseconds of kernel
# retries, more than a small test's own run time. A leftover this small moves a run's limit or
# peak by at most this much: the margin within which a failed run near its limit is judged MLE.
RECLAIM_SLACK = 1 << 20
# v1: a run's memory limit is its budget above the slot's leftover charge, which grows by a few
# pages from one run to the next. The limit file is kept while the leftover grew by at most
# this: the kernel charges a cgroup in per-CPU batches of 64 pages (256 KiB), so its enforcement
# is already this coarse, and each rewrite costs the kernel a limit resize. A leftover that fell
# (after a reclaim) always rewrites it: the limit is never above the budget, so a peak measured
# above the leftover is never above the budget either.
LIMIT_SLACK = 256 << 10

# Test hooks, set by the driver (SandboxSettings.cgroup_hide): pretend the kernel lacks a
# feature, so that each fallback path runs on a kernel that has the feature.
HIDDEN = frozenset(filter(None, os.environ.get("IOI_CGROUP_HIDE", "").split(",")))


class CgroupUnavailable(SystemExit):
    """The box was started without the cgroups the supervisor needs. The message starts with
    DELEGATION_ERROR so that the driver can tell the operator what to change."""

    def __init__(self, message: str):
        super().__init__(f"{DELEGATION_ERROR} {message}")


DELEGATION_ERROR = "supervisor: cgroup delegation failed:"


def write_text(path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def read_text(path: str) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b"".join(chunks).decode()
            chunks.append(chunk)
    finally:
        os.close(fd)


class OpenFiles:
    """Cgroup files kept open, read and written at offset 0 (a cgroup file regenerates its
    content on every read from offset 0, and ignores the offset of a write). Opening one
    costs a path walk through the container's overlay and kernfs, ~8 us against ~1 us for the
    read itself, and a v1 slot touches about 17 of them per test.

    Not for v1 `tasks` or `cgroup.procs`: an open one keeps serving the pid list it loaded
    until the kernel drops that list, a second after its last read, so a process that joined
    since would be missed by the kill loop. Those are opened afresh on every read."""

    PID_LISTS = ("tasks", "cgroup.procs")
    CHUNK = 1 << 16

    def __init__(self):
        self._fds: dict[tuple[str, int], int] = {}  # (path, O_RDONLY or O_WRONLY) -> fd

    def _fd(self, path: str, access: int) -> int:
        fd = self._fds.get((path, access))
        if fd is None:
            if os.path.basename(path) in self.PID_LISTS:
                raise ValueError(f"{path} is a pid list: read it with read_text, not kept open")
            fd = self._fds[path, access] = os.open(path, access | os.O_CLOEXEC)
        return fd

    def read(self, path: str) -> str:
        fd = self._fd(path, os.O_RDONLY)
        chunks, offset = [], 0
        while True:  # each file here is one record, returned whole up to the read's size
            chunk = os.pread(fd, self.CHUNK, offset)
            chunks.append(chunk)
            offset += len(chunk)
            if len(chunk) < self.CHUNK:
                return b"".join(chunks).decode()

    def write(self, path: str, value: str) -> None:
        os.pwrite(self._fd(path, os.O_WRONLY), value.encode(), 0)

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


def parse_keyed(text: str) -> dict[str, int]:
    values = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lstrip("-").isdigit():
            values[key] = int(value)
    return values


def read_keyed(path: str) -> dict[str, int]:
    """A flat keyed file (`key value` per line), e.g. memory.events or cpu.stat."""
    return parse_keyed(read_text(path))


def kill_listed(ids: set[int]) -> None:
    """SIGKILL each listed id. A thread id kills its whole thread group, and so does the pid of
    a zombie leader whose other threads still run (the kernel queues a group signal)."""
    for pid in ids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def describe_tasks(ids) -> str:
    """`pid:state:comm` of each id, for the message of a slot that would not empty."""
    described = []
    for pid in sorted(ids):
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                text = handle.read().decode(errors="replace")
            comm, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:]
            described.append(f"{pid}:{rest.split()[0]}:{comm}")
        except (OSError, ValueError):
            described.append(f"{pid}:gone")
    return " ".join(described) or "none listed"


def reap(ids: set[int], keep_unreaped: frozenset[int]) -> None:
    """Collect the exit status of killed orphans re-parented to us (we are PID 1), except the
    run's direct children, whose status the run collects itself."""
    for pid in ids:
        if pid not in keep_unreaped:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass  # not ours yet: its parent is alive (and now dying)


class SlotCgroup:
    """The cgroups of one slot: every process a run starts in that slot, and their descendants.

    Per run: `occupied` (must be False), `prepare`, spawn through `spawn_fd`, `sample` while
    it runs, the measurements, `kill_all`, then `finish`."""

    slot: str
    spawner = None  # the slot's spawner process (see supervisor.Spawner)
    adopts_spawner = False  # v1: the spawner lives in the slot's cgroups
    spawn_fd = -1  # v2: the run's cgroup, which the spawner clones into

    def occupied(self) -> bool:
        raise NotImplementedError

    def prepare(self, memory: int, pids: int, cpus: float) -> None:
        raise NotImplementedError

    def sample(self) -> None:
        """Called while the run's processes run (at least every 100 ms)."""

    def cpu_seconds(self) -> float:
        raise NotImplementedError

    def peak_memory(self) -> int:
        raise NotImplementedError

    def oom_killed(self) -> bool:
        raise NotImplementedError

    def kill_all(self, keep_unreaped: frozenset[int] = frozenset()) -> int | None:
        raise NotImplementedError

    def finish(self) -> bool:
        """After the run, once the slot is empty. False if its cgroup could not be released."""
        return True

    def members(self) -> set[int]:
        raise NotImplementedError

    def survivors(self) -> str:
        """What the slot still lists, for the message of a slot that would not empty."""
        try:
            return describe_tasks(self.members())
        except OSError as error:
            return f"cannot list: {error}"

    def remove(self) -> None:
        raise NotImplementedError


# -- cgroup v1 ------------------------------------------------------------------------------------


class V1SlotCgroup(SlotCgroup):
    """Persistent per-controller children of the box's directories; the spawner lives in them."""

    adopts_spawner = True

    def __init__(self, slot: str, controllers: dict[str, str]):
        self.slot = slot
        self.paths = {name: os.path.join(root, slot) for name, root in controllers.items()}
        for path in self.paths.values():
            try:
                os.mkdir(path, 0o755)
            except FileExistsError:
                pass
        self.memory_baseline = 0
        self.unreclaimable = None  # bytes left charged after the last forced reclaim (the spawner's)
        self.oom_kills_before = 0
        self.spawner = None
        self._applied: dict[str, int] = {}  # last value written to each limit file
        self.files = OpenFiles()  # the slot's own, persistent directories: fds stay valid
        self._paths: dict[tuple[str, str], str] = {}  # (controller, file) -> path: a run touches ~15
        self.has_memsw = os.path.exists(self._file("memory", "memory.memsw.limit_in_bytes"))

    def _file(self, controller: str, name: str) -> str:
        path = self._paths.get((controller, name))
        if path is None:
            path = self._paths[controller, name] = os.path.join(self.paths[controller], name)
        return path

    def adopt(self, pid: int) -> None:
        """Move a process (the slot's spawner) into the slot: its children are born there."""
        for controller in self.paths:
            write_text(self._file(controller, "cgroup.procs"), str(pid))

    def members(self) -> set[int]:
        """Every thread group and every thread the slot's cgroup lists, except the spawner.

        Both listings, because each can miss what the other shows: `cgroup.procs` keeps a
        zombie leader whose other threads still run (the threads are in `tasks` only), and a
        listing is a snapshot that races with fork (see `kill_all`). Nothing is filtered out by
        the state a process claims: a zombie that is listed is counted."""
        spawner = self.spawner.pid if self.spawner else -1
        # pids.current counts every task of the slot from its fork until it is reaped, so it
        # is never below what the listings show: the spawner alone means nothing to list.
        if int(self.files.read(self._file("pids", "pids.current"))) <= (1 if self.spawner else 0):
            return set()
        listed = set()
        for name in ("cgroup.procs", "tasks"):
            listed.update(int(p) for p in read_text(self._file("pids", name)).split())
        listed.discard(spawner)
        return listed

    def occupied(self) -> bool:
        return bool(self.members())

    def oom_kills(self) -> int:
        return parse_keyed(self.files.read(self._file("memory", "memory.oom_control"))).get("oom_kill", 0)

    def prepare(self, memory: int, pids: int, cpus: float) -> None:
        """Reset the counters and set this run's limits. Called with the slot empty.

        Memory: whatever an earlier run left charged to the slot (page cache of files it
        read, e.g. the compiler's precompiled header) is reclaimed first, by lowering the
        limit below the usage: the kernel then frees every reclaimable page and reports EBUSY
        for the rest. What remains (the spawner's own pages) cannot be reclaimed, so it cannot
        be freed during the run either: the run gets exactly `memory` on top of it and its
        peak is measured above it. Without the reclaim, leftover cache would count as the
        run's headroom (the kernel reclaims it when the run needs the room) and in its peak.
        The reclaim is skipped while the leftover is within RECLAIM_SLACK of what the last one
        could not free.

        Limits are written only when they change: consecutive tests of a submission share
        them, and every cgroup file write costs a syscall round trip. The memory limit is
        kept while the leftover grew by at most LIMIT_SLACK, never while it fell."""
        self.files.write(self._file("cpuacct", "cpuacct.usage"), "0")
        self.memory_baseline = self._reclaim()
        limit = memory + self.memory_baseline
        applied = self._applied.get("memory.limit_in_bytes")
        if applied is None or not 0 <= limit - applied <= LIMIT_SLACK:
            self._set("memory", "memory.limit_in_bytes", limit, memsw=self.has_memsw)
        self.files.write(self._file("memory", "memory.max_usage_in_bytes"), "0")
        self.oom_kills_before = self.oom_kills()
        self._set("pids", "pids.max", pids + 1)  # + the slot's spawner
        if "cpu" in self.paths:
            self._set("cpu", "cpu.cfs_period_us", CFS_PERIOD)
            self._set("cpu", "cpu.cfs_quota_us", max(1000, int(CFS_PERIOD * cpus)))

    def _reclaim(self) -> int:
        """Free the slot's reclaimable pages; returns the bytes still charged afterwards."""
        usage = self._file("memory", "memory.usage_in_bytes")
        charged = int(self.files.read(usage))
        if self.unreclaimable is not None and charged <= self.unreclaimable + RECLAIM_SLACK:
            return charged
        limit = self._file("memory", "memory.limit_in_bytes")
        try:
            self.files.write(limit, "4096")  # below any usage: reclaims all it can, then EBUSY
        except OSError as error:
            if error.errno != errno.EBUSY:  # EBUSY leaves the limit as it was
                raise
        else:
            self._applied["memory.limit_in_bytes"] = 4096  # everything was freed: prepare raises it
        self.unreclaimable = int(self.files.read(usage))
        return self.unreclaimable

    def _set(self, controller: str, name: str, value: int, memsw: bool = False) -> None:
        previous = self._applied.get(name)
        if previous == value:
            return
        if memsw:
            # memsw (memory+swap) must never be below the memory limit (EINVAL): a rise writes
            # memsw first, a fall the limit first; an unknown start writes the limit on both sides.
            if previous is None:
                names = ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.limit_in_bytes")
            elif value > previous:
                names = ("memory.memsw.limit_in_bytes", "memory.limit_in_bytes")
            else:
                names = ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes")
        else:
            names = (name,)
        for each in names:
            try:
                self.files.write(self._file(controller, each), str(value))
            except OSError as error:
                if error.errno != errno.EINVAL:
                    raise
        self._applied[name] = value

    def cpu_seconds(self) -> float:
        return int(self.files.read(self._file("cpuacct", "cpuacct.usage"))) / 1e9

    def peak_memory(self) -> int:
        peak = int(self.files.read(self._file("memory", "memory.max_usage_in_bytes")))
        return max(0, peak - self.memory_baseline)

    def oom_killed(self) -> bool:
        return self.oom_kills() > self.oom_kills_before

    def kill_all(self, keep_unreaped: frozenset[int] = frozenset()) -> int | None:
        """SIGKILL every process in the slot. Returns how many thread groups and threads it
        listed and killed once the slot is empty (0 at once when nobody is listed), None if it
        would not empty.

        Only an empty listing ends the loop. With the freezer, every kill round is taken with
        the slot frozen: nothing can fork while it is listed and killed, so a fork bomb cannot
        outrun the loop and a daemon born as its parent exits cannot hide from the listing.
        """
        deadline = time.monotonic() + KILL_DEADLINE
        freezer = "freezer" in self.paths
        killed: set[int] = set()
        while True:
            listed = self.members()
            if not listed:
                return len(killed)
            if time.monotonic() > deadline:
                return None
            if freezer:
                self._set_frozen(True)
                listed = self.members()
            kill_listed(listed)
            if freezer:
                self._set_frozen(False)
            killed.update(listed)
            reap(listed, keep_unreaped)
            time.sleep(0.001)

    def _set_frozen(self, frozen: bool) -> bool:
        """Freeze or thaw the slot; True once it is frozen (or thawed), False if it did not
        settle within 100 ms (a task stuck in the kernel; the kill loop lists again anyway)."""
        state_file = self._file("freezer", "freezer.state")
        self.files.write(state_file, "FROZEN" if frozen else "THAWED")
        if not frozen:
            return True
        for _ in range(200):
            if self.files.read(state_file).strip() == "FROZEN":
                return True
            time.sleep(0.0005)
        return False

    def remove(self) -> None:
        self.files.close()
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
        raise CgroupUnavailable(f"cgroup v1 controllers not delegated to the box: {', '.join(missing)}")
    return controllers


class BoxCgroupsV1:
    """cgroup v1: one bind-mounted directory per controller, a child per slot in each."""

    version = 1

    def __init__(self, root: str = CGROUP_DIR):
        self.controllers = discover_controllers(root)

    def limit_box_pids(self, count: int) -> None:
        """The box as a whole (every slot together) never holds more than `count` tasks."""
        write_text(os.path.join(self.controllers["pids"], "pids.max"), str(count))

    def slot(self, name: str) -> SlotCgroup:
        return V1SlotCgroup(name, self.controllers)

    def describe(self) -> dict:
        return {"version": 1, "controllers": sorted(self.controllers)}


BoxCgroups = BoxCgroupsV1  # the name the supervisor used before v2 existed


# -- cgroup v2 ------------------------------------------------------------------------------------


def populated(path: str) -> bool:
    return read_keyed(os.path.join(path, "cgroup.events")).get("populated", 0) == 1


class V2SlotCgroup(SlotCgroup):
    """A fresh leaf per run, `<container cgroup>/<slot>`: its counters start at zero, so the CPU
    time, `memory.peak` and the OOM events are the run's alone, and whatever an earlier run
    left charged (page cache) stays with that run's removed leaf, never in this one's limit."""

    def __init__(self, slot: str, box: BoxCgroupsV2):
        self.slot = slot
        self.box = box
        self.path = os.path.join(box.container, slot)
        self.memory_limit = 0
        self.observed_peak = 0  # highest memory.current seen, where memory.peak is missing
        self.has_peak = False
        self.has_swap = None  # whether a leaf has memory.swap.max: the kernel's, found at the first run
        self._open = False
        if os.path.isdir(self.path):  # left by an earlier supervisor of this container
            self.kill_all()
            self.finish()

    def _file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def occupied(self) -> bool:
        """The previous run's leaf is gone once it emptied (`finish`); if it is still there,
        something in it would not die."""
        return os.path.isdir(self.path) and populated(self.path)

    def prepare(self, memory: int, pids: int, cpus: float) -> None:
        try:
            os.mkdir(self.path, 0o755)
        except FileExistsError:
            os.rmdir(self.path)  # an earlier run's leaf (EBUSY if populated): its counters are not ours
            os.mkdir(self.path, 0o755)
        self._open = True
        self.memory_limit = memory
        self.observed_peak = 0
        write_text(self._file("memory.max"), str(memory))
        if self.has_swap is None:  # what a leaf offers is the kernel's: looked up once
            self.has_swap = os.path.exists(self._file("memory.swap.max"))
            self.has_peak = "memory.peak" not in HIDDEN and os.path.exists(self._file("memory.peak"))
        if self.has_swap:
            write_text(self._file("memory.swap.max"), "0")
        write_text(self._file("pids.max"), str(pids))
        if "cpu" in self.box.controllers:
            write_text(self._file("cpu.max"), f"{max(1000, int(CFS_PERIOD * cpus))} {CFS_PERIOD}")
        if self.spawn_fd >= 0:
            os.close(self.spawn_fd)
        self.spawn_fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def sample(self) -> None:
        if not self.has_peak:
            self.observed_peak = max(self.observed_peak, int(read_text(self._file("memory.current"))))

    def cpu_seconds(self) -> float:
        return read_keyed(self._file("cpu.stat"))["usage_usec"] / 1e6

    def _events(self) -> dict[str, int]:
        return read_keyed(self._file("memory.events"))

    def peak_memory(self) -> int:
        if self.has_peak:
            return int(read_text(self._file("memory.peak")))
        # Without memory.peak (kernels before 5.19): the highest usage the supervisor saw while
        # polling, and the limit itself once the kernel reports that usage reached it (`max`
        # counts charges that hit memory.max, `oom_kill` the kills that followed).
        self.sample()
        events = self._events()
        if events.get("max", 0) or events.get("oom_kill", 0):
            return max(self.observed_peak, self.memory_limit)
        return self.observed_peak

    def oom_killed(self) -> bool:
        return self._events().get("oom_kill", 0) > 0

    def members(self) -> set[int]:
        listed = set()
        for name in ("cgroup.procs", "cgroup.threads"):
            listed.update(int(p) for p in read_text(self._file(name)).split())
        return listed

    def survivors(self) -> str:
        try:
            events = read_text(self._file("cgroup.events")).replace("\n", " ").strip()
        except OSError as error:
            events = str(error)
        return f"{super().survivors()} ({events})"

    def kill_all(self, keep_unreaped: frozenset[int] = frozenset()) -> int | None:
        """Kill everything in the leaf; returns how many thread groups and threads were
        listed when it started dying (0 if it was empty), None if it would not empty.

        `cgroup.kill` (5.14+) kills every process of the cgroup, and those forked while it
        works, in one step. It is only the first strike: on Linux 6.1 it misses the threads of
        a thread group whose leader already exited (it signals the zombie leader, and the
        other threads sleep on; the thread_outlives_leader attacks caught it). So until
        `populated` says the cgroup is empty, and from the start without cgroup.kill: freeze,
        list every thread group and every thread, SIGKILL each (a thread id kills its whole
        group), thaw."""
        if not os.path.isdir(self.path) or not populated(self.path):
            return 0
        deadline = time.monotonic() + KILL_DEADLINE
        listed = self.members()
        count = len(listed)
        if "cgroup.kill" not in HIDDEN and os.path.exists(self._file("cgroup.kill")):
            write_text(self._file("cgroup.kill"), "1")
            time.sleep(0.001)
        while populated(self.path):
            if time.monotonic() > deadline:
                return None
            self._freeze(True)
            listed = self.members()
            kill_listed(listed)
            self._freeze(False)
            count = max(count, len(listed))
            reap(listed, keep_unreaped)
            time.sleep(0.001)
        reap(listed, keep_unreaped)
        return count

    def _freeze(self, frozen: bool) -> None:
        write_text(self._file("cgroup.freeze"), "1" if frozen else "0")
        if frozen:
            for _ in range(200):
                if read_keyed(self._file("cgroup.events")).get("frozen") == 1:
                    return
                time.sleep(0.0005)

    def finish(self) -> bool:
        if self.spawn_fd >= 0:
            os.close(self.spawn_fd)
            self.spawn_fd = -1
        self._open = False
        try:
            os.rmdir(self.path)
        except FileNotFoundError:
            pass
        except OSError:
            return False
        return True

    def remove(self) -> None:
        self.finish()


class BoxCgroupsV2:
    """cgroup v2: CGROUP_DIR is the parent of the container's own cgroup (the driver makes the
    container's cgroup a child of a per-box directory and bind-mounts that directory)."""

    version = 2

    def __init__(self, root: str = CGROUP_DIR, supervisor_memory: int = 0, supervisor_pids: int = 0):
        self.root = root
        self.container = self._own_cgroup(root)
        available = read_text(os.path.join(self.container, "cgroup.controllers")).split()
        missing = [c for c in V2_REQUIRED if c not in available]
        if missing:
            raise CgroupUnavailable(
                f"cgroup v2 controllers {', '.join(missing)} are not enabled for the box's cgroup "
                f"(its cgroup.controllers: {' '.join(available) or 'none'})"
            )
        self.controllers = [c for c in V2_REQUIRED + V2_OPTIONAL if c in available]
        # v2 lets a cgroup either hold processes or hand controllers to children: the
        # supervisor (and the spawners it starts) move to a leaf of their own first.
        leaf = os.path.join(self.container, SUPERVISOR_LEAF)
        try:
            os.mkdir(leaf, 0o755)
        except FileExistsError:
            pass
        try:
            write_text(os.path.join(leaf, "cgroup.procs"), str(os.getpid()))
            write_text(os.path.join(self.container, "cgroup.subtree_control"),
                       " ".join(f"+{c}" for c in self.controllers))
        except OSError as error:
            raise CgroupUnavailable(f"cannot take over the container's cgroup {self.container}: {error}") from error
        if supervisor_memory:
            write_text(os.path.join(leaf, "memory.max"), str(supervisor_memory))
            if os.path.exists(os.path.join(leaf, "memory.swap.max")):
                write_text(os.path.join(leaf, "memory.swap.max"), "0")
        if supervisor_pids:
            write_text(os.path.join(leaf, "pids.max"), str(supervisor_pids))

    @staticmethod
    def _own_cgroup(root: str) -> str:
        """The directory under `root` whose cgroup.procs lists us (PID 1 of the container)."""
        me = str(os.getpid())
        candidates = [root] + [entry.path for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False)]
        for path in candidates:
            try:
                if me in read_text(os.path.join(path, "cgroup.procs")).split():
                    return path
            except OSError:
                continue
        raise CgroupUnavailable(
            f"the container's own cgroup is not under {root}: start the box with its cgroup "
            "parent set to the directory bind-mounted there (see README, Requirements)"
        )

    def limit_box_pids(self, count: int) -> None:
        """Set from outside: the driver gives the container `--pids-limit` = the box's total."""

    def slot(self, name: str) -> SlotCgroup:
        return V2SlotCgroup(name, self)

    def describe(self) -> dict:
        features = [f for f in ("memory.peak", "cgroup.kill") if f not in HIDDEN
                    and os.path.exists(os.path.join(self.container, SUPERVISOR_LEAF, f))]
        return {"version": 2, "controllers": self.controllers, "features": features,
                "hidden": sorted(HIDDEN)}


def open_box_cgroups(supervisor_memory: int = 0, supervisor_pids: int = 0):
    """The backend for what the driver delegated: v2 if CGROUP_DIR is a cgroup2 directory."""
    if os.path.exists(os.path.join(CGROUP_DIR, "cgroup.controllers")):
        return BoxCgroupsV2(CGROUP_DIR, supervisor_memory, supervisor_pids)
    if os.path.isdir(os.path.join(CGROUP_DIR, "memory")):
        return BoxCgroupsV1(CGROUP_DIR)
    raise CgroupUnavailable(f"nothing is mounted at {CGROUP_DIR}: the driver must delegate the box's cgroups")
