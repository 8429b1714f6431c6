"""The two baselines ours is measured against, in the same run.

floor:  compile once with the same flags (and a precompiled header, as ours has), then run
        every test directly as a plain process (no sandbox), `parallel` at a time like our
        boxes, with the same early stop, judging outputs the same way (a checker program,
        C++ or Python, as a plain process per test). No grader can beat it by much.
anchor: huggingface/ioi's and open-r1's method (on Piston): for every test, a fresh `docker run`
        of the sandbox image that compiles the submission (no precompiled header, as on
        Piston) or starts the Python one, and runs that one test; then the checker, once per
        test (for a Python checker, a fresh python3 process).
"""

from __future__ import annotations

import json
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
from ..grading.board import RunSpan, TestBoard
from ..grading.grader import schedule_tests
from ..grading.results import CompileResult, CompileStatus, GradeResult, TestResult, TestStatus
from ..languages import language_for_file, languages, source_stem
from ..languages._gcc import CMS_LINK_FLAGS, CXX_LINK_FLAGS, cxx_flags
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
    wasted_cpu: float | None = 0.0  # solution CPU spent after its test stopped mattering (None: unknown)
    core_busy: list[float] | None = None  # per CPU, busy fraction of the machine over the run
    note: str = ""

    @property
    def wasted_cpu_fraction(self) -> float | None:
        if self.wasted_cpu is None:
            return None
        return round(self.wasted_cpu / self.solution_cpu, 4) if self.solution_cpu else 0.0


def merged(runs: list[Measure], mode: str, note: str = "") -> Measure:
    """The measures of consecutive parts of one workload (its jobs, in order) as one."""
    total = Measure(mode, cpu=0.0, note=note)
    for run in runs:
        total.wall += run.wall
        total.cpu = None if total.cpu is None or run.cpu is None else total.cpu + run.cpu
        total.solution_cpu += run.solution_cpu
        total.tests += run.tests
        total.compile += run.compile
        total.scores += run.scores
        total.wasted_cpu = None if total.wasted_cpu is None or run.wasted_cpu is None else total.wasted_cpu + run.wasted_cpu
    return total


@dataclass
class HostTask:
    """Task programs built once on the host for the floor (untimed, like ours' cache)."""

    directory: Path
    link_objects: list[Path]
    checker: Path | None
    pch_dir: Path
    checker_prefix: tuple[str, ...] = ()  # what starts the checker (the interpreter of a Python one)


def prepare_host_task(problem: Problem, work: Path) -> HostTask:
    directory = work / "floor" / problem.id
    shutil.rmtree(directory, ignore_errors=True)
    (directory / "graders").mkdir(parents=True)
    for source in problem.graders:
        (directory / "graders" / source.name).write_text(source.content)
    flags = cxx_flags("gnu++17", problem.compile_defines)
    link_objects = []
    if problem.compilation == "grader":
        subprocess.run(["g++", *flags, "-c", "-o", "grader.o", "grader.cpp"], cwd=directory / "graders", check=True)
        link_objects.append(directory / "graders" / "grader.o")
    checker, checker_prefix = None, ()
    convention = conventions.get(problem.checker.kind)
    if convention.needs_program:
        (directory / "checker").mkdir()
        (directory / "checker" / convention.source_name).write_text(problem.checker.source.content)
        for support in problem.checker.support:
            (directory / "checker" / support.name).write_text(support.content)
        if convention.source_name.endswith(".py"):  # open-r1's: run by the interpreter ours runs it with
            checker = directory / "checker" / convention.source_name
            checker_prefix = tuple(language_for_file(convention.source_name).run_argv("")[:-1])
        else:  # C++: built once here, as ours builds it once per task
            testlib = Path(__file__).resolve().parents[1] / "sandbox" / "image"
            subprocess.run(["g++", *flags, "-I", str(testlib), "-o", "checker", convention.source_name],
                           cwd=directory / "checker", check=True)
            checker = directory / "checker" / "checker"
    # The same precompiled <bits/stdc++.h> ours has, found first on the include path.
    pch_dir = directory / "pch"
    (pch_dir / "bits").mkdir(parents=True)
    system_header = next(Path("/usr/include/x86_64-linux-gnu/c++").glob("*/bits/stdc++.h"))
    shutil.copy(system_header, pch_dir / "bits" / "stdc++.h")
    subprocess.run(["g++", *flags, "-x", "c++-header", str(pch_dir / "bits" / "stdc++.h"),
                    "-o", str(pch_dir / "bits" / "stdc++.h.gch")], check=True)
    return HostTask(directory, link_objects, checker, pch_dir, checker_prefix)


def judge(problem: Problem, task: HostTask | None, test_name: str, output: bytes, output_path: Path) -> float:
    """The same convention plugin ours uses, with the checker program run as a plain process."""
    test = problem.tests[test_name]
    convention = conventions.get(problem.checker.kind)
    if isinstance(convention, Comparison):
        return convention.compare(output, test.answer.read_bytes(), problem.checker.flags).outcome
    paths, cwd = (test.input, test.answer, output_path), None
    if convention.file_names is not None:
        # A checker that opens fixed names (open-r1's) gets the three files copied under them,
        # in a folder of its own, as ours stages them.
        cwd = output_path.parent / f"{output_path.name}.judge"
        cwd.mkdir(exist_ok=True)
        for source, name in zip(paths, convention.file_names):
            shutil.copyfile(source, cwd / name)
        paths = convention.file_names
    args = convention.argv(*map(str, paths))
    done = subprocess.run([*task.checker_prefix, str(task.checker), *args], capture_output=True, timeout=60, cwd=cwd)
    return convention.parse(done.returncode, done.stdout, done.stderr).outcome


class Running:
    """The process a floor thread is running now, so that another thread can cancel it."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.pidfd = -1  # signalled through its pidfd: never a recycled pid
        self.cancelled = False
        self._lock = threading.Lock()

    def begin(self, name: str, pidfd: int) -> None:
        with self._lock:
            self.name, self.pidfd, self.cancelled = name, pidfd, False

    def end(self) -> None:
        with self._lock:
            self.name, self.pidfd = None, -1

    def cancel(self, names: list[str]) -> None:
        with self._lock:
            if self.name in names and self.pidfd >= 0:
                self.cancelled = True
                try:
                    signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
                except ProcessLookupError:
                    pass  # it has exited already


def job_subtasks(problem: Problem, job: Job):
    return [s for s in problem.subtasks if not job.options.subtasks or s.name in job.options.subtasks]


def graded(problem: Problem, job: Job, results: dict[str, TestResult], compiled: bool = True) -> GradeResult:
    """A job's result in ours' shape, so that a workload scores (or rewards) it the same way."""
    subtasks = job_subtasks(problem, job)
    scored = scoring.score_subtasks(subtasks, results, problem.score_precision)
    return GradeResult(problem_id=problem.id, language=job.language,
                       score=scoring.total_score(scored, problem.score_precision),
                       max_score=sum(s.points for s in subtasks),
                       compile=CompileResult(status=CompileStatus.OK if compiled else CompileStatus.CE),
                       subtasks=scored)


def run_tests(problem: Problem, job: Job, parallel: int, run_one, order: str = "size"):
    """Run a job's tests `parallel` at a time with the grader's policy: the same order, early
    stop, and the cancellation of a running test once no undecided subtask needs it (the same
    `TestBoard`). `run_one(name, running)` returns (outcome, cpu seconds, wall seconds, status);
    it registers its process in `running`. Returns (results, the job's GradeResult, stats)."""
    subtasks = job_subtasks(problem, job)
    board = TestBoard(schedule_tests(problem, subtasks, order), subtasks, job.options.early_stop,
                      stop_on_failure=job.options.stop_on_first_failure)
    runners: dict[int, Running] = {}

    def loop(index: int) -> None:
        running = runners[index]
        while taken := board.take(1):
            names = board.start(index, taken)
            if not names:
                continue
            outcome, cpu, wall, status = run_one(names[0], running)
            cancelled = running.cancelled
            board.leave(index)
            span = [RunSpan(names[0], cpu, wall, time.monotonic())]
            if cancelled:
                doomed = board.finish(names, [], span, cancelled=names)
            else:
                result = TestResult(name=names[0], status=status, score=outcome, time=cpu, wall=wall)
                doomed = board.finish(names, [result], span)
            for target, moot in doomed:
                runners[target].cancel(moot)

    for index in range(parallel):
        runners[index] = Running()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(loop, range(parallel)))
    results = board.ordered_results()
    return results, graded(problem, job, results), board.stats()


def _cpu_clock(pid: int) -> int:
    """The CPU-time clock of another process (clock_getcpuclockid, which Python lacks)."""
    return ((~pid) << 3) | 2


def _run_limited(argv: list[str], stdin: Path, stdout: Path, cwd: Path, time_limit: float, running: Running,
                 name: str):
    """Start a plain process as cheaply as Python can (posix_spawn: no copy of this process),
    kill it once it has used `time_limit` of CPU (the limit is CPU time, as ours: under load a
    wall-clock limit would cut slow tests short) or 2 x limit + 1 s of wall time, and return
    (exit status, CPU seconds, wall seconds) from wait4."""
    source = os.open(stdin, os.O_RDONLY | os.O_CLOEXEC)
    sink = os.open(stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    started = time.monotonic()
    try:
        pid = os.posix_spawn(argv[0], argv, {"PATH": "/usr/bin:/bin"},
                             file_actions=[(os.POSIX_SPAWN_DUP2, source, 0), (os.POSIX_SPAWN_DUP2, sink, 1),
                                           (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)])
    finally:
        os.close(source)
        os.close(sink)
    pidfd = os.pidfd_open(pid)
    running.begin(name, pidfd)
    try:
        while not select.select([pidfd], [], [], 0)[0]:
            try:
                used = time.clock_gettime(_cpu_clock(pid))
            except OSError:
                used = 0.0
            left = time_limit - used
            if left <= 0 or time.monotonic() - started > 2 * time_limit + 1:
                os.kill(pid, signal.SIGKILL)
                break
            # The process cannot burn CPU faster than wall time passes: sleep until then.
            select.select([pidfd], [], [], max(left, 0.002))
        _, status, usage = os.wait4(pid, 0)
    finally:
        running.end()
        os.close(pidfd)
    return status, usage.ru_utime + usage.ru_stime, time.monotonic() - started


_host_tasks: dict[tuple[str, Path], HostTask] = {}


def host_task(problem: Problem, work: Path) -> HostTask:
    """`prepare_host_task`, once per problem and work folder (a measurement may call the floor
    many times: once per job when it is interleaved with ours)."""
    key = (problem.id, work)
    if key not in _host_tasks:
        _host_tasks[key] = prepare_host_task(problem, work)
    return _host_tasks[key]


def floor(workload: Workload, parallel: int, work: Path, jobs_at_once: int = 1, order: str = "size") -> Measure:
    """The jobs graded by plain processes: `jobs_at_once` jobs side by side, each compiling and
    then running its tests `parallel` at a time. Task programs are built first, untimed."""
    tasks = {problem.id: host_task(problem, work) for problem in workload.problems}
    measure = Measure("floor")
    # Unlimited stack like the sandbox, inherited by every test process spawned below.
    resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.getrlimit(resource.RLIMIT_STACK)[1]))
    lock = threading.Lock()
    scores: dict[int, float | None] = {}
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)

    def grade(index: int) -> None:
        job = workload.jobs[index]
        problem = workload.problem_of(job)
        task = tasks[problem.id]
        directory = work / "floor-jobs" / f"{workload.name}-{index}"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        stem = source_stem(problem.id)
        compiled = 0.0
        if job.language == "python":
            (directory / "solution.py").write_text(job.code)
            # The interpreter (and flags) ours runs, not whatever `python3` is first on PATH:
            # a pyenv shim there costs ~0.1 s per start, which no grader has to pay.
            argv = languages.get(job.language).run_argv(str(directory / "solution.py"))
            check = subprocess.run([argv[0], "-m", "py_compile", str(directory / "solution.py")], capture_output=True)
            if check.returncode != 0:
                with lock:
                    scores[index] = workload.score_of(graded(problem, job, {}, compiled=False))
                return
        else:
            (directory / f"{stem}.cpp").write_text(job.code)
            compile_start = time.monotonic()
            built = subprocess.run(
                ["g++", "-I", str(task.pch_dir), "-I", str(task.directory / "graders"),
                 *cxx_flags("gnu++17", problem.compile_defines), *CXX_LINK_FLAGS, "-o", stem,
                 *map(str, task.link_objects), f"{stem}.cpp"],
                cwd=directory, capture_output=True)
            compiled = time.monotonic() - compile_start
            if built.returncode != 0:
                with lock:
                    scores[index] = workload.score_of(graded(problem, job, {}, compiled=False))
                    measure.compile += compiled
                return
            argv = [str(directory / stem)]
        time_limit = job.options.time_limit or problem.time_limit

        def run_one(name: str, running: Running):
            output = directory / f"{name.replace('/', '_')}.out"
            status, cpu, wall = _run_limited(argv, problem.tests[name].input, output, directory, time_limit,
                                             running, name)
            if cpu > time_limit:
                return 0.0, cpu, wall, TestStatus.TLE
            if status != 0:
                return 0.0, cpu, wall, TestStatus.RE
            outcome = judge(problem, task, name, output.read_bytes(), output)
            return outcome, cpu, wall, TestStatus.from_outcome(outcome)

        _, result, stats = run_tests(problem, job, parallel, run_one, order)
        with lock:
            scores[index] = workload.score_of(result)
            measure.compile += compiled
            measure.tests += stats.tests_run
            measure.solution_cpu += stats.solution_cpu
            measure.wasted_cpu += stats.wasted_cpu

    with ThreadPoolExecutor(jobs_at_once) as pool:
        list(pool.map(grade, range(len(workload.jobs))))
    measure.scores = [scores[i] for i in range(len(workload.jobs))]
    measure.wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    measure.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return measure


def anchor(workload: Workload, image: str, parallel: int, work: Path, max_tests: int | None = None) -> Measure:
    """A fresh container per test, compiling (C++) or syntax-checking (Python) every time, then
    the checker once per test. With `max_tests`, each job runs only its first tests and the
    wall time is extrapolated to all of them (said in `note`)."""
    measure = Measure("anchor", wasted_cpu=None)
    total_tests = sampled_tests = 0
    started = time.monotonic()
    tasks = {problem.id: prepare_host_task(problem, work / "anchor-task") for problem in workload.problems
             if conventions.get(problem.checker.kind).needs_program}
    for index, job in enumerate(workload.jobs):
        problem = workload.problem_of(job)
        directory = work / "anchor-jobs" / f"{workload.name}-{index}"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        if job.language == "python":
            (directory / "solution.py").write_text(job.code)
            # The Python syntax check is ours' compile step: a syntax error is a CE, as for ours.
            build = "python3 -m py_compile /w/solution.py 2>/dev/null || exit 90"
            program = "python3 /w/solution.py"
        else:
            stem = source_stem(problem.id)
            (directory / f"{stem}.cpp").write_text(job.code)
            sources = [f"/w/{stem}.cpp"]
            if problem.compilation == "grader":
                sources.insert(0, "/w/grader.cpp")
            build = " ".join(["rm -rf", GCH_GLOB, ";", "g++", *cxx_flags("gnu++17", problem.compile_defines),
                              *CMS_LINK_FLAGS, "-I/w", "-o", "/tmp/prog", *sources, "2>/dev/null || exit 90"])
            program = "/tmp/prog"
        for source in problem.graders:
            (directory / source.name).write_text(source.content)
        names = problem.unique_tests(job_subtasks(problem, job))
        chosen = set(names[:max_tests] if max_tests else names)
        total_tests += len(names)
        sampled_tests += len(chosen)

        def run_one(name: str, _running: Running):
            # `_running` is never registered: a `docker run` is not cancelled, as on Piston.
            if name not in chosen:
                return 1.0, 0.0, 0.0, TestStatus.AC  # not sampled: assumed to pass, never run
            case = directory / f"case-{name.replace('/', '_')}"
            case.mkdir()
            shutil.copy(problem.tests[name].input, case / "input")
            script = f"{build}; timeout -s KILL {problem.time_limit} {program} < /w/case/input > /w/case/output"
            done = subprocess.run(
                ["docker", "run", "--rm", "--network", "none", "-v", f"{directory}:/w", "-v", f"{case}:/w/case",
                 "--entrypoint", "sh", image, "-c", script], capture_output=True)
            if done.returncode == 90:
                return 0.0, 0.0, 0.0, TestStatus.CE
            if done.returncode != 0:
                return 0.0, 0.0, 0.0, TestStatus.TLE if done.returncode == 137 else TestStatus.RE
            outcome = judge(problem, tasks.get(problem.id), name, (case / "output").read_bytes(), case / "output")
            return outcome, 0.0, 0.0, TestStatus.from_outcome(outcome)

        results, result, _ = run_tests(problem, job, parallel, run_one, order="task")
        if any(r.status is TestStatus.CE for r in results.values()):
            result = graded(problem, job, {}, compiled=False)  # open-r1: any test's compile error decides
        measure.scores.append(workload.score_of(result))
        measure.tests += sum(1 for n, r in results.items() if n in chosen and r.status is not TestStatus.SKIPPED)
    measure.wall = time.monotonic() - started
    if sampled_tests < total_tests:
        measure.note = f"wall extrapolated from {sampled_tests} of {total_tests} tests"
        measure.wall *= total_tests / sampled_tests
        measure.scores = []  # not comparable: unsampled tests were assumed to pass
    return measure


def container_compile_seconds(image: str, problem: Problem, code: str, work: Path, pch: bool, runs: int = 3,
                              link_flags: tuple[str, ...] = CXX_LINK_FLAGS) -> float:
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
    compile_cmd = " ".join(["g++", *cxx_flags("gnu++17"), *link_flags, "-I/w", "-o", "/tmp/prog", *link,
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


STAGES_SCRIPT = r"""
import json, resource, statistics, subprocess, sys, time
flags, link_obj, source = sys.argv[1], sys.argv[2], sys.argv[3]
def measure(command, runs=5):
    walls, cpus = [], []
    for _ in range(runs):
        before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        subprocess.run(command, shell=True, check=True, cwd="/tmp", stdout=subprocess.DEVNULL)
        ended, after = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
        walls.append(ended - started)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {"wall": round(statistics.median(walls), 4), "cpu": round(statistics.median(cpus), 4)}
stages = {
    "preprocess, no header cache (-E)": f"g++ {flags.replace('-pipe', '')} -E -o /dev/null {source}",
    "cc1plus with the precompiled header (-S)": f"g++ {flags} -S -o sub.s {source}",
    "as": "as -o sub.o sub.s",
    "static link, BFD ld": f"g++ -static -s -o prog {link_obj} sub.o",
    "static link, gold": f"g++ -static -s -fuse-ld=gold -o prog {link_obj} sub.o",
    "whole compile, BFD ld": f"g++ {flags} -static -s -o prog {link_obj} {source}",
    "whole compile, gold": f"g++ {flags} -static -s -fuse-ld=gold -o prog {link_obj} {source}",
}
print(json.dumps({name: measure(command) for name, command in stages.items()}))
"""


def compile_stages(image: str, problem: Problem, code: str, work: Path) -> dict[str, dict[str, float]]:
    """Where a submission's compile goes, stage by stage, inside the image: median wall and CPU
    seconds (CPU is the figure to trust on a loaded machine)."""
    directory = work / "compile-stages"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    stem = source_stem(problem.id)
    (directory / f"{stem}.cpp").write_text(code)
    for source in problem.graders:
        (directory / source.name).write_text(source.content)
    (directory / "stages.py").write_text(STAGES_SCRIPT)
    flags = " ".join([*cxx_flags("gnu++17"), "-I/w"])
    link = "/tmp/grader.o" if problem.compilation == "grader" else ""
    prepare = f"g++ {' '.join(cxx_flags('gnu++17'))} -c -o /tmp/grader.o /w/grader.cpp; " if link else ""
    done = subprocess.run(["docker", "run", "--rm", "--network", "none", "-v", f"{directory}:/w:ro",
                           "--entrypoint", "sh", image, "-c",
                           f"{prepare}python3 /w/stages.py '{flags}' '{link}' /w/{stem}.cpp"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])
