"""Task programs, compiled once per task (not per submission) in the judge box and cached
on disk by content hash: the grader or stub object each submission links, the checker, and
the task type's own trusted programs (a Communication manager).

The judge box is the only place task-private sources (checker, manager) are ever written,
so a submission can never `#include` them.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..checkers import TaskProgram, conventions
from ..errors import TaskBroken
from ..languages import Language, language_for_file
from ..problems.model import Problem, SourceFile
from ..sandbox.protocol import TRUSTED, Collect, Limits, ProcessSpec, RunRequest, StagedFile, Stream
from ..tasktypes import tasktypes

MESSAGE_LIMIT = 4000


class TaskProgramError(TaskBroken):
    """A task's own grader, checker or manager does not compile: the task is broken."""


@dataclass(frozen=True)
class TaskPrograms:
    link_objects: tuple[Path, ...]  # the grader or stub object, linked into every submission
    trusted: dict[str, TaskProgram] = field(default_factory=dict)  # role ("checker", "manager") -> program

    @property
    def checker(self) -> TaskProgram | None:
        return self.trusted.get("checker")


class TaskProgramCache:
    def __init__(self, pool, cache_dir: Path):
        self.pool = pool
        self.root = cache_dir / "programs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.image_id = pool.image_id()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def programs(self, problem: Problem, language: Language) -> TaskPrograms:
        task_type = tasktypes.get(problem.task_type)
        link_objects: list[Path] = []
        unit = task_type.link_unit(problem)
        if unit is not None and language.links_task_code:
            argv = language.task_unit_argv(unit, "unit.o", problem.compile_defines)
            link_objects.append(self._build(problem.graders, argv, "unit.o", f"{unit} ({language.name})"))
        sources: dict[str, tuple[SourceFile, ...]] = {}
        convention = conventions.get(problem.checker.kind)
        if convention.needs_program:
            checker = problem.checker
            sources["checker"] = (SourceFile(name=convention.source_name, content=checker.source.content),
                                  *checker.support)
        sources.update(task_type.trusted_sources(problem))
        trusted = {}
        for role, files in sources.items():
            # The first file is the program's main source; its suffix says its language (C++,
            # or Python for the open-r1 checkers), and it is staged under the name that
            # language compiles.
            builder = language_for_file(files[0].name)
            stem = files[0].name.rsplit(".", 1)[0]
            main = SourceFile(name=builder.source_name(stem), content=files[0].content)
            path = self._build((main, *files[1:]), builder.compile_argv(stem, []), builder.program_name(stem), role)
            trusted[role] = TaskProgram(path=path, key=path.parent.name, argv_prefix=tuple(builder.run_argv("")[:-1]))
        return TaskPrograms(tuple(link_objects), trusted)

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
                collected, log = box.output(), box.output()
                request = RunRequest(
                    files={TRUSTED: [StagedFile(name=f.name, content=f.content) for f in files]},
                    processes=[ProcessSpec(
                        slot=TRUSTED, argv=argv,
                        stdout=Stream(file=log.inside, write=True), stderr=Stream(file=log.inside, write=True),
                        limits=Limits(cpu=120, wall=240, memory=4 << 30, pids=64, fsize=1 << 30),
                    )],
                    collect=[Collect(slot=TRUSTED, name=output, dest=collected.inside)],
                )
                try:
                    result = box.run(request).processes[0]
                    log_text = log.read_bytes(MESSAGE_LIMIT).decode(errors="replace")
                    if not result.ok or not collected.exists():
                        raise TaskProgramError(f"the task's {what} does not compile:\n{log_text}")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    partial = target.with_name(target.name + ".partial")
                    collected.take(partial)
                    os.replace(partial, target)
                finally:
                    collected.unlink()
                    log.unlink()
        return target

    def _lock_for(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())
