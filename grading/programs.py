"""Task programs, compiled once per task (not per submission) in the judge box and cached
on disk by content hash: grader/stub objects, checkers and managers.

The judge box is the only place task-private sources (checker, manager) are ever written,
so a submission can never `#include` them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..problems.model import CheckerKind, Problem, SourceFile, TaskType
from ..sandbox.pool import SandboxPool
from ..sandbox.protocol import TRUSTED, Collect, Limits, ProcessSpec, RunRequest, StagedFile, Stream
from .languages import CXX, CXX_LINK_FLAGS, cxx_flags

MESSAGE_LIMIT = 4000


class TaskProgramError(RuntimeError):
    """A task's own grader, checker or manager does not compile: the task is broken."""


@dataclass(frozen=True)
class TaskPrograms:
    link_objects: tuple[Path, ...]  # grader.o or stub.o, linked into every C++ submission
    checker: Path | None
    manager: Path | None

    def key(self, path: Path | None) -> str:
        """Content key of one of these programs (its cache folder name)."""
        return path.parent.name if path is not None else ""


class TaskProgramCache:
    def __init__(self, pool: SandboxPool, cache_dir: Path):
        self.pool = pool
        self.root = cache_dir / "programs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.image_id = pool.image_id()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def programs(self, problem: Problem, std: str = "gnu++17", with_link_objects: bool = True) -> TaskPrograms:
        link_objects: list[Path] = []
        if with_link_objects:
            unit = None
            if problem.task_type is TaskType.COMMUNICATION:
                unit = "stub.cpp"
            elif problem.compilation == "grader":
                unit = "grader.cpp"
            if unit is not None:
                flags = cxx_flags(std)
                argv = [CXX, *flags, "-c", "-o", "unit.o", unit]
                link_objects.append(self._build(problem.graders, argv, "unit.o", f"{unit} ({std})"))
        checker = None
        if problem.checker.kind in (CheckerKind.CMS, CheckerKind.TESTLIB):
            source = problem.checker.source
            files = (SourceFile(name="checker.cpp", content=source.content), *problem.checker.support)
            argv = [CXX, *cxx_flags("gnu++17"), *CXX_LINK_FLAGS, "-o", "checker", "checker.cpp"]
            checker = self._build(files, argv, "checker", "checker")
        manager = None
        if problem.communication is not None:
            files = (*problem.graders, SourceFile(name="manager.cpp", content=problem.communication.manager.content))
            argv = [CXX, *cxx_flags("gnu++17"), *CXX_LINK_FLAGS, "-o", "manager", "manager.cpp"]
            manager = self._build(files, argv, "manager", "manager")
        return TaskPrograms(tuple(link_objects), checker, manager)

    def _build(self, files, argv: list[str], output: str, what: str) -> Path:
        digest = hashlib.sha256(self.image_id.encode())
        digest.update("\0".join(argv).encode())
        for item in sorted(files, key=lambda f: f.name):
            digest.update(b"\0" + item.sha256.encode())
        key = digest.hexdigest()[:40]
        target = self.root / key / output
        if target.exists():
            return target
        with self._lock_for(key):
            if target.exists():
                return target
            with self.pool.judge_box() as box:
                token = uuid.uuid4().hex
                collected = box.host_dir / "xfer" / token
                log_path = box.host_dir / "out" / f"{token}.log"
                request = RunRequest(
                    files={TRUSTED: [StagedFile(name=f.name, content=f.content) for f in files]},
                    processes=[
                        ProcessSpec(
                            slot=TRUSTED,
                            argv=argv,
                            stdout=Stream(file=box.to_container(log_path), write=True),
                            stderr=Stream(file=box.to_container(log_path), write=True),
                            limits=Limits(cpu=120, wall=240, memory=4 << 30, pids=64, fsize=1 << 30),
                        )
                    ],
                    collect=[Collect(slot=TRUSTED, name=output, dest=box.to_container(collected))],
                )
                result = box.run(request).processes[0]
                log_text = log_path.read_text(errors="replace")[:MESSAGE_LIMIT] if log_path.exists() else ""
                log_path.unlink(missing_ok=True)
                if not result.ok or not collected.exists():
                    collected.unlink(missing_ok=True)
                    raise TaskProgramError(f"the task's {what} does not compile:\n{log_text}")
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(target.name + ".partial")
                shutil.move(collected, partial)
                os.replace(partial, target)
        return target

    def _lock_for(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())
