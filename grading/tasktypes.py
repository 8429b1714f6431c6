"""Task types (CMS): how one test of a compiled submission runs in a box.

`Batch` runs the program on the test input and leaves its output to be judged by the
checker; `Communication` runs the task's manager and 1..N user processes joined by pipes,
and the manager's verdict is the outcome. Both turn raw process results into statuses with
`classify`, the single place that decides TLE/MLE/RE.
"""

from __future__ import annotations

import os
import signal
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..checkers import CheckerFailure, Verdict, cms_verdict
from ..problems.model import Problem, TestCase, UserIO
from ..sandbox.box import Box
from ..sandbox.protocol import TRUSTED, Limits, ProcessResult, ProcessSpec, RunRequest, Stream, user_slot
from .results import TestResult, TestStatus

USER_PIDS = 64  # processes/threads a submission may have at once


@dataclass(frozen=True)
class TestLimits:
    __test__ = False

    time: float  # CPU seconds
    memory: int  # bytes
    output: int  # bytes

    @property
    def wall(self) -> float:
        return 2 * self.time + 1  # CMS's wall-clock guard


@dataclass(frozen=True)
class Program:
    """A compiled submission on the worker's disk, and how to start it once installed."""

    path: Path
    key: str  # content hash: a box that already has it installed skips the copy
    name: str
    argv_prefix: tuple[str, ...]  # e.g. ("/usr/bin/python3", "-I", "-B") for Python

    def argv(self, installed_path: str) -> list[str]:
        return [*self.argv_prefix, installed_path]


@dataclass
class Executed:
    """What running a test produced before judging: a final result, or an output to judge."""

    result: TestResult | None = None
    output: Path | None = None  # the contestant's output, moved out of the box
    time: float = 0.0
    wall: float = 0.0
    memory: int = 0


def classify(result: ProcessResult, limits: TestLimits) -> tuple[TestStatus, str] | None:
    """The failure a process result shows, or None when it ran cleanly within its limits."""
    if result.exec_error:
        return TestStatus.RE, f"Could not start: {result.exec_error}"
    if result.oom_killed or result.memory > limits.memory:
        return TestStatus.MLE, "Memory limit exceeded"
    if result.cpu_exceeded or result.cpu > limits.time:
        return TestStatus.TLE, "Time limit exceeded"
    if result.wall_exceeded:
        return TestStatus.TLE, "Wall-clock limit exceeded (sleeping or blocked)"
    if result.output_exceeded:
        return TestStatus.RE, "Output limit exceeded"
    if result.signal is not None:
        try:
            name = signal.Signals(result.signal).name
        except ValueError:
            name = f"signal {result.signal}"
        return TestStatus.RE, f"Killed by {name}"
    if result.exit_code != 0:
        return TestStatus.RE, f"Exited with code {result.exit_code}"
    return None


def _failed(name: str, status: TestStatus, message: str, time: float, wall: float, memory: int) -> TestResult:
    return TestResult(name=name, status=status, score=0.0, time=time, wall=wall, memory=memory, message=message)


def from_verdict(name: str, verdict: Verdict, time: float, wall: float, memory: int) -> TestResult:
    return TestResult(
        name=name, status=TestStatus.from_outcome(verdict.outcome), score=verdict.outcome,
        time=time, wall=wall, memory=memory, message=verdict.message,
    )


class BatchTask:
    """The program reads the test input and writes its output; a checker judges it later."""

    def __init__(self) -> None:
        self._templates: dict[tuple, dict] = {}

    def template(self, program: Program, program_path: str, limits: TestLimits) -> dict:
        """The run request of every test of a submission, validated once, as a dict: per test
        only the input and output paths change (the hot path of many short tests)."""
        key = (program.key, program_path, limits)
        template = self._templates.get(key)
        if template is None:
            request = RunRequest(processes=[ProcessSpec(
                slot=user_slot(0), argv=program.argv(program_path), stdin=Stream(file="/io/in/-"),
                stdout=Stream(file="/io/out/-", write=True),
                limits=Limits(cpu=limits.time, wall=limits.wall, memory=limits.memory, pids=USER_PIDS,
                              fsize=limits.output),
            )])
            template = request.model_dump(exclude_none=True)
            if len(self._templates) > 64:
                self._templates.clear()
            self._templates[key] = template
        return template

    def execute_many(self, box: Box, program_path: str, program: Program, tests: list[TestCase],
                     limits: TestLimits, work_dir: Path) -> list[Executed]:
        """Run `tests` in order in one round trip; stops after the first failure, so the result
        may be shorter than `tests`."""
        template = self.template(program, program_path, limits)
        outputs = [os.path.join(box.host_dir, "out", uuid.uuid4().hex + ".out") for _ in tests]
        runs = []
        for test, output in zip(tests, outputs):
            process = dict(template["processes"][0], stdin={"file": box.stage(test.input)},
                           stdout={"file": box.to_container(output), "write": True})
            runs.append(dict(template, processes=[process]))
        try:
            response = box.run_many(runs)
            executed = []
            for test, output, run in zip(tests, outputs, response.results):
                result = run.processes[0]
                failure = classify(result, limits)
                if failure is not None:
                    executed.append(Executed(result=_failed(test.name, *failure, result.cpu, result.wall,
                                                            result.memory)))
                    continue
                # Keep the output beyond the box's lifetime: the box may be recycled before judging.
                kept = os.path.join(work_dir, os.path.basename(output))
                os.replace(output, kept)
                executed.append(Executed(output=Path(kept), time=result.cpu, wall=result.wall, memory=result.memory))
            return executed
        finally:
            for output in outputs:
                try:
                    os.unlink(output)
                except FileNotFoundError:
                    pass


class CommunicationTask:
    """CMS Communication (BRIEF §2): `manager u0_to_m m_to_u0 [u1_to_m m_to_u1 ...] < input`.

    Channels are anonymous pipes handed over as fds (and, where a path is expected, as
    /proc/self/fd/N): re-opening a pipe never blocks, so a peer that dies early or never
    opens its end cannot deadlock the others; the manager ignores SIGPIPE and sees EPIPE.
    """

    def execute(self, box: Box, program_path: str, program: Program, problem: Problem, test: TestCase,
                limits: TestLimits, work_dir: Path, manager_path: str) -> Executed:
        params = problem.communication
        count = params.num_processes
        token = uuid.uuid4().hex
        manager_out = box.host_dir / "out" / f"{token}.manager.out"
        manager_err = box.host_dir / "out" / f"{token}.manager.err"
        pipes = []
        manager_fds = []
        manager_argv = [manager_path]
        for i in range(count):
            pipes += [f"u{i}_to_m", f"m_to_u{i}"]
            manager_fds += [Stream(pipe=f"u{i}_to_m", end="r"), Stream(pipe=f"m_to_u{i}", end="w")]
            manager_argv += [f"/proc/self/fd/{3 + 2 * i}", f"/proc/self/fd/{4 + 2 * i}"]
        manager_argv += list(params.manager_args)
        manager_cpu = count * (limits.time + 1) + 10
        processes = [
            ProcessSpec(
                slot=TRUSTED,
                argv=manager_argv,
                stdin=Stream(file=box.stage(test.input)),
                stdout=Stream(file=box.to_container(manager_out), write=True),
                stderr=Stream(file=box.to_container(manager_err), write=True),
                fds=manager_fds,
                limits=Limits(cpu=manager_cpu, wall=2 * manager_cpu, memory=max(limits.memory, 2 << 30), pids=16),
                ignore_sigpipe=True,
            )
        ]
        user_wall = (count + 1) * limits.time + 1
        for i in range(count):
            index_arg = [str(i)] if count > 1 else []
            user_limits = Limits(cpu=limits.time, wall=user_wall, memory=limits.memory, pids=USER_PIDS,
                                 fsize=limits.output)
            if params.user_io is UserIO.STD_IO:
                spec = ProcessSpec(
                    slot=user_slot(i), argv=program.argv(program_path) + index_arg,
                    stdin=Stream(pipe=f"m_to_u{i}", end="r"), stdout=Stream(pipe=f"u{i}_to_m", end="w"),
                    limits=user_limits, cpu_pool="users",
                )
            else:
                spec = ProcessSpec(
                    slot=user_slot(i),
                    argv=program.argv(program_path) + ["/proc/self/fd/3", "/proc/self/fd/4"] + index_arg,
                    fds=[Stream(pipe=f"m_to_u{i}", end="r"), Stream(pipe=f"u{i}_to_m", end="w")],
                    limits=user_limits, cpu_pool="users",
                )
            processes.append(spec)
        try:
            response = box.run(RunRequest(processes=processes, pipes=pipes))
            manager, users = response.processes[0], response.processes[1:]
            time = sum(u.cpu for u in users)  # user CPU times are summed against the limit
            wall = max(u.wall for u in users)
            memory = max(u.memory for u in users)
            failures = [(u, classify(u, limits)) for u in users]
            # 1. A user process that failed on its own (not merely SIGPIPE'd by a manager that had
            #    finished with it) fails the test with its status, whatever the manager says.
            for user, failure in failures:
                if failure is not None and user.signal != signal.SIGPIPE:
                    return Executed(result=_failed(test.name, *failure, time, wall, memory))
            # 2. The user processes share one CPU budget.
            if time > limits.time:
                return Executed(result=_failed(test.name, TestStatus.TLE, "Time limit exceeded", time, wall, memory))
            # 3. The manager is trusted: if it failed, the task is broken, not the submission.
            if not manager.ok:
                raise CheckerFailure(
                    f"the task's manager failed on test {test.name} (exit code {manager.exit_code}, "
                    f"signal {manager.signal}): {manager_err.read_bytes()[:300]!r}"
                )
            verdict = cms_verdict(manager.exit_code, manager_out.read_bytes()[:4096], manager_err.read_bytes()[:4096])
            # 4. A user killed by SIGPIPE gets the manager's verdict if it failed the test,
            #    but a crashed peer never passes.
            broken_pipe = next((f for u, f in failures if f is not None), None)
            if broken_pipe is not None and verdict.outcome > 0:
                return Executed(result=_failed(test.name, *broken_pipe, time, wall, memory))
            return Executed(result=from_verdict(test.name, verdict, time, wall, memory))
        finally:
            manager_out.unlink(missing_ok=True)
            manager_err.unlink(missing_ok=True)
