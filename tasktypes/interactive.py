"""Interactive: the task's interactor talks to the submission over its stdin and stdout.

The interactor's stdout is the solution's stdin and the solution's stdout the interactor's
stdin (anonymous pipes, so a peer that dies early or never opens its end cannot deadlock the
other). Two interactor conventions:

- `testlib` (Codeforces, Polygon): `interactor <input> <tout>`; the exit code is the verdict
  (0 OK, 1 WA, 2 PE, 3 FAIL, 7 points). What it writes to `tout` is then judged by the task's
  checker (`checker <input> <tout> <answer>`), when the task has a checker program and answers.
- `kattis` (Kattis interactive output validators): `validator <input> <answer> <feedback_dir>`;
  exit 42 accepts, 43 rejects, and `judgemessage.txt` in the feedback folder says why.

The interactor is trusted: it runs as the judge's uid, reads the test input from a file only it
was handed (the solution's uid can neither open the box's I/O folder nor another uid's
`/proc/<pid>/fd`), and writes `tout` in its own scratch folder. It ignores SIGPIPE, so a
solution that exits early makes its writes fail instead of killing it.

The solution is charged its own CPU time only (its own cgroup). A test ends when both have
exited; each has a wall-clock guard, the interactor's the longer, so nothing hangs. The verdict
follows what happened first:
1. the solution's own limits and crashes: MLE, TLE (CPU, or the wall-clock guard while it was
   computing), RE, and IL (idleness: the wall-clock guard fired while it was asleep under its
   CPU limit and the interactor was waiting too, i.e. it never flushed, or waited for input that
   would never come);
2. unless the interactor had already finished and rejected the output: then WA (or PE), whatever
   became of the solution afterwards (it typically dies of SIGPIPE or reads end of file); a
   solution that only exits with an error code gets the rejection whichever ended first (see
   `_outcome`);
3. an interactor that fails (testlib FAIL, a crash, its own limits) while the solution is
   blameless is the task's fault, never the solution's: a TaskBroken error. So is an interactor
   that was computing, not waiting, while the solution waited for it (too slow).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..checkers.base import CheckerFailure, ProgramChecker, Verdict, conventions, first_line
from ..checkers.testlib import testlib_verdict
from ..grading.outcomes import Executed, classify, failed, from_verdict
from ..grading.results import TestStatus
from ..problems.model import Problem, ProblemFormatError, SourceFile, TestCase
from ..sandbox.protocol import TRUSTED, Collect, Limits, ProcessResult, ProcessSpec, RunRequest, Stream, user_slot, \
    wall_guard
from .base import USER_PIDS, SelfTest, TaskType, TestRun

KATTIS_ACCEPT, KATTIS_REJECT = 42, 43
INTERACTOR_FOLDER = "interactor"  # in a TPS-style task folder: the interactor's sources (never public)
INTERACTOR_SOURCES = ("interactor.cpp", "interactor.py")
INTERACTOR_GRACE = 2.0  # seconds the interactor may outlive the solution's wall-clock guard
# The solution waited while the interactor computed for at least this share of its waiting time:
# the interactor is too slow, not the solution idle.
BUSY_SHARE = 0.5


class InteractiveParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    protocol: Literal["testlib", "kattis"] = "testlib"
    interactor: SourceFile  # its main source (.cpp, or .py)
    support: tuple[SourceFile, ...] = ()  # headers it includes (its own testlib.h, Kattis' validate.h...)


_INTERACTOR = r"""
#include "testlib.h"
// Guess the hidden number in [1, n] with at most 10 questions "? x", answered "<", ">" or "=";
// then "! x".
int main(int argc, char *argv[]) {
    registerInteraction(argc, argv);
    int n = inf.readInt(), secret = inf.readInt();
    printf("%d\n", n);
    fflush(stdout);
    for (int asked = 0;; asked++) {
        std::string kind = ouf.readToken("[?!]");
        int x = ouf.readInt(1, n);
        if (kind == "!") {
            tout << x << std::endl;
            if (x != secret) quitf(_wa, "guessed %d, the number was %d", x, secret);
            quitf(_ok, "found %d in %d questions", x, asked);
        }
        if (asked == 10) quitf(_wa, "more than 10 questions");
        printf("%s\n", x < secret ? "<" : x > secret ? ">" : "=");
        fflush(stdout);
    }
}
"""
_CORRECT = """n = int(input())
low, high = 1, n
while low < high:
    middle = (low + high) // 2
    print("?", middle, flush=True)
    reply = input()
    if reply == "=":
        low = high = middle
    elif reply == "<":
        low = middle + 1
    else:
        high = middle - 1
print("!", low, flush=True)
"""


class Interactive(TaskType):
    name = "Interactive"
    summary = "the task's interactor (testlib or Kattis) talks to the solution over stdin/stdout; IL when it idles"
    Params = InteractiveParams
    batched = True
    needs_answers = False  # the interactor may judge from the input alone
    self_test = SelfTest(
        files={
            "problem.json": '{"code": "guess", "name": "Guess", "time_limit": 1, "memory_limit": 268435456,'
                            ' "task_type": "Interactive"}',
            "subtasks/01-all.json": '{"score": 100, "testcases": ["1", "2"]}',
            "tests/1.in": "100 37\n", "tests/2.in": "1000 1000\n",
            "interactor/interactor.cpp": _INTERACTOR,
        },
        solutions={
            "correct.py": ("python", _CORRECT, 100.0),
            "wrong.py": ("python", 'n = int(input())\nprint("!", 1, flush=True)\n', 0.0),
            "exit_early.py": ("python", "n = int(input())\n", 0.0),
        },
    )

    def read_cms_params(self, params: Mapping[str, Any], graders: Path, where: Path) -> InteractiveParams:
        """TPS-style folders keep the interactor in `interactor/` (interactor.cpp or .py, plus the
        headers it includes), next to graders/: it is private to the judge, never a public file."""
        from ..problems.tps import read_source  # noqa: PLC0415 - tps imports the plugins

        folder = graders.parent / INTERACTOR_FOLDER
        main = next((folder / name for name in INTERACTOR_SOURCES if (folder / name).is_file()), None)
        if main is None:
            raise ProblemFormatError(folder / INTERACTOR_SOURCES[0], "an Interactive task needs its interactor",
                                     "task_type")
        support = tuple(read_source(p) for p in sorted(folder.iterdir()) if p.is_file() and p != main
                        and p.suffix in (".h", ".hpp"))
        files = {self.cms_prefix + "interactor": read_source(main), self.cms_prefix + "support": support}
        return super().read_cms_params({**params, **files}, graders, where)

    def cms_params(self, params: InteractiveParams) -> dict[str, Any]:
        """The interactor travels as a file (interactor/), not as a key."""
        return {self.cms_prefix + "protocol": params.protocol}

    def trusted_sources(self, problem: Problem) -> dict[str, tuple[SourceFile, ...]]:
        params: InteractiveParams = problem.task_params
        return {"interactor": (params.interactor, *params.support)}

    # -- running -----------------------------------------------------------------------------------

    def evaluate(self, run: TestRun, tests: Sequence[TestCase]) -> list[Executed]:
        """Run `tests` in order in one round trip; stops after the first that did not pass cleanly."""
        box, limits = run.sandbox, run.limits
        params: InteractiveParams = run.problem.task_params
        interactor = run.trusted_argv("interactor")
        solution_wall = wall_guard(limits.time)
        interactor_limits = Limits(cpu=solution_wall, wall=solution_wall + INTERACTOR_GRACE,
                                   memory=max(limits.memory, 512 << 20), pids=8, fsize=limits.output)
        solution_limits = Limits(cpu=limits.time, wall=solution_wall, memory=limits.memory, pids=USER_PIDS,
                                 fsize=limits.output)
        logs = [(box.output(), box.output()) for _ in tests]  # (interactor's stderr, its tout / judge message)
        runs = []
        for test, (stderr, collected) in zip(tests, logs):
            files = [Stream(file=box.put(test.input))]
            if params.protocol == "testlib":
                argv, kept = [*interactor, "/proc/self/fd/3", "tout"], "tout"
            else:
                if test.answer is not None:
                    files.append(Stream(file=box.put(test.answer)))
                    answer = "/proc/self/fd/4"
                else:
                    answer = "/dev/null"
                argv, kept = [*interactor, "/proc/self/fd/3", answer, "."], "judgemessage.txt"
            request = RunRequest(
                pipes=["to_solution", "to_interactor"],
                processes=[
                    ProcessSpec(slot=TRUSTED, argv=argv, fds=files, ignore_sigpipe=True, limits=interactor_limits,
                                stdin=Stream(pipe="to_interactor", end="r"), stdout=Stream(pipe="to_solution", end="w"),
                                stderr=Stream(file=stderr.inside, write=True)),
                    ProcessSpec(slot=user_slot(0), argv=run.program.argv(run.program_path), limits=solution_limits,
                                stdin=Stream(pipe="to_solution", end="r"), stdout=Stream(pipe="to_interactor", end="w")),
                ],
                collect=[Collect(slot=TRUSTED, name=kept, dest=collected.inside, max_bytes=limits.output)],
            )
            runs.append(request.model_dump(exclude_none=True))
        try:
            response = box.run_many(runs)
            executed = []
            for test, (stderr, collected), ran in zip(tests, logs, response.results):
                interactor_result, solution = ran.processes
                executed.append(self._outcome(run, test, params.protocol, interactor_result, solution,
                                              stderr.read_bytes(4096), collected))
            return executed
        finally:
            for stderr, collected in logs:
                stderr.unlink()
                collected.unlink()

    def _outcome(self, run: TestRun, test: TestCase, protocol: str, interactor: ProcessResult,
                 solution: ProcessResult, interactor_stderr: bytes, collected) -> Executed:
        limits = run.limits
        time, wall, memory = solution.cpu, solution.wall, solution.memory
        own_failure = classify(solution, limits)
        if own_failure is not None and solution.wall_exceeded and solution.idle and not solution.cpu_exceeded \
                and solution.cpu <= limits.time and own_failure[0] is TestStatus.TLE:
            waited = solution.wall - solution.cpu
            if interactor.cpu >= BUSY_SHARE * waited:
                raise CheckerFailure(
                    f"the interactor is too slow: it computed for {interactor.cpu:.2f} s of the {waited:.2f} s the "
                    f"solution waited for it on test {test.name}")
            own_failure = (TestStatus.IL, "Idleness limit exceeded: it waited for input that never came "
                                          "(did it flush its output?)")
        interactor_ok = not (interactor.oom_killed or interactor.cpu_exceeded or interactor.wall_exceeded
                             or interactor.signal is not None or interactor.exec_error)
        interactor_first = interactor.wall < solution.wall or solution.signal == signal.SIGPIPE
        # Failed by its exit code alone (no signal, no limit), with the interactor ending cleanly: how
        # a solution takes the end of file a rejection leaves it (Python's EOFError, a failed scanf).
        # The walls cannot tell which ended first here: the solution reads end of file as soon as the
        # interactor's fds close, before the interactor has finished exiting, so it often ends first.
        # The interactor's verdict decides: WA if it rejected, else the solution's own RE below.
        exited_with_error = own_failure is not None and own_failure[0] is TestStatus.RE \
            and solution.signal is None and not (solution.violation or solution.exec_error or solution.output_exceeded)
        if own_failure is not None and not interactor_first and not (exited_with_error and interactor_ok):
            return Executed(result=failed(test.name, *own_failure, time, wall, memory))
        if not interactor_ok:
            limited = interactor.cpu_exceeded or interactor.wall_exceeded or interactor.oom_killed
            raise CheckerFailure(
                f"the interactor failed on test {test.name} (exit code {interactor.exit_code}, signal "
                f"{interactor.signal}{', out of its limits' if limited else ''}): "
                f"{first_line(interactor_stderr)[:300]!r}")
        verdict = self._interactor_verdict(protocol, interactor, interactor_stderr, collected)
        if verdict.outcome == 0.0:
            return Executed(result=from_verdict(test.name, verdict, time, wall, memory))
        if own_failure is not None:  # the interaction went well, but the solution did not end well
            return Executed(result=failed(test.name, *own_failure, time, wall, memory))
        checker = conventions.get(run.problem.checker.kind)
        if protocol == "testlib" and isinstance(checker, ProgramChecker) and test.answer is not None \
                and verdict.outcome >= 1.0:
            # The task's checker judges what the interactor wrote to tout.
            kept = os.path.join(run.work_dir, os.path.basename(collected.inside) + ".tout")
            if collected.exists():
                collected.take(kept)
            else:
                Path(kept).write_bytes(b"")
            return Executed(output=Path(kept), time=time, wall=wall, memory=memory)
        return Executed(result=from_verdict(test.name, verdict, time, wall, memory))

    @staticmethod
    def _interactor_verdict(protocol: str, interactor: ProcessResult, stderr: bytes, collected) -> Verdict:
        if protocol == "testlib":
            return testlib_verdict(interactor.exit_code, b"", stderr)  # CheckerFailure for FAIL
        message = first_line(collected.read_bytes(4096)) or first_line(stderr)
        if interactor.exit_code == KATTIS_ACCEPT:
            return Verdict(outcome=1.0, message=message or "Output is correct")
        if interactor.exit_code == KATTIS_REJECT:
            return Verdict(outcome=0.0, message=message or "Output isn't correct")
        raise CheckerFailure(f"the Kattis validator exited with {interactor.exit_code} (42 accepts, 43 rejects): "
                             f"{message[:300]!r}")
