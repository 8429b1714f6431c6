"""Sandbox settings, from arguments or `IOI_GRADER_*` environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

DEFAULT_IMAGE = "ioi-grader-sandbox:latest"


def default_state_dir() -> Path:
    explicit = os.environ.get("IOI_GRADER_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "ioi-grader"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class SandboxSettings(BaseModel):
    image: str = Field(default_factory=lambda: os.environ.get("IOI_GRADER_IMAGE", DEFAULT_IMAGE))
    state_dir: Path = Field(
        default_factory=default_state_dir,
        description="Host directory for box I/O folders and caches. In docker-compose it must be the "
        "same path on the host and inside the worker container.",
    )
    run_boxes: int = Field(
        default_factory=lambda: _env_int("IOI_GRADER_BOXES", os.cpu_count() or 1), ge=1,
        description="Boxes that run submissions, i.e. tests run at once by this worker.",
    )
    judge_boxes: int | None = Field(
        default_factory=lambda: _env_int("IOI_GRADER_JUDGE_BOXES", 0) or None, ge=1,
        description="Boxes that run trusted task programs (checkers, managers); default one per run box, so "
        "that each run box's outputs are judged while the others run (a Python checker takes tens of ms).",
    )
    recycle_after: int = Field(
        # Hygiene, not isolation: every run already ends with its slot killed, accounted and
        # wiped, and any anomaly retires the box at once. A replacement costs ~0.3 s of CPU
        # (container start and stop), so at 1000 runs it was ~0.3 ms per test; over 10,000 runs a
        # healthy box's supervisor grew by under 1 MB and its runs did not slow down.
        default_factory=lambda: _env_int("IOI_GRADER_RECYCLE_AFTER", 10_000), ge=1,
        description="Runs after which a fresh container starts to replace a box (the box serves on until it is up).",
    )
    pin_cpus: bool = Field(
        default_factory=lambda: os.environ.get("IOI_GRADER_PIN_CPUS", "1") not in ("0", "false", "no"),
        description="Keep each run box's supervisor, spawners and single-CPU tests on one CPU, the one the "
        "fewest boxes of its pool, then of the engine, use (see sandbox/cpus.py); 0 lets them float.",
    )
    scratch_mib: int = Field(default=1024, ge=16, description="Size of a box's scratch tmpfs.")
    supervisor_memory_mib: int = Field(default=256, ge=64)
    box_pids_max: int = Field(default=512, ge=16, description="Processes in a whole box at once.")
    scratch_wipe_seconds: float = Field(
        default=20.0, gt=0,
        description="Longest a box may take to wipe a slot's scratch after a run; past it the test scores RE "
        "(what it left is the submission's doing) and the box is replaced.",
    )
    seccomp_profile: str | None = Field(
        default_factory=lambda: os.environ.get("IOI_GRADER_DOCKER_SECCOMP") or None,
        description="Docker's seccomp profile for boxes (a JSON file, or 'unconfined'); unset keeps the engine's "
        "default. The sandbox's own filter for untrusted code does not rely on it.",
    )
    cgroup_root: Path = Field(
        default_factory=lambda: Path(os.environ.get("IOI_GRADER_CGROUP_ROOT", "/sys/fs/cgroup")),
        description="Where this process sees the host's cgroup filesystem: cgroup v1 controllers are "
        "looked up there, and a destroyed box's cgroup directories are removed there (bind sources "
        "given to the daemon are always host paths under /sys/fs/cgroup).",
    )
    time_scale: float = Field(
        default_factory=lambda: float(os.environ.get("IOI_GRADER_TIME_SCALE") or 1.0), gt=0, le=100,
        description="For a machine slower than the one the limits were set for (CI's cgroup v2 VM runs "
        "under software emulation): CPU and wall limits are multiplied by it on the way to the "
        "supervisor and measured times divided by it on the way back. 1 everywhere else.",
    )
    cgroup_hide: list[str] = Field(
        default_factory=list,
        description="Test hook: kernel features the supervisor must act as if missing, so that a "
        "kernel that has them also runs the fallbacks (memory.peak, cgroup.kill, clone_into_cgroup).",
    )
    start_timeout: float = 60.0

    @property
    def boxes_dir(self) -> Path:
        return self.state_dir / "boxes"

    @property
    def cache_dir(self) -> Path:
        return self.state_dir / "cache"
