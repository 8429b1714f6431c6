"""The two baselines ours is measured against, in the same run.

floor:  compile once with the same flags (and a precompiled header, as ours has), then run
        every test directly as a plain process (no sandbox), `parallel` at a time like our
        boxes, with the same early stop, judging outputs the same way. No grader can beat it
        by much.
anchor: huggingface/ioi's method (on Piston): for every test, a fresh `docker run` of the
        sandbox image that compiles the submission (no precompiled header, as on Piston) and
        runs that one test.
"""

from __future__ import annotations

import os
import resource
import select
import shutil
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..checkers import Comparison, conventions
from ..grading import scoring
from ..grading.results import TestResult, TestStatus
from ..languages import source_stem
from ..languages._gcc import CXX_LINK_FLAGS, cxx_flags
from ..problems.model import Problem
from .workloads import Job, Workload

GCH_GLOB = "/usr/include/x86_64-linux-gnu/c++/*/bits/stdc++.h.gch"


@dataclass
class Measure:
    mode: str
    wall: float = 0.0  # seconds, the whole workload
    cpu: float | None = None  # CPU seconds of every process involved (grader side included)
    solution_cpu: float = 0.0  # the submissions' own CPU time, summed over tests run
    tests: int = 0  # tests run
    compile: float = 0.0  # seconds spent compiling submissions (summed)
    scores: list[float] = field(default_factory=list)  # per job: modes must agree
    note: str = ""


@dataclass
class HostTask:
    """Task programs built once on the host for the floor (untimed, like ours' cache)."""

    directory: Path
    link_objects: list[Path]
    checker: Path | None
    pch_dir: Path


def prepare_host_task(problem: Problem, work: Path) -> HostTask:
    directory = work / "floor" / problem.id
    shutil.rmtree(directory, ignore_errors=True)
    (directory / "graders").mkdir(parents=True)
    for source in problem.graders:
        (directory / "graders" / source.name).write_text(source.content)
    flags = cxx_flags("gnu++17")
    link_objects = []
    if problem.compilation == "grader":
        subprocess.run(["g++", *flags, "-c", "-o", "grader.o", "grader.cpp"], cwd=directory / "graders", check=True)
        link_objects.append(directory / "graders" / "grader.o")
    checker = None
    if conventions.get(problem.checker.kind).needs_program:
        (directory / "checker").mkdir()
        (directory / "checker" / "checker.cpp").write_text(problem.checker.source.content)
        for support in problem.checker.support:
            (directory / "checker" / support.name).write_text(support.content)
        testlib = Path(__file__).resolve().parents[1] / "sandbox" / "image"
        subprocess.run(["g++", *flags, "-I", str(testlib), "-o", "checker", "checker.cpp"],
                       cwd=directory / "checker", check=True)
        checker = directory / "checker" / "checker"
    # The same precompiled <bits/stdc++.h> ours has, found first on the include path.
    pch_dir = directory / "pch"
    (pch_dir / "bits").mkdir(parents=True)
    system_header = next(Path("/usr/include/x86_64-linux-gnu/c++").glob("*/bits/stdc++.h"))
    shutil.copy(system_header, pch_dir / "bits" / "stdc++.h")
    subprocess.run(["g++", *flags, "-x", "c++-header", str(pch_dir / "bits" / "stdc++.h"),
                    "-o", str(pch_dir / "bits" / "stdc++.h.gch")], check=True)
    return HostTask(directory, link_objects, checker, pch_dir)


def judge(problem: Problem, task: HostTask | None, test_name: str, output: bytes, output_path: Path) -> float:
    """The same convention plugin ours uses, with the checker program run as a plain process."""
    test = problem.tests[test_name]
    convention = conventions.get(problem.checker.kind)
    if isinstance(convention, Comparison):
        return convention.compare(output, test.answer.read_bytes(), problem.checker.flags).outcome
    args = convention.argv(str(test.input), str(test.answer), str(output_path))
    done = subprocess.run([str(task.checker), *args], capture_output=True, timeout=60)
    return convention.parse(done.returncode, done.stdout, done.stderr).outcome


def run_tests(problem: Problem, job: Job, parallel: int, run_one) -> tuple[dict[str, TestResult], float]:
    """Run a job's tests `parallel` at a time with the grader's early stop; `run_one(name)`
    returns (outcome, cpu seconds, status)."""
    subtasks = [s for s in problem.subtasks if not job.options.subtasks or s.name in job.options.subtasks]
    names = problem.unique_tests(subtasks)
    zeroed: set[str] = set()
    lock = threading.Lock()
    results: dict[str, TestResult] = {}

    def one(name: str) -> None:
        if job.options.early_stop:
            with lock:
                if scoring.skippable(name, subtasks, zeroed):
                    results[name] = TestResult(name=name, status=TestStatus.SKIPPED, score=0.0)
                    return
        outcome, cpu, status = run_one(name)
        with lock:
            results[name] = TestResult(name=name, status=status, score=outcome, time=cpu)
            if outcome == 0:
                zeroed.update(s.name for s in subtasks if name in s.tests)

    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, names))
    scored = scoring.score_subtasks(subtasks, results, problem.score_precision)
    return results, scoring.total_score(scored, problem.score_precision)


def _run_limited(argv: list[str], stdin: Path, stdout: Path, cwd: Path, time_limit: float):
    """Start a plain process as cheaply as Python can (posix_spawn: no copy of this process),
    kill it at the time limit (these solutions are single-threaded and CPU-bound, so wall time
    is CPU time), and return (exit status, CPU seconds) from wait4."""
    source = os.open(stdin, os.O_RDONLY | os.O_CLOEXEC)
    sink = os.open(stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        pid = os.posix_spawn(argv[0], argv, {"PATH": "/usr/bin:/bin"},
                             file_actions=[(os.POSIX_SPAWN_DUP2, source, 0), (os.POSIX_SPAWN_DUP2, sink, 1),
                                           (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)])
    finally:
        os.close(source)
        os.close(sink)
    pidfd = os.pidfd_open(pid)
    try:
        if not select.select([pidfd], [], [], time_limit)[0]:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(pidfd)
    _, status, usage = os.wait4(pid, 0)
    return status, usage.ru_utime + usage.ru_stime


def floor(workload: Workload, task: HostTask, parallel: int, work: Path) -> Measure:
    problem = workload.problem
    measure = Measure("floor")
    # Unlimited stack like the sandbox, inherited by every test process spawned below.
    resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.getrlimit(resource.RLIMIT_STACK)[1]))
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for index, job in enumerate(workload.jobs):
        directory = work / "floor-jobs" / f"{workload.name}-{index}"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        stem = source_stem(problem.id)
        if job.language == "python":
            (directory / "solution.py").write_text(job.code)
            argv = [shutil.which("python3"), str(directory / "solution.py")]
        else:
            (directory / f"{stem}.cpp").write_text(job.code)
            compile_start = time.monotonic()
            built = subprocess.run(
                ["g++", "-I", str(task.pch_dir), "-I", str(task.directory / "graders"), *cxx_flags("gnu++17"),
                 *CXX_LINK_FLAGS, "-o", stem, *map(str, task.link_objects), f"{stem}.cpp"],
                cwd=directory, capture_output=True)
            measure.compile += time.monotonic() - compile_start
            if built.returncode != 0:
                measure.scores.append(0.0)
                continue
            argv = [str(directory / stem)]

        def run_one(name: str):
            output = directory / f"{name.replace('/', '_')}.out"
            status, cpu = _run_limited(argv, problem.tests[name].input, output, directory, problem.time_limit)
            if cpu > problem.time_limit:
                return 0.0, cpu, TestStatus.TLE
            if status != 0:
                return 0.0, cpu, TestStatus.RE
            outcome = judge(problem, task, name, output.read_bytes(), output)
            return outcome, cpu, TestStatus.from_outcome(outcome)

        results, score = run_tests(problem, job, parallel, run_one)
        measure.scores.append(score)
        run = [r for r in results.values() if r.status is not TestStatus.SKIPPED]
        measure.tests += len(run)
        measure.solution_cpu += sum(r.time for r in run)
    measure.wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    measure.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return measure


def anchor(workload: Workload, image: str, parallel: int, work: Path, max_tests: int | None = None) -> Measure:
    """A fresh container per test, compiling every time. With `max_tests`, each job runs only
    its first tests and the wall time is extrapolated to all of them (said in `note`)."""
    problem = workload.problem
    measure = Measure("anchor")
    total_tests = sampled_tests = 0
    started = time.monotonic()
    stem = source_stem(problem.id)
    sources = [f"/w/{stem}.cpp"]
    if problem.compilation == "grader":
        sources.insert(0, "/w/grader.cpp")
    compile_cmd = " ".join(["g++", *cxx_flags("gnu++17"), *CXX_LINK_FLAGS, "-I/w", "-o", "/tmp/prog", *sources])
    task = None
    if conventions.get(problem.checker.kind).needs_program:
        task = prepare_host_task(problem, work / "anchor-task")
    for index, job in enumerate(workload.jobs):
        directory = work / "anchor-jobs" / f"{workload.name}-{index}"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        (directory / f"{stem}.cpp").write_text(job.code)
        for source in problem.graders:
            (directory / source.name).write_text(source.content)
        subtasks = [s for s in problem.subtasks if not job.options.subtasks or s.name in job.options.subtasks]
        names = problem.unique_tests(subtasks)
        chosen = set(names[:max_tests] if max_tests else names)
        total_tests += len(names)
        sampled_tests += len(chosen)

        def run_one(name: str):
            if name not in chosen:
                return 1.0, 0.0, TestStatus.AC  # not sampled: assumed to pass, never run
            case = directory / f"case-{name.replace('/', '_')}"
            case.mkdir()
            shutil.copy(problem.tests[name].input, case / "input")
            script = (f"rm -rf {GCH_GLOB}; {compile_cmd} 2>/dev/null || exit 90; "
                      f"timeout -s KILL {problem.time_limit} /tmp/prog < /w/case/input > /w/case/output")
            done = subprocess.run(
                ["docker", "run", "--rm", "--network", "none", "-v", f"{directory}:/w", "-v", f"{case}:/w/case",
                 "--entrypoint", "sh", image, "-c", script], capture_output=True)
            if done.returncode == 90:
                return 0.0, 0.0, TestStatus.CE
            if done.returncode != 0:
                return 0.0, 0.0, TestStatus.TLE if done.returncode == 137 else TestStatus.RE
            outcome = judge(problem, task, name, (case / "output").read_bytes(), case / "output")
            return outcome, 0.0, TestStatus.from_outcome(outcome)

        results, score = run_tests(problem, job, parallel, run_one)
        measure.scores.append(score)
        measure.tests += sum(1 for n, r in results.items() if n in chosen and r.status is not TestStatus.SKIPPED)
    measure.wall = time.monotonic() - started
    if sampled_tests < total_tests:
        measure.note = f"wall extrapolated from {sampled_tests} of {total_tests} tests"
        measure.wall *= total_tests / sampled_tests
        measure.scores = []  # not comparable: unsampled tests were assumed to pass
    return measure


def container_compile_seconds(image: str, problem: Problem, code: str, work: Path, pch: bool, runs: int = 3) -> float:
    """Median time of g++ alone inside the image, with or without the precompiled header."""
    directory = work / f"compile-{'pch' if pch else 'plain'}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    stem = source_stem(problem.id)
    (directory / f"{stem}.cpp").write_text(code)
    for source in problem.graders:
        (directory / source.name).write_text(source.content)
    # As ours does: the grader object is built once per task, only the submission compiles here.
    prepare = " ".join(["g++", *cxx_flags("gnu++17"), "-c", "-o", "/tmp/grader.o", "/w/grader.cpp"])
    link = ["/tmp/grader.o"] if problem.compilation == "grader" else []
    compile_cmd = " ".join(["g++", *cxx_flags("gnu++17"), *CXX_LINK_FLAGS, "-I/w", "-o", "/tmp/prog", *link,
                            f"/w/{stem}.cpp"])
    script = (("" if pch else f"rm -rf {GCH_GLOB}; ") + (prepare + "; " if link else "")
              + f"s=$(date +%s.%N); {compile_cmd}; e=$(date +%s.%N); echo $s $e")
    times = []
    for _ in range(runs):
        done = subprocess.run(["docker", "run", "--rm", "--network", "none", "-v", f"{directory}:/w:ro",
                               "--entrypoint", "sh", image, "-c", script], capture_output=True, text=True, check=True)
        start, end = map(float, done.stdout.split()[-2:])
        times.append(end - start)
    return sorted(times)[len(times) // 2]
