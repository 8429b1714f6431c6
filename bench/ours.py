"""Ours, measured two ways: the core (`Grader`, what `ioi-grader grade` runs) and the service
(HTTP -> Redis/RQ -> workers) started with `ioi-grader serve`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ..client import AsyncClient
from ..grading.grader import Grader
from ..grading.results import GradeResult, TestStatus
from ..grading.submission import Submission
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
    grader.programs.programs(workload.problem)
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


class Service:
    """`ioi-grader serve` with N workers, on a free port, for the duration of a `with`."""

    def __init__(self, problems: Path, workers: int, data_dir: Path, boxes: int):
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [sys.executable, "-m", "ioi_grader.cli", "serve", "--port", str(self.port), "--workers",
                        str(workers), "--boxes-per-worker", str(boxes), "--problems", str(problems),
                        "--data-dir", str(data_dir)]
        self.workers = workers
        self.data_dir = data_dir

    def __enter__(self) -> Service:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        self.log = open(self.data_dir / "serve.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(self.command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{self.url}/healthz", timeout=5).json()
                if health.get("status") == "ok" and health.get("workers", 0) >= self.workers:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"serve did not become healthy; see {self.data_dir / 'serve.log'}")

    def __exit__(self, *exc) -> None:
        self.process.send_signal(2)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def pids(self) -> list[int]:
        """serve and its worker processes."""
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                        children.append(int(entry.name))
                except (OSError, IndexError):
                    pass
        return [self.process.pid, *children]


async def _through_service(service: Service, workload: Workload) -> list[GradeResult]:
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


def service(workload: Workload, running: Service) -> Measure:
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
