"""In-container supervisor: PID 1 of every sandbox box.

It listens on a unix socket in /io (a host directory only the worker can reach) for
newline-delimited JSON requests, and runs each request's processes as plain child
processes under per-slot cgroups, measuring and enforcing:

- CPU time of the whole process tree (cpuacct), with a wall-clock guard;
- peak memory (memory cgroup high-water mark) with an OOM-enforced limit;
- process count (pids), output size (RLIMIT_FSIZE), one CPU's worth of bandwidth (cfs quota);

and kills everything a run started before answering. Untrusted code runs as a per-slot
unprivileged uid with a seccomp filter, in a private scratch directory that is wiped
before and after each run; trusted task programs (checkers, managers) run as another uid.

The supervisor keeps only the capabilities it needs: SETUID/SETGID (drop to the slot uid),
KILL (kill slot processes), CHOWN/FOWNER/DAC_OVERRIDE (manage files owned by slot uids and
by the worker). It trusts its requests (they come from the worker) and never the processes.

Only the standard library and python3-seccomp: this file runs inside the image.
"""

from __future__ import annotations

import array
import errno
import fcntl
import json
import math
import os
import select
import shutil
import signal
import socket
import stat
import sys
import time
import traceback

# `python3 -I` leaves the script's own folder off sys.path: its sibling modules live there.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import wire  # noqa: E402 - the contract shared with the worker
from cgroups import SlotCgroup, open_box_cgroups  # noqa: E402

try:
    import seccomp  # python3-seccomp (libseccomp bindings)
except ImportError:  # pragma: no cover - the image always has it
    seccomp = None

PROTOCOL_VERSION = wire.PROTOCOL_VERSION
IO_DIR = wire.IO_MOUNT
SOCKET_PATH = os.path.join(wire.IO_MOUNT, wire.SOCKET_NAME)
SCRATCH_DIR = "/scratch"
BOX_DIR = "/box"  # submission executables: root-owned, read+exec for everyone
TRUSTED_DIR = "/trusted"  # checker/manager executables: owned by the trusted uid, 0700

SPAWNER = "/opt/ioi-grader/spawner"
FILEGUARD = "/opt/ioi-grader/fileguard.so"
TRUSTED_UID = 60000
USER_UID_BASE = 60010
MAX_USER_SLOTS = wire.MAX_USER_SLOTS
SLOTS = list(wire.SLOTS)

# The spawner's environment: only the test hook that forces its fallback for joining a cgroup.
SPAWNER_ENV = {k: v for k, v in os.environ.items() if k == "IOI_CGROUP_HIDE"}

OWNER_UID = int(os.environ.get("IOI_OWNER_UID", "0"))
OWNER_GID = int(os.environ.get("IOI_OWNER_GID", "0"))
BOX_PIDS_MAX = int(os.environ.get("IOI_BOX_PIDS_MAX", "512"))
SUPERVISOR_MEMORY = int(os.environ.get("IOI_SUPERVISOR_MEMORY", "0"))  # bytes, v2 (v1: the container's limit)
SUPERVISOR_PIDS = int(os.environ.get("IOI_SUPERVISOR_PIDS", "0"))

# Seconds the wipe of one slot's scratch may take after a run (see `wipe_dir`).
WIPE_SECONDS = float(os.environ.get("IOI_WIPE_SECONDS", "20"))

DEV_NULL = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)  # duplicated for each stream a run leaves unset

CHILD_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}

# Syscalls untrusted code never needs and that would let it reach outside its test: the
# network or a peer via sockets (socketpair too: a datagram pair bound to an abstract name is a
# channel between the processes of a run), other processes' memory, SysV IPC shared between the
# user processes of a Communication task, new namespaces, kernel attack surface.
DENIED_SYSCALLS = (
    "socket", "socketpair", "bind", "connect", "listen", "accept", "accept4", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "shmget", "shmat", "msgget", "msgsnd", "msgrcv", "semget", "semop", "semtimedop", "mq_open",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "keyctl", "add_key",
    "request_key", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "personality", "quotactl", "syslog", "acct", "kexec_load", "init_module",
    "finit_module", "delete_module", "reboot", "swapon", "swapoff", "sethostname", "setdomainname",
    "open_by_handle_at", "name_to_handle_at", "fanotify_init", "lookup_dcookie", "vhangup",
    "fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "move_mount", "mount_setattr", "kexec_file_load",
)
# clone() flags that create namespaces: refused by our filter itself, whatever seccomp profile
# the engine applies (Docker's default one refuses them too, other profiles may not). clone3
# passes its flags in memory, where a filter cannot look, so it fails with ENOSYS and libc falls
# back to clone(), which can be checked: threads and fork keep working.
NAMESPACE_CLONE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)


# The key of a response dict that holds the descriptors to send with it (SCM_RIGHTS), never
# itself sent: see Supervisor.converse.
HANDED_FDS = "_fds"


class RequestError(Exception):
    """The request itself is wrong (a worker bug); the box is still healthy."""


class Anomaly(Exception):
    """The box is in a state we cannot vouch for: the worker must recycle it."""


# -- small file helpers ---------------------------------------------------------------------------


def under(path: str, root: str) -> str:
    """`path` resolved lexically, refused unless it lies inside `root` (requests name /io files)."""
    norm = os.path.normpath(path)
    if not norm.startswith(root + "/"):
        raise RequestError(f"path {path!r} is outside {root}")
    return norm


def plain_name(name: str) -> str:
    if not name or "/" in name or name in (".", "..") or "\0" in name:
        raise RequestError(f"not a plain file name: {name!r}")
    return name


def give_to_owner(path_or_fd, mode: int) -> None:
    if OWNER_UID == 0 and OWNER_GID == 0 and isinstance(path_or_fd, int) and mode == 0o644:
        return  # created by root with this mode already (umask 022): save two syscalls per test
    if isinstance(path_or_fd, int):
        os.fchown(path_or_fd, OWNER_UID, OWNER_GID)
        os.fchmod(path_or_fd, mode)
    else:
        os.chown(path_or_fd, OWNER_UID, OWNER_GID)
        os.chmod(path_or_fd, mode)


# -- CPU placement --------------------------------------------------------------------------------


class Placement:
    """The CPU this box works on (the worker's IOI_BOX_CPU, an index into the CPUs the box may
    use). The supervisor's thread is kept there, and so are the spawners it starts and the
    processes they clone: a test's hand-overs (supervisor -> spawner -> test -> supervisor)
    then never wake another CPU. A run of several processes, or of one allowed more than one
    CPU (a compile: the compiler and the assembler side by side), is spawned onto every CPU.
    Without IOI_BOX_CPU, or where affinity cannot be set, everything floats."""

    def __init__(self, index: str | None):
        self.everywhere = os.sched_getaffinity(0)
        self.home = self.everywhere
        if index is not None and index.isdigit():
            cpus = sorted(self.everywhere)
            home = {cpus[int(index) % len(cpus)]}
            try:
                os.sched_setaffinity(0, home)  # this thread: the spawners inherit it
                self.home = home
            except OSError:
                pass

    def for_run(self, processes: list) -> set[int]:
        if len(processes) == 1 and processes[0].cpus <= 1:
            return self.home
        return self.everywhere

    def apply(self, spawner: "Spawner", cpus: set[int]) -> None:
        """Spawn the next processes of `spawner` onto `cpus` (a syscall only on a change)."""
        if spawner.affinity != cpus:
            try:
                os.sched_setaffinity(spawner.pid, cpus)
            except OSError:
                return  # it keeps its CPUs: a matter of speed, not of correctness
            spawner.affinity = cpus


# -- the slot's spawner ---------------------------------------------------------------------------


class Spawner:
    """The slot's spawner process (spawner.c): it starts the run's processes inside the slot's
    cgroups, as children of ours, without a cgroup migration or an intermediate exec."""

    def __init__(self, cgroup: "SlotCgroup", untrusted_filter: int):
        """`untrusted_filter`: the spawner part of the seccomp filter (see export_seccomp_programs),
        which a user slot's spawner loads on itself before it serves a request."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        actions = [(os.POSIX_SPAWN_DUP2, theirs.fileno(), 3)]
        argv = [SPAWNER]
        if cgroup.slot != wire.TRUSTED:
            actions.append((os.POSIX_SPAWN_DUP2, untrusted_filter, 4))
            argv.append("--filter-self")
        try:
            self.pid = os.posix_spawn(SPAWNER, argv, SPAWNER_ENV, file_actions=actions, setsid=True)
        finally:
            theirs.close()
        self.socket = ours
        self.affinity = os.sched_getaffinity(0)  # the supervisor's thread's, which it inherits
        if cgroup.adopts_spawner:
            cgroup.adopt(self.pid)  # v1, once per spawner: its children are born in the slot
        # v2: the spawner stays in the supervisor's leaf and clones into each run's leaf.

    def spawn(self, payload: bytes, fds: list[int]) -> int:
        """Start a process: `payload` is the request's fields (see `spawn_payload`), `fds` its
        descriptors; returns its pid."""
        self.socket.sendmsg([payload], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        reply = self.socket.recv(4)
        if len(reply) != 4:
            raise OSError(errno.EPIPE, "spawner closed its socket")
        pid = int.from_bytes(reply, "little", signed=True)
        if pid < 0:
            raise OSError(-pid, f"spawner could not start the process: {os.strerror(-pid)}")
        return pid

    def stop(self) -> None:
        self.socket.close()
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def sleeping(ids: set[int]) -> bool:
    """Whether every listed process and thread is asleep (waiting for input, a timer...) rather
    than running or waiting for a CPU: an interactive solution that idles is told apart from one
    that computes, however loaded the host."""
    states = []
    for task in ids:
        try:
            with open(f"/proc/{task}/stat", "rb") as handle:
                states.append(handle.read().rsplit(b")", 1)[1].split()[0])
        except (OSError, IndexError):
            continue
    return bool(states) and all(state in (b"S", b"D") for state in states)


def reap_orphans() -> None:
    """Collect exited orphans re-parented to us (we are PID 1)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# -- scratch space --------------------------------------------------------------------------------


def slot_uid(slot: str) -> int:
    if slot == wire.TRUSTED:
        return TRUSTED_UID
    if slot.startswith("u") and slot[1:].isdigit() and int(slot[1:]) < MAX_USER_SLOTS:
        return USER_UID_BASE + int(slot[1:])
    raise RequestError(f"unknown slot {slot!r}")


def scratch_of(slot: str) -> str:
    return os.path.join(SCRATCH_DIR, slot)


class WipeFailed(Exception):
    """Something a run left in a directory could not be removed (in time)."""


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


SUBDIRS_REMEMBERED = 4096  # subdirectory names kept per level of a wipe; more are found by a rescan


def _clear_entries(fd: int, deadline: float) -> tuple[list[str], bool]:
    """Unlink every non-directory in the directory `fd`. Returns the subdirectories left, and
    whether that list is complete (it stops at SUBDIRS_REMEMBERED names)."""
    subdirs: list[str] = []
    with os.scandir(fd) as entries:
        for entry in entries:
            if time.monotonic() > deadline:
                raise WipeFailed("wiping took too long")
            if entry.is_dir(follow_symlinks=False):
                if len(subdirs) == SUBDIRS_REMEMBERED:
                    return subdirs, False
                subdirs.append(entry.name)
            else:
                os.unlink(entry.name, dir_fd=fd)
    return subdirs, True


def _open_subdir(name: str, parent: int) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except PermissionError:  # a directory its owner made unreadable (without DAC_OVERRIDE)
        os.chmod(name, 0o700, dir_fd=parent)
        return os.open(name, _DIR_FLAGS, dir_fd=parent)


def wipe_dir(path: str, budget: float | None = None) -> None:
    """Remove everything inside `path`, keep `path` itself; raise WipeFailed if that fails.

    A run decides the shape of what it leaves behind, so this must not depend on it: the walk
    is iterative (no recursion limit) and fd-relative (no PATH_MAX, never follows a symlink),
    holding two descriptors whatever the depth: it descends one level at a time and climbs
    back through "..", which nothing can move while the slot is empty. `budget` bounds the
    seconds it may take (a run that makes millions of inodes must not hold the box forever).
    """
    try:
        if not os.listdir(path):
            return  # the common case (a run that wrote nothing there): one open and one read
    except OSError:
        pass  # the walk below reports what is wrong
    deadline = time.monotonic() + (WIPE_SECONDS if budget is None else budget)
    try:
        root = os.open(path, _DIR_FLAGS)
    except OSError as error:
        raise WipeFailed(f"cannot open {path}: {error}") from error
    fd = root
    # One entry per level below `root`, down to `fd`: (its name, the subdirectories of its
    # parent still to remove after it, whether that list is complete).
    levels: list[tuple[str, list[str], bool]] = []
    try:
        subdirs, complete = _clear_entries(fd, deadline)
        while True:
            if subdirs:
                child = subdirs.pop()
                sub = _open_subdir(child, fd)
                if fd != root:
                    os.close(fd)
                fd = sub
                levels.append((child, subdirs, complete))
                subdirs, complete = _clear_entries(fd, deadline)
                continue
            if not complete:  # more subdirectories than it remembered: look again
                subdirs, complete = _clear_entries(fd, deadline)
                continue
            if not levels:
                return
            # `fd` is empty: remove it from its parent and go on with the parent's list.
            name, subdirs, complete = levels.pop()
            parent = root if not levels else os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(name, dir_fd=fd)
            if time.monotonic() > deadline:
                raise WipeFailed("wiping took too long")
    except OSError as error:
        raise WipeFailed(f"cannot wipe {path}: {error}") from error
    finally:
        if fd != root:
            os.close(fd)
        os.close(root)


def setup_scratch() -> None:
    os.chmod(SCRATCH_DIR, 0o711)
    for slot in SLOTS:
        path = scratch_of(slot)
        os.makedirs(path, exist_ok=True)
        uid = slot_uid(slot)
        os.chown(path, uid, uid)
        os.chmod(path, 0o700)
        wipe_dir(path)
    os.chown(TRUSTED_DIR, TRUSTED_UID, TRUSTED_UID)
    os.chmod(TRUSTED_DIR, 0o700)
    os.chmod(BOX_DIR, 0o755)


# -- running processes ----------------------------------------------------------------------------


def _sealed_program(syscall_filter) -> int:
    """`syscall_filter` as raw BPF in a sealed memfd, for the spawner to load."""
    fd = os.memfd_create("seccomp-bpf", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    with os.fdopen(os.dup(fd), "wb") as handle:
        syscall_filter.export_bpf(handle)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    if os.fstat(fd).st_size == 0:
        raise SystemExit("supervisor: empty seccomp program")
    # Above the fds a spawner is given (3 and 4), which its start-up dup2()s would overwrite.
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 16)
    os.close(fd)
    return high


def export_seccomp_programs() -> tuple[int, int]:
    """The filter of untrusted processes, compiled once (libseccomp's rule compilation costs
    ~0.4 ms), in two parts: (spawner part, child part).

    A user slot's spawner loads the spawner part on itself when it starts, and every process it
    clones inherits it for free; attaching a filter costs the kernel per process ~0.14 ms for
    this one (conversion, JIT, and the per-syscall cache it precomputes by emulating the
    program), ~0.03 ms for a one-rule program. The spawner needs clone3 (CLONE_INTO_CGROUP on
    cgroup v2), so refusing clone3 is the child part, which each child loads before exec."""
    if seccomp is None:
        raise SystemExit("supervisor: python3-seccomp is missing from the image")
    spawner_part = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        try:
            spawner_part.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (RuntimeError, ValueError, OSError):
            pass  # not a syscall on this architecture
    for flag in NAMESPACE_CLONE_FLAGS:
        spawner_part.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    child_part = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    child_part.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    return _sealed_program(spawner_part), _sealed_program(child_part)


# bytes.translate table: whitespace (as C's isspace, what checkers' tokenizers split on) -> b" ",
# anything else -> b"x"; a token then starts wherever b" x" occurs.
_SHAPE = bytes(0x20 if chr(b) in " \t\n\r\x0b\x0c" else 0x78 for b in range(256))


def output_shape_violation(fd: int, max_line: int, max_tokens: int, size: int) -> str | None:
    """Why the output file open as `fd` (of `size` bytes) is out of bounds for a checker (a
    line longer than `max_line` bytes, more than `max_tokens` whitespace-separated tokens), or None.

    Streams the file in chunks no longer than `max_line`, so a line inside one chunk is always
    short enough and only the line left open across chunk ends needs counting; small outputs,
    which cannot break either bound, are not read at all. Reads with pread: the offset `fd`
    shares with the writer's descriptor is left alone."""
    if size <= max_line and (size + 1) // 2 <= max_tokens:
        return None
    chunk_size = max(1, min(1 << 20, max_line))
    open_line = 0  # bytes of the line still open at the end of what was read so far
    tokens, in_token = 0, False
    offset = 0
    while chunk := os.pread(fd, chunk_size, offset):
        offset += len(chunk)
        first = chunk.find(b"\n")
        if first < 0:
            open_line += len(chunk)
        elif open_line + first > max_line:
            break
        else:
            open_line = len(chunk) - 1 - chunk.rfind(b"\n")
        if open_line > max_line:
            break
        shape = chunk.translate(_SHAPE)
        tokens += shape.count(b" x") + (shape[0] == 0x78 and not in_token)
        in_token = shape[-1] == 0x78
        if tokens > max_tokens:
            return f"Output has more than {max_tokens} tokens"
    else:
        return None
    return f"Output has a line longer than {max_line} bytes"


class Process:
    """One process of a run, from its JSON spec to its measured result."""

    def __init__(self, spec: dict, index: int):
        self.spec = spec
        self.index = index
        self.slot = spec.get("slot", wire.user_slot(0))
        self.uid = slot_uid(self.slot)
        argv = spec.get("argv")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise RequestError(f"process {index}: argv must be a non-empty list of strings")
        self.argv = argv
        limits = spec.get("limits", {})
        self.cpu_limit = float(limits.get("cpu", wire.DEFAULT_CPU))
        self.wall_limit = float(limits.get("wall", wire.wall_guard(self.cpu_limit)))
        self.memory_limit = int(limits.get("memory", wire.DEFAULT_MEMORY))
        self.pids_limit = int(limits.get("pids", wire.DEFAULT_PIDS))
        self.fsize_limit = int(limits.get("fsize", wire.DEFAULT_FSIZE))
        self.nofile_limit = int(limits.get("nofile", wire.DEFAULT_NOFILE))
        self.cpus = float(limits.get("cpus", wire.DEFAULT_CPUS))
        self.max_line = int(limits.get("max_line", wire.DEFAULT_MAX_LINE))
        self.max_tokens = int(limits.get("max_tokens", wire.DEFAULT_MAX_TOKENS))
        self.cpu_pool = spec.get("cpu_pool") or f"#{index}"
        self.untrusted = self.slot != wire.TRUSTED
        self.ignore_sigpipe = bool(spec.get("ignore_sigpipe", False))
        self.pid = -1
        self.pidfd = -1
        self.start = 0.0
        self.end = None
        self.status = None
        self.cgroup: SlotCgroup | None = None
        self.killed_for = None  # "cpu" | "wall" once we killed it for a limit
        self.idle = False  # killed for wall time while asleep (blocked on input), not while computing
        self.exec_error = None
        # Our own descriptors of what it writes through stdout/stderr (a file under /io, or a
        # memfd the worker gets back), for the size and shape checks after the run.
        self.outputs: list[int] = []
        self.stdout_output: int | None = None  # its stdout, when that is one of them
        self.captured: dict[str, int] = {}  # stream name -> memfd handed back with the result
        self.max_rss = 0  # bytes, of the largest process it waited for (wait4)
        self.error_pipe = -1  # read end of the pipe the spawner reports exec failures on


_payloads: dict[tuple, bytes] = {}  # see spawn_payload


def spawn_payload(process: Process, keep: int, flags: int) -> bytes:
    """The spawner's request fields for `process` (see spawner.c), NUL-separated. The tests of
    a submission differ only in their descriptors, so the fields are built once per distinct
    process and reused."""
    spec = process.spec
    env_spec = spec.get("env") or {}
    key = (process.slot, keep, flags, process.cpu_limit, process.fsize_limit, process.nofile_limit,
           tuple(process.argv), tuple(env_spec.items()), bool(spec.get("guard_opens")))
    payload = _payloads.get(key)
    if payload is not None:
        return payload
    cpu_soft = int(math.ceil(process.cpu_limit)) + 1  # a backstop: the cgroup poll is the real limit
    rlimits = [f"cpu={cpu_soft}:{cpu_soft + 1}", f"fsize={process.fsize_limit}:{process.fsize_limit}",
               "core=0:0", "stack=inf:inf", f"nofile={process.nofile_limit}:{process.nofile_limit}"]
    env = dict(CHILD_ENV, HOME=scratch_of(process.slot), TMPDIR=scratch_of(process.slot))
    env.update(env_spec)
    if spec.get("guard_opens"):  # see fileguard.c
        env.update(LD_PRELOAD=FILEGUARD, IOI_GUARD_READ=":".join(wire.GUARD_READ_ROOTS),
                   IOI_GUARD_WRITE=scratch_of(process.slot), IOI_GUARD_DEVICES=":".join(wire.GUARD_DEVICES))
    fields = [str(process.uid), scratch_of(process.slot), str(keep), str(flags), str(len(rlimits)),
              *rlimits, str(len(process.argv)), *process.argv, *(f"{k}={v}" for k, v in env.items())]
    if len(_payloads) >= 256:
        _payloads.clear()
    payload = _payloads[key] = b"\0".join(f.encode() for f in fields) + b"\0"
    return payload


class Run:
    """One `run` request: stage files, start processes, supervise, measure, clean up."""

    def __init__(self, supervisor: "Supervisor", request: dict):
        self.supervisor = supervisor
        self.request = request
        specs = request.get("processes")
        if not isinstance(specs, list) or not specs:
            raise RequestError("run: 'processes' must be a non-empty list")
        self.processes = [Process(spec, i) for i, spec in enumerate(specs)]
        slots = [p.slot for p in self.processes]
        if len(set(slots)) != len(slots):
            raise RequestError("run: two processes in the same slot")
        self.pipes: dict[str, tuple[int, int]] = {}
        self._current: Process | None = None  # the process whose fds are being opened
        self.tag = request.get("tag")  # what a `cancel` names
        self.cancelled = False

    # The fds a child gets, resolved in the parent before fork. `stream` names an output stream
    # of the process being opened ("stdout", "stderr"): only those may be captured or kept.
    def _open_spec(self, spec, default_end: str, allow_create: bool, stream: str | None = None) -> int:
        if spec is None:
            return os.dup(DEV_NULL)  # no path walk per run
        if "pipe" in spec:
            read_end, write_end = self.pipes[spec["pipe"]]
            end = spec.get("end", default_end)
            return os.dup(read_end if end == "r" else write_end)
        if spec.get("capture"):
            if stream is None:
                raise RequestError(f"only stdout and stderr can be captured, not {spec!r}")
            # An in-memory file, charged to the writer's memory cgroup like the page cache of a
            # file would be, and handed to the worker with the result: no inode on any disk
            # (creating and deleting one per test costs the host's filesystem far more).
            fd = os.memfd_create(stream, os.MFD_CLOEXEC)
            self._current.captured[stream] = self._keep_output(os.dup(fd), stream)
            return fd
        if "file" in spec:
            path = under(spec["file"], IO_DIR)
            if spec.get("write", allow_create):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
                give_to_owner(fd, 0o644)
                if stream is not None:  # ours reads it: a descriptor of its own, the child's stays write-only
                    self._keep_output(os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC), stream)
                return fd
            return os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        raise RequestError(f"bad stream spec {spec!r}")

    def _keep_output(self, fd: int, stream: str) -> int:
        """Keep `fd`, our own readable descriptor of an output the process being opened writes
        (the child's is closed once it is spawned), until the run's end; returns it."""
        self._current.outputs.append(fd)
        if stream == "stdout":
            self._current.stdout_output = fd
        return fd

    def _close_outputs(self) -> None:
        """Close our descriptors of the processes' outputs (a response hands back duplicates)."""
        for process in self.processes:
            for fd in process.outputs:
                os.close(fd)
            process.outputs = []

    def execute(self) -> dict:
        """The run's response. The memfds of captured streams go with it, under HANDED_FDS (our
        own copies: the caller sends and closes them); indices into that list are in each
        process result's "captured", and their count in "fds"."""
        try:
            return self._execute()
        finally:
            self._close_outputs()

    def _execute(self) -> dict:
        sup = self.supervisor
        marks = [("received", time.monotonic())]
        if sup.cancels.hit(self.tag):
            return {"ok": True, "cancelled": True, "processes": [], "collected": [], "leftover_processes": 0,
                    "fds": 0, HANDED_FDS: []}
        for name in self.request.get("pipes", []):
            read_end, write_end = os.pipe2(os.O_CLOEXEC)
            # Peers of another uid re-open their end through /proc/self/fd/N: let them.
            os.fchmod(read_end, 0o666)
            os.fchmod(write_end, 0o666)
            self.pipes[name] = (read_end, write_end)
        if sup.tainted:
            raise Anomaly(f"box retired: {sup.tainted}")
        try:
            for process in self.processes:
                process.cgroup = sup.cgroups[process.slot]
                if process.cgroup.occupied():
                    raise Anomaly(f"slot {process.slot} still has processes before the run")
                # Its scratch directory is empty: every run wipes the slots it used when it ends.
            self._stage_files()
            for process in self.processes:
                process.cgroup.prepare(process.memory_limit, process.pids_limit, process.cpus)
            marks.append(("prepared", time.monotonic()))
            cpus = sup.placement.for_run(self.processes)
            for process in self.processes:
                sup.placement.apply(process.cgroup.spawner, cpus)
                self._spawn(process)
            marks.append(("spawned", time.monotonic()))
        finally:
            for read_end, write_end in self.pipes.values():
                os.close(read_end)
                os.close(write_end)
        self._supervise()
        marks.append(("exited", time.monotonic()))
        leftovers = 0
        results = []
        for process in self.processes:
            cgroup = process.cgroup
            killed = cgroup.kill_all()
            if killed is None:
                raise Anomaly(f"slot {process.slot}: processes survived SIGKILL: {cgroup.survivors()}")
            leftovers += killed
            results.append(self._result(process))
        reap_orphans()
        for process in self.processes:
            if not process.cgroup.finish():
                raise Anomaly(f"slot {process.slot}: its cgroup could not be released after the run")
        collected = self._collect()
        for process, result in zip(self.processes, results):
            try:
                wipe_dir(scratch_of(process.slot))
            except WipeFailed as error:
                # What a run leaves in its scratch is its own doing: it gets the verdict, and the
                # box, which can no longer promise the next run an empty scratch, is retired.
                result["violation"] = f"left a scratch directory that cannot be wiped ({error})"
                sup.tainted = sup.tainted or f"slot {process.slot}: {error}"
        marks.append(("cleaned", time.monotonic()))
        # Where the supervisor's time went, in ms since the request arrived (for profiling).
        phases = {name: round((at - marks[0][1]) * 1000, 3) for name, at in marks[1:]}
        handed = []
        for process, result in zip(self.processes, results):
            result["captured"] = {}
            for stream, fd in process.captured.items():
                result["captured"][stream] = len(handed)
                handed.append(os.dup(fd))
        response = {"ok": True, "processes": results, "collected": collected, "leftover_processes": leftovers,
                    "phases": phases, "cancelled": self.cancelled, "fds": len(handed), HANDED_FDS: handed}
        if sup.tainted:
            response["retire"] = sup.tainted
        return response

    def _stage_files(self) -> None:
        for slot, files in (self.request.get("files") or {}).items():
            directory = scratch_of(slot)
            uid = slot_uid(slot)
            for item in files:
                dest = os.path.join(directory, plain_name(item["name"]))
                if "content" in item:
                    with open(dest, "w", encoding="utf-8") as handle:
                        handle.write(item["content"])
                else:
                    shutil.copyfile(under(item["src"], IO_DIR), dest, follow_symlinks=False)
                os.chown(dest, uid, uid)
                os.chmod(dest, int(item.get("mode", 0o644)))

    def _collect(self) -> list[dict]:
        collected = []
        for item in self.request.get("collect", []):
            directory = scratch_of(item["slot"])
            name = plain_name(item["name"])
            dest = under(item["dest"], IO_DIR)
            max_bytes = int(item.get("max_bytes", wire.COLLECT_MAX_BYTES))
            # O_NONBLOCK: a process may have left a FIFO under that name, whose open would wait
            # for a writer for ever; the fstat below then refuses it as not a regular file.
            dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=dir_fd)
            except OSError as error:
                collected.append({"name": name, "ok": False, "error": os.strerror(error.errno)})
                continue
            finally:
                os.close(dir_fd)
            try:
                info = os.fstat(src)
                if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
                    collected.append({"name": name, "ok": False, "error": "not a regular file or too large"})
                    continue
                out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
                try:
                    while True:
                        chunk = os.read(src, 1 << 20)
                        if not chunk:
                            break
                        os.write(out, chunk)
                    give_to_owner(out, 0o644)
                finally:
                    os.close(out)
                collected.append({"name": name, "ok": True, "size": info.st_size})
            finally:
                os.close(src)
        return collected

    def _spawn(self, process: Process) -> None:
        """Start one process through the slot's spawner (see spawner.c): it is born inside the
        slot's cgroups as our child, so the test is charged for almost nothing but itself."""
        spec = process.spec
        self._current = process
        opened = [
            self._open_spec(spec.get("stdin"), "r", allow_create=False),
            self._open_spec(spec.get("stdout"), "w", allow_create=True, stream="stdout"),
            self._open_spec(spec.get("stderr"), "w", allow_create=True, stream="stderr"),
        ]
        for extra in spec.get("fds", []):
            opened.append(self._open_spec(extra, extra.get("end", "r"), allow_create=False))
        error_read, error_write = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        process.error_pipe = error_read
        fds = opened + [error_write]
        flags = 0
        if process.ignore_sigpipe:
            flags |= 1
        if process.untrusted:
            fds.append(self.supervisor.seccomp_program)
            flags |= 2
        if process.cgroup.spawn_fd >= 0:
            fds.append(process.cgroup.spawn_fd)  # v2: the spawner clones straight into the run's leaf
            flags |= 4
        payload = spawn_payload(process, len(opened), flags)
        process.start = time.monotonic()
        try:
            process.pid = self.supervisor.spawn(process.cgroup, payload, fds)
            process.pidfd = os.pidfd_open(process.pid)
        finally:
            for fd in opened + [error_write]:
                os.close(fd)

    def _supervise(self) -> None:
        running = {p.pidfd: p for p in self.processes if p.pidfd >= 0}
        poller = select.poll()
        for fd in running:
            poller.register(fd, select.POLLIN)
        channel = self.supervisor.cancels.channel
        # A bool, not `running` itself: that dict empties as processes exit, and a cancel read in
        # the same poll round as the last exit must still be taken for the channel's.
        watching = self.tag is not None and channel is not None and bool(running)
        if watching:
            poller.register(channel.fileno(), select.POLLIN)
        pools: dict[str, list[Process]] = {}
        for process in self.processes:
            pools.setdefault(process.cpu_pool, []).append(process)
        while running:
            for process in self.processes:
                process.cgroup.sample()
            now = time.monotonic()
            timeout = 0.1
            for process in list(running.values()):
                wall_left = process.start + process.wall_limit - now
                if wall_left <= 0:
                    self._kill_for(process, "wall")
                else:
                    timeout = min(timeout, wall_left)
            for pool in pools.values():
                live = [p for p in pool if p.pidfd in running and p.killed_for is None]
                if not live:
                    continue
                # The pool cannot have used more than its CPUs of bandwidth since it started: while
                # that bound leaves it more than the next sleep's worth, its usage need not be read
                # (a short test exits before the first look).
                burst = sum(p.cpus for p in pool)
                if min(p.cpu_limit for p in pool) - (now - min(p.start for p in pool)) * burst > timeout * burst:
                    continue
                used = sum(p.cgroup.cpu_seconds() for p in pool)
                left = min(p.cpu_limit for p in pool) - used
                if left < 0:
                    for p in live:
                        self._kill_for(p, "cpu")
                else:
                    # Each slot is capped at `cpus` CPUs of bandwidth, so the pool cannot burn
                    # through `left` seconds faster than this: sleep until then, not longer.
                    rate = sum(p.cpus for p in live)
                    timeout = min(timeout, max(left / rate, 0.002))
            for fd, _ in poller.poll(max(1, int(timeout * 1000))):
                if watching and fd == channel.fileno():
                    if not self.supervisor.cancels.receive() or self.supervisor.cancels.hit(self.tag):
                        # Cancelled (or the worker is gone): nothing of this run matters any more.
                        poller.unregister(fd)
                        watching = False
                        if self.supervisor.cancels.hit(self.tag):
                            self._cancel(running)
                    continue
                process = running.pop(fd)
                poller.unregister(fd)
                self._reap(process)

    def _cancel(self, running: dict) -> None:
        self.cancelled = True
        for process in running.values():
            if process.killed_for is None:
                self._kill_for(process, "cancel")

    def _kill_for(self, process: Process, reason: str) -> None:
        if process.killed_for is None:
            process.killed_for = reason
            if reason == "wall":
                try:
                    process.idle = sleeping(process.cgroup.members())
                except OSError:
                    process.idle = False
        try:
            os.kill(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.cgroup.kill_all(self._unreaped())

    def _unreaped(self) -> frozenset[int]:
        return frozenset(p.pid for p in self.processes if p.pid > 0 and p.status is None)

    def _reap(self, process: Process) -> None:
        _, status, usage = os.wait4(process.pid, 0)
        process.end = time.monotonic()
        process.status = status
        process.max_rss = usage.ru_maxrss * 1024
        # The error pipe is close-on-exec: empty unless the spawner failed before exec.
        try:
            message = os.read(process.error_pipe, 1024)
        except BlockingIOError:
            message = b""
        os.close(process.error_pipe)
        process.error_pipe = -1
        if message:
            process.exec_error = message.decode(errors="replace")
        os.close(process.pidfd)

    @staticmethod
    def _memory(process: Process) -> int:
        """The cgroup peak covers the whole tree but is charged in per-CPU batches of 256 KiB
        that a previous run may have left stocked, so a tiny program can read as 0: then its
        own peak resident size is the better figure. That one also counts shared file pages
        (an interpreter's libraries), so it is used only while it stays under the limit."""
        peak = process.cgroup.peak_memory()
        rss = process.max_rss if process.max_rss <= process.memory_limit else 0
        return max(peak, rss)

    def _result(self, process: Process) -> dict:
        cgroup = process.cgroup
        status = process.status
        exit_code = os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else None
        signum = os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else None
        cpu = cgroup.cpu_seconds()
        # Any process of the tree may have hit the file size limit, not only the main one.
        sizes = {fd: os.fstat(fd).st_size for fd in process.outputs}
        filled = any(size >= process.fsize_limit for size in sizes.values())
        # What a checker will read is bounded here, before it leaves the box.
        shape = None
        if process.untrusted and process.stdout_output is not None and not filled:
            shape = output_shape_violation(process.stdout_output, process.max_line, process.max_tokens,
                                           sizes[process.stdout_output])
        return {
            "slot": process.slot,
            "exit_code": exit_code,
            "signal": signum,
            "cpu": round(cpu, 6),
            "wall": round((process.end or time.monotonic()) - process.start, 6),
            "memory": self._memory(process),
            "oom_killed": cgroup.oom_killed(),
            "cpu_exceeded": process.killed_for == "cpu" or (process.killed_for is None and cpu > process.cpu_limit)
            or signum == signal.SIGXCPU,
            "wall_exceeded": process.killed_for == "wall",
            "idle": process.idle,
            "output_exceeded": signum == signal.SIGXFSZ or filled or shape is not None,
            "output_limit_reason": shape,
            "exec_error": process.exec_error,
        }


def send_with_fds(connection: socket.socket, data: bytes, fds: list[int]) -> None:
    """All of `data`, with `fds` attached to its first byte (SCM_RIGHTS): the worker's reader
    takes them in order, as many as the message's "fds" says."""
    if not fds:
        connection.sendall(data)
        return
    sent = connection.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    if sent < len(data):
        connection.sendall(data[sent:])


class Channel:
    """The worker's connection: newline-delimited JSON requests, read through our own buffer,
    so that a run in progress can take in a `cancel` without blocking, and a request that
    arrived meanwhile (there should be none) waits its turn."""

    def __init__(self, connection: socket.socket):
        self.connection = connection
        self.buffer = bytearray()
        self.pending: list[bytes] = []
        self.eof = False

    def fileno(self) -> int:
        return self.connection.fileno()

    def read(self, block: bool) -> list[bytes]:
        """The complete lines the socket has (waiting for some only if `block`); [] at EOF."""
        while True:
            try:
                data = self.connection.recv(1 << 16, 0 if block else socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                data = None
            if data == b"":
                self.eof = True
            elif data:
                self.buffer += data
            lines = []
            while (end := self.buffer.find(b"\n")) >= 0:
                lines.append(bytes(self.buffer[:end]))
                del self.buffer[:end + 1]
            if lines or not block or self.eof:
                return lines

    def next_request(self) -> bytes | None:
        while not self.pending:
            if self.eof:
                return None
            self.pending += self.read(block=True)
        return self.pending.pop(0)


class Cancellations:
    """`cancel` messages for the request being executed: the tags of its runs to abort."""

    def __init__(self) -> None:
        self.channel: Channel | None = None
        self.request_id = None
        self.tags: set[str] = set()

    def start(self, request_id) -> None:
        self.request_id = request_id
        self.tags = set()

    def receive(self) -> bool:
        """Take in what the worker sent, without waiting; False once it has hung up."""
        for line in self.channel.read(block=False):
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if isinstance(message, dict) and message.get("op") == "cancel":
                if message.get("id") == self.request_id and self.request_id is not None:
                    self.tags.update(t for t in message.get("tags", []) if isinstance(t, str))
            else:
                self.channel.pending.append(line)
        return not self.channel.eof

    def hit(self, tag) -> bool:
        return tag is not None and tag in self.tags


class Supervisor:
    def __init__(self) -> None:
        self.cancels = Cancellations()
        self.placement = Placement(os.environ.get("IOI_BOX_CPU"))  # before any spawner starts
        self.box_cgroups = open_box_cgroups(SUPERVISOR_MEMORY, SUPERVISOR_PIDS)
        self.box_cgroups.limit_box_pids(BOX_PIDS_MAX)
        self.cgroups = {slot: self.box_cgroups.slot(slot) for slot in SLOTS}
        self.spawner_filter, self.seccomp_program = export_seccomp_programs()
        self.tainted: str | None = None  # why this box must serve no further run
        setup_scratch()
        for cgroup in self.cgroups.values():
            cgroup.spawner = Spawner(cgroup, self.spawner_filter)

    def spawn(self, cgroup: SlotCgroup, payload: bytes, fds: list[int]) -> int:
        """Start a process through the slot's spawner, replacing a spawner that died (the OOM
        killer may pick it when a test fills the slot's memory with files)."""
        try:
            return cgroup.spawner.spawn(payload, fds)
        except OSError as error:
            if error.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ECONNREFUSED, errno.ENOTCONN):
                raise
        cgroup.spawner.stop()
        reap_orphans()
        affinity = cgroup.spawner.affinity
        cgroup.spawner = Spawner(cgroup, self.spawner_filter)
        self.placement.apply(cgroup.spawner, affinity)
        return cgroup.spawner.spawn(payload, fds)

    def handle(self, request: dict) -> dict:
        op = request.get("op")
        if op == "ping":
            cgroups = self.box_cgroups.describe()
            return {"ok": True, "protocol": PROTOCOL_VERSION, "controllers": cgroups["controllers"],
                    "cgroup_version": self.box_cgroups.version, "cgroup": cgroups}
        if op == "cancel":
            return None  # for a request that has finished already: nothing to do, no answer
        if op == "run":
            self.cancels.start(request.get("id"))
            return Run(self, request).execute()
        if op == "run_many":
            self.cancels.start(request.get("id"))
            return self.run_many(request)
        if op == "install":
            return self.install(request)
        if op == "clear":
            for name in request.get("dirs", ["box", "trusted"]):
                wipe_dir({"box": BOX_DIR, "trusted": TRUSTED_DIR}[name])
            return {"ok": True}
        raise RequestError(f"unknown op {op!r}")

    def run_many(self, request: dict) -> dict:
        """Several runs back to back in one round trip (many short tests). With
        `stop_on_failure`, stop after the first run whose process did not exit 0 within its
        limits: the worker decides whether the remaining ones are still worth running."""
        runs = request.get("runs")
        if not isinstance(runs, list) or not runs:
            raise RequestError("run_many: 'runs' must be a non-empty list")
        captures = sum(1 for run in runs if isinstance(run, dict) for p in run.get("processes") or []
                       if isinstance(p, dict) for stream in ("stdout", "stderr")
                       if isinstance(p.get(stream), dict) and p[stream].get("capture"))
        if captures > wire.MAX_CAPTURES:
            raise RequestError(f"run_many: {captures} captured streams, more than {wire.MAX_CAPTURES} in one request")
        results, handed = [], []
        try:
            for run in runs:
                # A cancel that came during an earlier run was read by that run's poll, which
                # watches the channel; one that comes now is read by this run's, at once.
                result = Run(self, run).execute()
                handed += result.pop(HANDED_FDS)
                results.append(result)
                if "retire" in result:
                    break  # no further run may use this box
                if (request.get("stop_on_failure") and not result.get("cancelled")
                        and not all(wire.ran_cleanly(p) for p in result["processes"])):
                    break
        except BaseException:
            for fd in handed:
                os.close(fd)
            raise
        return {"ok": True, "results": results, "fds": len(handed), HANDED_FDS: handed}

    def install(self, request: dict) -> dict:
        """Copy an executable from /io into /box (for submissions) or /trusted (for task programs)."""
        src = under(request["src"], IO_DIR)
        name = plain_name(request["name"])
        trusted = request.get("dest") == "trusted"
        dest = os.path.join(TRUSTED_DIR if trusted else BOX_DIR, name)
        tmp = dest + ".tmp"
        shutil.copyfile(src, tmp, follow_symlinks=False)
        if trusted:
            os.chown(tmp, TRUSTED_UID, TRUSTED_UID)
            os.chmod(tmp, 0o500)
        else:
            os.chmod(tmp, 0o755)
        os.replace(tmp, dest)
        return {"ok": True, "path": dest}

    def serve(self) -> None:
        try:
            os.unlink(SOCKET_PATH)
        except FileNotFoundError:
            pass
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(SOCKET_PATH + ".new")
        give_to_owner(SOCKET_PATH + ".new", 0o600)
        server.listen(4)
        os.rename(SOCKET_PATH + ".new", SOCKET_PATH)  # appears only once it accepts
        while True:
            connection, _ = server.accept()
            with connection:
                self.converse(connection)

    def converse(self, connection: socket.socket) -> None:
        channel = Channel(connection)
        self.cancels.channel = channel
        while (line := channel.next_request()) is not None:
            try:
                request = json.loads(line)
                response = self.handle(request)
                if response is None:
                    continue
            except RequestError as error:
                response = {"ok": False, "error": str(error), "anomaly": False}
            except Anomaly as error:
                response = {"ok": False, "error": str(error), "anomaly": True}
            except Exception as error:  # noqa: BLE001 - the worker recycles the box
                response = {
                    "ok": False, "anomaly": True,
                    "error": f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=4)}",
                }
            handed = response.pop(HANDED_FDS, [])
            try:
                send_with_fds(connection, json.dumps(response).encode() + b"\n", handed)
            finally:
                for fd in handed:
                    os.close(fd)

    def shutdown(self, *_args) -> None:
        for cgroup in self.cgroups.values():
            if cgroup.spawner:
                cgroup.spawner.stop()
            cgroup.kill_all()
            cgroup.remove()
        sys.exit(0)


def main() -> None:
    supervisor = Supervisor()
    signal.signal(signal.SIGTERM, supervisor.shutdown)
    signal.signal(signal.SIGINT, supervisor.shutdown)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    supervisor.serve()


if __name__ == "__main__":
    main()
