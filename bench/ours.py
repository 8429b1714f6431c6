"""Ours, measured two ways: the core (`Grader`, what `ioi-grader grade` runs) and the service
(HTTP -> Redis/RQ -> workers) started with `ioi-grader serve`."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time
from pathlib import Path

import httpx

from ..client import AsyncClient
from ..grading.board import GradeStats
from ..grading.grader import GradeHooks, Grader
from ..grading.results import GradeResult, TestStatus
from ..grading.submission import Submission
from ..languages import languages
from ..sandbox.pool import BOX_PREFIX
from .serve_process import ServeProcess
from .baselines import Measure
from .workloads import Workload

CPUACCT = Path("/sys/fs/cgroup/cpuacct/ioi-grader")


def boxes_cpu_by_name(prefixes: list[str]) -> dict[str, float]:
    """CPU seconds used so far by each of our sandbox boxes (supervisor and tests): those whose
    names start with one of `prefixes` (other workers' boxes on this host share the parent cgroup)."""
    found = {}
    try:
        entries = list(CPUACCT.iterdir())
    except OSError:
        return found
    for entry in entries:
        if entry.name.startswith(tuple(prefixes)):
            try:
                found[entry.name] = int((entry / "cpuacct.usage").read_text()) / 1e9
            except OSError:
                pass
    return found


class BoxCpuMeter:
    """The CPU our boxes use between `start` and `stop`, boxes created and destroyed meanwhile
    included: a box's cgroup goes with its container (the pool recycles boxes), so each box is
    sampled every `interval` and counted up to its last sample (a retired box is idle by then)."""

    def __init__(self, prefixes: list[str], interval: float = 0.25):
        self.prefixes, self.interval = prefixes, interval
        self._baseline: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def _sample(self) -> None:
        self._last.update(boxes_cpu_by_name(self.prefixes))

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def start(self) -> BoxCpuMeter:
        self._baseline = boxes_cpu_by_name(self.prefixes)
        self._last = dict(self._baseline)
        self._thread.start()
        return self

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self._sample()
        return sum(used - self._baseline.get(name, 0.0) for name, used in self._last.items())


def process_cpu(pids: list[int]) -> float:
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError):
            pass
    return total


def _tally(measure: Measure, workload: Workload, results: list[GradeResult]) -> None:
    for result in results:
        measure.scores.append(workload.score_of(result))
        run = [t for t in result.tests.values() if t.status not in (TestStatus.SKIPPED, TestStatus.CE)]
        measure.tests += len(run)
        measure.solution_cpu += sum(t.time for t in run)  # as ours measured it (cgroup)
        measure.compile += result.compile.time


def core(workload: Workload, grader: Grader, mode: str = "ours (core)") -> Measure:
    """The jobs back to back through the grader, after one untimed warm-up that builds the
    task's programs (they are cached per task, as in production)."""
    for job in workload.jobs:
        grader.programs.programs(workload.problem_of(job), languages.get(job.language))
    measure = Measure(mode)
    stats = GradeStats()
    hooks = GradeHooks(on_finish=stats.add)
    prefixes = [grader.pool.box_prefix]
    meter, self_before = BoxCpuMeter(prefixes).start(), os.times()
    started = time.monotonic()
    results = [grader.grade(workload.problem_of(j), Submission(language=j.language, code=j.code), j.options, hooks)
               for j in workload.jobs]
    measure.wall = time.monotonic() - started
    self_after = os.times()
    measure.cpu = meter.stop() + (self_after.user - self_before.user) + (self_after.system - self_before.system)
    _tally(measure, workload, results)
    measure.solution_cpu, measure.wasted_cpu = stats.solution_cpu, stats.wasted_cpu  # cancelled tests included
    return measure


def compile_seconds(grader: Grader, problem, code: str, runs: int = 3) -> float:
    """Median wall time of a submission's compilation through our sandbox (task objects cached)."""
    times = sorted(grader.compile(problem, Submission(code=code)).time for _ in range(runs))
    return times[len(times) // 2]


async def _through_service(service: ServeProcess, workload: Workload) -> tuple[list[GradeResult], list | None]:
    """The jobs' results, and the rewards the endpoint returned (None: not a rewarded workload)."""
    rewards = None
    async with AsyncClient(service.url, timeout=600, max_connections=200) as client:
        if workload.rewarded:
            items = [{"problem_id": workload.problem_of(job).id, "completion": job.completion,
                      "language": job.language} for job in workload.jobs]
            if workload.codeforces_mode is None:
                mode = "subtask"
                for item, job in zip(items, workload.jobs):
                    item["subtask"] = job.options.subtasks[0]
            else:  # as make_cf_reward sends a batch: no subtask, every test counts
                mode = workload.codeforces_mode.value
            response = await client.reward(items, mode=mode, timeout=3600)
            rewards = response.rewards
            views = await asyncio.gather(*(client.submission(d.submission_id) for d in response.details))
        else:
            ids = await asyncio.gather(*(client.submit(workload.problem_of(j).id, j.code, j.language, j.options)
                                         for j in workload.jobs))
            views = await asyncio.gather(*(client.wait(i, timeout=3600) for i in ids))
    for view in views:
        if view.result is None:
            raise RuntimeError(f"service failed a benchmark submission: {view.state} {view.error}")
    return [view.result for view in views], rewards


def service(workload: Workload, running: ServeProcess) -> Measure:
    """The same jobs through HTTP -> Redis/RQ -> workers; the workload's first job is sent once
    beforehand (untimed) so that the task's programs are already built."""
    first = {}
    for job in workload.jobs:
        first.setdefault((workload.problem_of(job).id, job.language), job)
    warm = dataclasses.replace(workload, description="", jobs=list(first.values()))
    asyncio.run(_through_service(running, warm))
    measure = Measure(f"ours (service, {running.workers} worker{'s' if running.workers > 1 else ''})")
    prefixes = [f"{BOX_PREFIX}-{pid}" for pid in running.worker_pids().values()]
    meter, pids, counters_before = BoxCpuMeter(prefixes).start(), running.pids(), service_counters(running)
    process_before = process_cpu(pids)
    cores_before = core_times()
    started = time.monotonic()
    results, rewards = asyncio.run(_through_service(running, workload))
    measure.wall = time.monotonic() - started
    measure.cpu = meter.stop() + process_cpu(pids) - process_before
    measure.core_busy = busy_fractions(cores_before, core_times())
    _tally(measure, workload, results)
    if workload.codeforces_mode is not None:
        measure.scores = list(rewards)  # what the endpoint answered, not recomputed here
    counters = service_counters(running)
    measure.solution_cpu = counters["ioi_grader_solution_cpu_seconds_total"] - counters_before[
        "ioi_grader_solution_cpu_seconds_total"]
    measure.wasted_cpu = counters["ioi_grader_wasted_cpu_seconds_total"] - counters_before[
        "ioi_grader_wasted_cpu_seconds_total"]
    return measure


def service_counters(running: ServeProcess) -> dict[str, float]:
    """The service's CPU accounts from /metrics (every worker's, summed)."""
    text = httpx.get(f"{running.url}/metrics", headers=running.headers, timeout=30).text
    values = {"ioi_grader_solution_cpu_seconds_total": 0.0, "ioi_grader_wasted_cpu_seconds_total": 0.0}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in values:
            values[name] = float(value)
    return values


def core_times() -> list[tuple[int, int]]:
    """Per CPU: (busy, total) jiffies from /proc/stat (the whole machine's, not only ours)."""
    found = []
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("cpu") and line[3:4].isdigit():
            fields = [int(x) for x in line.split()[1:]]
            idle = fields[3] + fields[4]  # idle + iowait
            found.append((sum(fields[:8]) - idle, sum(fields[:8])))
    return found


def busy_fractions(before: list[tuple[int, int]], after: list[tuple[int, int]]) -> list[float]:
    return [round((b1 - b0) / (t1 - t0), 3) if t1 > t0 else 0.0 for (b0, t0), (b1, t1) in zip(before, after)]
