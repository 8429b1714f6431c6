"""`ioi-grader bench load` / `python -m ioi_grader.bench.load`: many concurrent clients against
`serve`, on loopback. Every result is checked against the score its source deserves.

By default 2,000 submissions from 50 clients to a service with 2 workers, on a generated
stdin/stdout task of 3 tests with Python submissions (half right, half wrong), so that the
figure measures the service (queue, workers, sandboxes) rather than the C++ compiler.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from ..client import AsyncClient
from .serve_process import ServeProcess
from .workloads import many_small

RIGHT = "import sys\nd = sys.stdin.read().split()\nprint(sum(map(int, d[1:])))\n"
WRONG = "import sys\nd = sys.stdin.read().split()\nprint(sum(map(int, d[1:])) + 1)\n"


async def _client(client: AsyncClient, jobs: list[tuple[str, float]], latencies: list[float], outcomes: list[bool],
                  problem: str) -> None:
    for code, expected in jobs:
        started = time.monotonic()
        view = await client.grade(problem, code, "python", timeout=600)
        latencies.append(time.monotonic() - started)
        outcomes.append(view.state.value == "done" and view.result is not None and view.result.score == expected)


async def _run(url: str, total: int, clients: int, problem: str) -> dict:
    jobs = [(RIGHT if i % 2 == 0 else WRONG, 100.0 if i % 2 == 0 else 0.0) for i in range(total)]
    # Each source differs by a comment, as distinct submissions would.
    jobs = [(f"# submission {i}\n{code}", score) for i, (code, score) in enumerate(jobs)]
    shares = [jobs[i::clients] for i in range(clients)]
    latencies: list[float] = []
    outcomes: list[bool] = []
    async with AsyncClient(url, timeout=600, max_connections=clients + 10) as client:
        started = time.monotonic()
        await asyncio.gather(*(_client(client, share, latencies, outcomes, problem) for share in shares))
        elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "submissions": total, "clients": clients, "seconds": round(elapsed, 2),
        "throughput_per_second": round(total / elapsed, 2),
        "latency_p50_s": round(statistics.median(latencies), 3),
        "latency_p99_s": round(latencies[max(0, int(0.99 * len(latencies)) - 1)], 3),
        "correct": sum(outcomes), "results": len(outcomes),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ioi-grader bench load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="ioig-load-"))
    try:
        task = many_small(work, 3)
        boxes = max(1, (os.cpu_count() or 1) // args.workers)
        with ServeProcess([work / "problems"], work / "serve", args.workers, boxes) as service:
            report = asyncio.run(_run(service.url, args.submissions, args.clients, task.problem.id))
        report["workers"] = args.workers
        print(json.dumps(report, indent=1))
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=1))
        return 0 if report["correct"] == report["submissions"] else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
