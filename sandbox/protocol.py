"""Typed messages between the worker and a box's supervisor (sandbox/image/supervisor.py).

The supervisor runs inside the image with only the standard library, so it parses plain
JSON; these models are the worker's side of the same contract and the single place where
its shape is written down. Constants and defaults come from `image/wire.py`, which the
supervisor imports too, so the two sides cannot disagree.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from .image import wire
from .image.wire import MAX_USER_SLOTS, TRUSTED, user_slot, wall_guard

__all__ = [
    "MAX_USER_SLOTS", "TRUSTED", "Collect", "Collected", "Limits", "ProcessResult", "ProcessSpec", "RunManyRequest",
    "RunManyResponse", "RunRequest", "RunResponse", "Slot", "StagedFile", "Stream", "user_slot", "wall_guard",
]

Slot = str  # wire.TRUSTED or one of wire.USER_SLOTS


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Limits(_Message):
    cpu: float = Field(gt=0, description="CPU seconds for the process tree (summed over a cpu_pool).")
    wall: float = Field(gt=0, description="Wall-clock guard in seconds.")
    memory: int = Field(gt=0, description="Peak memory in bytes (memory cgroup).")
    pids: int = Field(default=wire.DEFAULT_PIDS, ge=1, description="Processes and threads at once.")
    fsize: int = Field(default=wire.DEFAULT_FSIZE, ge=0, description="Largest file the process may write (bytes).")
    nofile: int = Field(default=wire.DEFAULT_NOFILE, ge=16)
    cpus: float = Field(default=wire.DEFAULT_CPUS, gt=0, description="CPU bandwidth cap (cfs quota).")
    max_line: int = Field(default=wire.DEFAULT_MAX_LINE, ge=1,
                          description="Longest line an untrusted process's stdout file may hold (bytes).")
    max_tokens: int = Field(default=wire.DEFAULT_MAX_TOKENS, ge=1,
                            description="Whitespace-separated tokens an untrusted process's stdout file may hold.")


class Stream(_Message):
    """Where a process's fd points: a file under /io, one end of a named pipe of the run, or
    (stdout and stderr only) `capture`: an in-memory file the box hands back with the result
    (`RunResponse.capture`), with no file on any disk."""

    file: str | None = None
    write: bool | None = None
    pipe: str | None = None
    end: Literal["r", "w"] | None = None
    capture: bool | None = None


class ProcessSpec(_Message):
    slot: Slot
    argv: list[str]
    stdin: Stream | None = None
    stdout: Stream | None = None
    stderr: Stream | None = None
    fds: list[Stream] = Field(default_factory=list, description="Extra fds, numbered from 3 in order.")
    limits: Limits
    cpu_pool: str | None = Field(default=None, description="Processes sharing one CPU budget.")
    ignore_sigpipe: bool = False
    env: dict[str, str] = Field(default_factory=dict)
    guard_opens: bool = Field(
        default=False,
        description="A trusted tool (a compiler) run on untrusted input: every file it opens must be a regular "
        "file or directory under wire.GUARD_READ_ROOTS or its scratch directory (written only there), or one of "
        "wire.GUARD_DEVICES; anything else fails with EACCES and a message on stderr. Enforced by a preloaded "
        "library, so it binds dynamically linked tools only; a submission's own code is held by its uid and "
        "seccomp instead.",
    )


class StagedFile(_Message):
    """A file placed in a slot's scratch directory before the run (owned by the slot's uid)."""

    name: str
    content: str | None = None
    src: str | None = None
    mode: int = 0o644


class Collect(_Message):
    """A file copied out of a slot's scratch directory into /io after the run."""

    slot: Slot
    name: str
    dest: str
    max_bytes: int = wire.COLLECT_MAX_BYTES


class RunRequest(_Message):
    op: Literal["run"] = "run"
    tag: str | None = Field(default=None, description="Names the run for `cancel` (e.g. the test).")
    processes: list[ProcessSpec]
    pipes: list[str] = Field(default_factory=list)
    files: dict[Slot, list[StagedFile]] = Field(default_factory=dict)
    collect: list[Collect] = Field(default_factory=list)


class ProcessResult(BaseModel):
    slot: Slot
    exit_code: int | None
    signal: int | None
    cpu: float
    wall: float
    memory: int
    oom_killed: bool
    cpu_exceeded: bool
    wall_exceeded: bool
    output_exceeded: bool
    output_limit_reason: str | None = Field(default=None, description="Which bound on stdout it broke, when not size.")
    exec_error: str | None = None
    idle: bool = False  # killed by the wall-clock guard while asleep (blocked on input), not computing
    violation: str | None = Field(
        default=None, description="What it did to the sandbox itself (e.g. a scratch that cannot be wiped).")
    captured: dict[str, int] = Field(
        default_factory=dict, description="Captured stream name -> index into the run's handed-back descriptors.")

    @property
    def ok(self) -> bool:
        """Exited normally with status 0 and within every limit."""
        return wire.ran_cleanly(vars(self))


class Collected(BaseModel):
    name: str
    ok: bool
    size: int | None = None
    error: str | None = None


class RunResponse(BaseModel):
    processes: list[ProcessResult]  # empty for a run cancelled before it started
    cancelled: bool = Field(default=False, description="Aborted by a `cancel` naming its tag.")
    collected: list[Collected] = Field(default_factory=list)
    leftover_processes: int = 0
    retire: str | None = Field(default=None, description="Why the box must serve no further run (set: recycle it).")
    phases: dict[str, float] = Field(default_factory=dict, description="Supervisor timeline, ms (profiling).")
    fds: int = Field(default=0, description="Descriptors of captured streams sent with it (SCM_RIGHTS).")
    # The captured streams, in the order of the descriptors: set by the sandbox that received them.
    _captures: list = PrivateAttr(default_factory=list)

    def attach(self, captures: list) -> RunResponse:
        """Give it the captured files its `fds` announced (the sandbox's side of the wire)."""
        if len(captures) != self.fds:
            raise ValueError(f"the run announced {self.fds} captured streams and {len(captures)} came")
        self._captures = captures
        return self

    def capture(self, process: int, stream: str = "stdout"):
        """The captured `stream` of process number `process` (a `CapturedFile`, the caller's to
        unlink), or None when it was not captured (the run was cancelled before it started)."""
        if process >= len(self.processes):
            return None
        index = self.processes[process].captured.get(stream)
        return None if index is None else self._captures[index]


class RunManyRequest(_Message):
    """Several runs in one round trip, executed in order (see the supervisor's `run_many`)."""

    op: Literal["run_many"] = "run_many"
    runs: list[RunRequest]
    stop_on_failure: bool = True


class RunManyResponse(BaseModel):
    results: list[RunResponse]  # one per run executed: fewer than requested after a stop
    fds: int = Field(default=0, description="Descriptors of captured streams sent with it, all runs' in order.")

    def attach(self, captures: list) -> RunManyResponse:
        """Hand each run its slice of the captured files (in run order, as they were sent)."""
        if len(captures) != self.fds or sum(r.fds for r in self.results) != self.fds:
            raise ValueError(f"the runs announced {self.fds} captured streams and {len(captures)} came")
        at = 0
        for result in self.results:
            result.attach(captures[at:at + result.fds])
            at += result.fds
        return self
