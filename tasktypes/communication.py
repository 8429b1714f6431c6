"""CMS Communication: the task's manager talks to 1..N user processes over pipes.

The manager runs `manager u0_to_m m_to_u0 [u1_to_m m_to_u1 ...] [manager_args] < input` and
reports the outcome the CMS way (stdout line 1, stderr line 1). Channels are anonymous pipes
handed over as fds (and, where a path is expected, as /proc/self/fd/N): re-opening a pipe
never blocks, so a peer that dies early or never opens its end cannot deadlock the others;
the manager ignores SIGPIPE and sees EPIPE. User CPU times are summed against the limit.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..checkers.base import CheckerFailure, conventions
from ..grading.outcomes import Executed, classify, failed, from_verdict
from ..grading.results import TestStatus
from ..problems.model import Problem, ProblemFormatError, SourceFile, TestCase
from ..sandbox.protocol import TRUSTED, Limits, ProcessSpec, RunRequest, Stream, user_slot
from .base import USER_PIDS, SelfTest, TaskType, TestRun


class UserIO(str, Enum):
    STD_IO = "std_io"  # user process stdin/stdout are the channels to the manager
    FIFO_IO = "fifo_io"  # user process gets the two channel paths as arguments


class CommunicationParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    num_processes: int = Field(default=1, ge=1, le=8)
    user_io: UserIO = UserIO.STD_IO
    manager: SourceFile
    manager_args: tuple[str, ...] = ()


_MANAGER = r"""
#include <cstdio>
#include <csignal>
// Sends the input's number to the user process, expects twice that back.
int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    long long n = 0, got = -1;
    if (scanf("%lld", &n) != 1) return 1;
    FILE *from_user = fopen(argv[1], "r"), *to_user = fopen(argv[2], "w");
    fprintf(to_user, "%lld\n", n);
    fflush(to_user);
    bool ok = from_user && fscanf(from_user, "%lld", &got) == 1 && got == 2 * n;
    printf("%d\n", ok ? 1 : 0);
    fprintf(stderr, ok ? "translate:success\n" : "translate:wrong\n");
}
"""
_STUB = r"""
#include <cstdio>
#include "twice.h"
int main() { long long n; if (scanf("%lld", &n) != 1) return 1; printf("%lld\n", twice(n)); fflush(stdout); }
"""


class Communication(TaskType):
    name = "Communication"
    summary = "the task's manager talks to 1..N user processes over pipes and gives the outcome"
    Params = CommunicationParams
    needs_answers = False  # the manager may judge from the input alone
    self_test = SelfTest(
        files={
            "problem.json": '{"code": "twice", "name": "Twice", "time_limit": 2, "memory_limit": 268435456,'
                            ' "task_type": "Communication",'
                            ' "task_type_params": "{\\"task_type_parameters_Communication_num_processes\\": 1}"}',
            "subtasks/01-all.json": '{"score": 100, "testcases": ["1", "2"]}',
            "tests/1.in": "21\n", "tests/2.in": "-5\n",
            "graders/manager.cpp": _MANAGER, "graders/stub.cpp": _STUB,
            "graders/twice.h": "long long twice(long long n);\n",
        },
        solutions={
            "correct.cpp": ("cpp", '#include "twice.h"\nlong long twice(long long n) { return 2 * n; }\n', 100.0),
            "wrong.cpp": ("cpp", '#include "twice.h"\nlong long twice(long long n) { return n + 2; }\n', 0.0),
            "crash.cpp": ("cpp", '#include "twice.h"\n#include <cstdlib>\nlong long twice(long long) { abort(); }\n',
                          0.0),
        },
    )

    def read_cms_params(self, params: Mapping[str, Any], graders: Path, where: Path) -> CommunicationParams:
        from ..problems.tps import get_field, read_source  # noqa: PLC0415 - tps imports the plugins

        key = self.cms_prefix + "num_processes"
        num_processes = get_field(params, key, int, where, default=1)
        if not 1 <= num_processes <= 8:
            raise ProblemFormatError(where, f"must be between 1 and 8, got {num_processes}", f"task_type_params.{key}")
        key = self.cms_prefix + "user_io"
        user_io = get_field(params, key, str, where, default=UserIO.STD_IO.value)
        if user_io not in {u.value for u in UserIO}:
            raise ProblemFormatError(where, f"must be 'std_io' or 'fifo_io', got {user_io!r}", f"task_type_params.{key}")
        key = self.cms_prefix + "manager_args"
        args = get_field(params, key, (list, str), where, default=[])
        # Accept "a b" as well as ["a", "b"]: hand-written problem.json files use both.
        manager_args = args.split() if isinstance(args, str) else args
        if not all(isinstance(a, str) for a in manager_args):
            raise ProblemFormatError(where, "must be a list of strings", f"task_type_params.{key}")
        manager_path = graders / "manager.cpp"
        if not manager_path.is_file():
            raise ProblemFormatError(manager_path, "a Communication task needs its manager", "task_type")
        if not (graders / "stub.cpp").is_file():
            raise ProblemFormatError(graders / "stub.cpp", "a Communication task needs graders/stub.cpp", "task_type")
        return CommunicationParams(num_processes=num_processes, user_io=UserIO(user_io),
                                   manager=read_source(manager_path), manager_args=tuple(manager_args))

    def cms_params(self, params: CommunicationParams) -> dict[str, Any]:
        """The manager travels as graders/manager.cpp, not as a key."""
        keys = {self.cms_prefix + "num_processes": params.num_processes, self.cms_prefix + "user_io": params.user_io.value}
        if params.manager_args:
            keys[self.cms_prefix + "manager_args"] = list(params.manager_args)
        return keys

    def validate(self, problem: Problem) -> None:
        if problem.grader_source("stub.cpp") is None:
            raise ValueError("a Communication task needs graders/stub.cpp")

    def link_unit(self, problem: Problem) -> str:
        return "stub.cpp"

    def trusted_sources(self, problem: Problem) -> dict[str, tuple[SourceFile, ...]]:
        manager = SourceFile(name="manager.cpp", content=problem.task_params.manager.content)
        return {"manager": (manager, *(f for f in problem.graders if f.name != "manager.cpp"))}

    def evaluate(self, run: TestRun, tests: Sequence[TestCase]) -> list[Executed]:
        return [self._one(run, test) for test in tests]

    def _one(self, run: TestRun, test: TestCase) -> Executed:
        box, limits = run.sandbox, run.limits
        params: CommunicationParams = run.problem.task_params
        count = params.num_processes
        pipes, manager_fds = [], []
        manager_argv = [run.trusted("manager")]
        for i in range(count):
            pipes += [f"u{i}_to_m", f"m_to_u{i}"]
            manager_fds += [Stream(pipe=f"u{i}_to_m", end="r"), Stream(pipe=f"m_to_u{i}", end="w")]
            manager_argv += [f"/proc/self/fd/{3 + 2 * i}", f"/proc/self/fd/{4 + 2 * i}"]
        manager_argv += list(params.manager_args)
        manager_cpu = count * (limits.time + 1) + 10
        processes = [ProcessSpec(
            slot=TRUSTED, argv=manager_argv, stdin=Stream(file=box.put(test.input)),
            stdout=Stream(capture=True), stderr=Stream(capture=True),  # its verdict and message, in memory
            fds=manager_fds, ignore_sigpipe=True,
            limits=Limits(cpu=manager_cpu, wall=2 * manager_cpu, memory=max(limits.memory, 2 << 30), pids=16),
        )]
        user_wall = (count + 1) * limits.time + 1
        for i in range(count):
            index_arg = [str(i)] if count > 1 else []
            user_limits = Limits(cpu=limits.time, wall=user_wall, memory=limits.memory, pids=USER_PIDS,
                                 fsize=limits.output)
            if params.user_io is UserIO.STD_IO:
                spec = ProcessSpec(
                    slot=user_slot(i), argv=run.program.argv(run.program_path) + index_arg,
                    stdin=Stream(pipe=f"m_to_u{i}", end="r"), stdout=Stream(pipe=f"u{i}_to_m", end="w"),
                    limits=user_limits, cpu_pool="users",
                )
            else:
                spec = ProcessSpec(
                    slot=user_slot(i),
                    argv=run.program.argv(run.program_path) + ["/proc/self/fd/3", "/proc/self/fd/4"] + index_arg,
                    fds=[Stream(pipe=f"m_to_u{i}", end="r"), Stream(pipe=f"u{i}_to_m", end="w")],
                    limits=user_limits, cpu_pool="users",
                )
            processes.append(spec)
        response = box.run(RunRequest(processes=processes, pipes=pipes, tag=test.name))
        manager_out, manager_err = response.capture(0, "stdout"), response.capture(0, "stderr")
        try:
            if response.cancelled:
                users = response.processes[1:]
                return Executed(cancelled=True, time=sum(u.cpu for u in users),
                                wall=max((u.wall for u in users), default=0.0))
            manager, users = response.processes[0], response.processes[1:]
            time = sum(u.cpu for u in users)  # user CPU times are summed against the limit
            wall = max(u.wall for u in users)
            memory = max(u.memory for u in users)
            failures = [(u, classify(u, limits)) for u in users]
            # 1. A user process that failed on its own (not merely SIGPIPE'd by a manager that had
            #    finished with it) fails the test with its status, whatever the manager says.
            for user, failure in failures:
                if failure is not None and user.signal != signal.SIGPIPE:
                    return Executed(result=failed(test.name, *failure, time, wall, memory))
            # 2. The user processes share one CPU budget.
            if time > limits.time:
                return Executed(result=failed(test.name, TestStatus.TLE, "Time limit exceeded", time, wall, memory))
            # 3. The manager is trusted: if it failed, the task is broken, not the submission.
            if not manager.ok:
                raise CheckerFailure(
                    f"the task's manager failed on test {test.name} (exit code {manager.exit_code}, "
                    f"signal {manager.signal}): {manager_err.read_bytes(300)!r}"
                )
            # The manager reports the way a CMS checker does.
            verdict = conventions.get("cms").parse(manager.exit_code, manager_out.read_bytes(4096),
                                                   manager_err.read_bytes(4096))
            # 4. A user killed by SIGPIPE gets the manager's verdict if it failed the test,
            #    but a crashed peer never passes.
            broken_pipe = next((f for u, f in failures if f is not None), None)
            if broken_pipe is not None and verdict.outcome > 0:
                return Executed(result=failed(test.name, *broken_pipe, time, wall, memory))
            return Executed(result=from_verdict(test.name, verdict, time, wall, memory))
        finally:
            for captured in (manager_out, manager_err):
                if captured is not None:
                    captured.unlink()
