"""The wire contract between a worker and a box's supervisor, in one place.

Both sides import this module: the worker as `ioi_grader.sandbox.image.wire` (under the
pydantic models of `ioi_grader.sandbox.protocol`), the supervisor inside the image as `wire`.
So it uses only the standard library, and every default a request may leave out is written
here once.
"""

from __future__ import annotations

# 2: output streams may be captured in memory and handed back with the result (SCM_RIGHTS).
PROTOCOL_VERSION = 2

# Where the worker's per-box folder is mounted, and the supervisor's socket in it.
IO_MOUNT = "/io"
SOCKET_NAME = "ctl.sock"

# Slots: "trusted" runs task programs (checkers, managers, grader compilation) as one uid;
# "u0".."u7" run untrusted code (submissions and their compilation), one uid each.
TRUSTED = "trusted"
MAX_USER_SLOTS = 8
USER_SLOTS = tuple(f"u{i}" for i in range(MAX_USER_SLOTS))
SLOTS = (TRUSTED, *USER_SLOTS)

# A process's limits when the request leaves one out.
DEFAULT_CPU = 1.0  # seconds
DEFAULT_MEMORY = 256 << 20  # bytes
DEFAULT_PIDS = 32  # processes and threads at once
DEFAULT_FSIZE = 64 << 20  # largest file it may write, bytes
DEFAULT_NOFILE = 256
DEFAULT_CPUS = 1.0  # CPU bandwidth cap, in CPUs
# Bounds on an untrusted process's stdout file, checked before it can reach a checker (which
# would otherwise be the one to run out of memory or time on it). Real outputs fit with room
# to spare: a line of two million 64-bit numbers is ~40 MB, and outputs rarely hold more than
# a few million tokens. Exceeding one is reported like the output size limit.
DEFAULT_MAX_LINE = 64 << 20  # bytes in one line
DEFAULT_MAX_TOKENS = 1 << 24  # whitespace-separated tokens

# A compilation's wall-clock guard is its CPU limit times this, plus a second: compilers are
# CPU-bound, so a compile that waits instead (on a device, a pipe) is stopped soon.
COMPILE_WALL_FACTOR = 1.5
# What a guarded tool (a compiler reading untrusted source, see ProcessSpec.guard_opens) may
# open besides its scratch directory: regular files and directories under these roots (the
# toolchain, its headers and libraries, all public), and these devices.
GUARD_READ_ROOTS = ("/usr",)
GUARD_DEVICES = ("/dev/null",)

# The largest file a `collect` copies out of a slot's scratch.
COLLECT_MAX_BYTES = 256 << 20

# Captured streams one request may hand back: their descriptors travel in one message, and the
# kernel passes at most 253 (SCM_MAX_FD) at once.
MAX_CAPTURES = 240

OPS = ("ping", "run", "run_many", "install", "clear", "cancel")


def user_slot(index: int) -> str:
    if not 0 <= index < MAX_USER_SLOTS:
        raise ValueError(f"user slot index must be in 0..{MAX_USER_SLOTS - 1}")
    return USER_SLOTS[index]


def wall_guard(cpu_seconds: float) -> float:
    """The wall-clock guard of a run with a CPU limit, as CMS sets it: twice the limit plus 1 s
    (a program that sleeps or blocks gets no CPU time but cannot hold the box for ever)."""
    return 2 * cpu_seconds + 1


def compile_wall_guard(cpu_seconds: float) -> float:
    return COMPILE_WALL_FACTOR * cpu_seconds + 1


def ran_cleanly(process: dict) -> bool:
    """A process result (as the supervisor reports it) that exited 0 within every limit."""
    return (
        process.get("exit_code") == 0
        and not (process.get("oom_killed") or process.get("cpu_exceeded") or process.get("wall_exceeded")
                 or process.get("output_exceeded"))
        and not process.get("exec_error")
        and not process.get("violation")
    )
