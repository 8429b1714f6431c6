"""Ours, measured two ways: the core (`Grader`, what `ioi-grader grade` runs) and the service
(HTTP -> Redis/RQ -> workers) started with `ioi-grader serve`."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from ..client import AsyncClient
from ..grading.grader import Grader
from ..grading.results import GradeResult, TestStatus
from ..grading.submission import Submission
from ..languages import languages
from .serve_process import ServeProcess
from .baselines import Measure
from .workloads import Workload

CPUACCT = Path("/sys/fs/cgroup/cpuacct/ioi-grader/cpuacct.usage")


def boxes_cpu() -> float:
    """CPU seconds used so far by every sandbox box of this host (supervisors and tests)."""
    try:
        return int(CPUACCT.read_text()) / 1e9
    except OSError:
        return 0.0


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


def _tally(measure: Measure, results: list[GradeResult]) -> None:
    for result in results:
        measure.scores.append(result.score)
        run = [t for t in result.tests.values() if t.status not in (TestStatus.SKIPPED, TestStatus.CE)]
        measure.tests += len(run)
        measure.solution_cpu += sum(t.time for t in run)  # as ours measured it (cgroup)
        measure.compile += result.compile.time


def core(workload: Workload, grader: Grader) -> Measure:
    """The jobs back to back through the grader, after one untimed warm-up that builds the
    task's programs (they are cached per task, as in production)."""
    for language in {job.language for job in workload.jobs}:
        grader.programs.programs(workload.problem, languages.get(language))
    measure = Measure("ours (core)")
    cpu_before, self_before = boxes_cpu(), os.times()
    started = time.monotonic()
    results = [grader.grade(workload.problem, Submission(language=j.language, code=j.code), j.options)
               for j in workload.jobs]
    measure.wall = time.monotonic() - started
    self_after = os.times()
    measure.cpu = boxes_cpu() - cpu_before + (self_after.user - self_before.user) + (self_after.system - self_before.system)
    _tally(measure, results)
    return measure


def compile_seconds(grader: Grader, problem, code: str, runs: int = 3) -> float:
    """Median wall time of a submission's compilation through our sandbox (task objects cached)."""
    times = sorted(grader.compile(problem, Submission(code=code)).time for _ in range(runs))
    return times[len(times) // 2]


async def _through_service(service: ServeProcess, workload: Workload) -> list[GradeResult]:
    async with AsyncClient(service.url, timeout=600, max_connections=200) as client:
        if workload.reward_subtask is not None:
            items = [{"problem_id": workload.problem.id, "subtask": workload.reward_subtask,
                      "completion": job.completion} for job in workload.jobs]
            response = await client.reward(items, timeout=3600)
            views = await asyncio.gather(*(client.submission(d.submission_id) for d in response.details))
        else:
            ids = await asyncio.gather(*(client.submit(workload.problem.id, j.code, j.language, j.options)
                                         for j in workload.jobs))
            views = await asyncio.gather(*(client.wait(i, timeout=3600) for i in ids))
    for view in views:
        if view.result is None:
            raise RuntimeError(f"service failed a benchmark submission: {view.state} {view.error}")
    return [view.result for view in views]


def service(workload: Workload, running: ServeProcess) -> Measure:
    """The same jobs through HTTP -> Redis/RQ -> workers; the workload's first job is sent once
    beforehand (untimed) so that the task's programs are already built."""
    warm = Workload(workload.name, "", workload.problem, workload.folder, workload.jobs[:1], workload.reward_subtask)
    asyncio.run(_through_service(running, warm))
    measure = Measure(f"ours (service, {running.workers} worker{'s' if running.workers > 1 else ''})")
    cpu_before, pids = boxes_cpu(), running.pids()
    process_before = process_cpu(pids)
    started = time.monotonic()
    results = asyncio.run(_through_service(running, workload))
    measure.wall = time.monotonic() - started
    measure.cpu = boxes_cpu() - cpu_before + process_cpu(pids) - process_before
    _tally(measure, results)
    return measure
