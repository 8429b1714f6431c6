"""`ioi-grader bench hosts`: throughput of the fish workload with one worker host, then two,
in one run (root only: the hosts are network namespaces, see `netns`).

Host A holds the problem folder, Redis and the API; each worker host has one box (this
machine's cores are what two hosts share) and an empty problem cache, so the first job of
each host also measures fetching the 145 MB fish package from Redis. The timed phases start
after every worker host has graded one job.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console

from .cluster import Cluster
from .workloads import fish

REPO = Path(__file__).resolve().parents[1]


def _submit(cluster: Cluster, problem_id: str, code: str, options: dict | None = None) -> str:
    response = httpx.post(f"{cluster.url}/v1/submissions", headers=cluster.headers, timeout=60,
                          json={"problem_id": problem_id, "code": code, "options": options or {}})
    response.raise_for_status()
    return response.json()["id"]


def _wait(cluster: Cluster, ids: list[str], timeout: float = 3600) -> list[dict]:
    views = []
    deadline = time.monotonic() + timeout
    for submission_id in ids:
        while True:
            view = httpx.get(f"{cluster.url}/v1/submissions/{submission_id}", params={"wait": 30},
                             headers=cluster.headers, timeout=60).json()
            if view["state"] in ("done", "failed"):
                views.append(view)
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{submission_id} not done in time")
    return views


def _worker_of(cluster: Cluster, submission_id: str) -> str:
    return json.loads(cluster.redis().get(f"ioi:sub:{submission_id}"))["worker"]


def _warm(cluster: Cluster, problem_id: str, code: str, host: str) -> float:
    """Until `host` has graded one job (fetching the package); returns the seconds it took."""
    started = time.monotonic()
    while True:
        submission_id = _submit(cluster, problem_id, code, {"subtasks": ["sample"]})
        (view,) = _wait(cluster, [submission_id])
        if view["state"] != "done":
            raise RuntimeError(f"warm-up submission failed: {view.get('error')}")
        if _worker_of(cluster, submission_id) == f"host-{host}":
            return time.monotonic() - started


def _phase(cluster: Cluster, problem_id: str, codes: list[str]) -> dict:
    started = time.monotonic()
    # No early stop: every submission runs all 72 tests whatever a loaded machine does to its
    # verdicts, so both phases do the same work.
    ids = [_submit(cluster, problem_id, code, {"early_stop": False}) for code in codes]
    views = _wait(cluster, ids)
    wall = time.monotonic() - started
    failed = [v for v in views if v["state"] != "done"]
    if failed:
        raise RuntimeError(f"benchmark submissions failed: {failed[:2]}")
    tests = sum(len({t["name"] for s in v["result"]["subtasks"] for t in s["tests"]
                     if t["status"] not in ("SKIPPED", "CE")}) for v in views)
    return {"submissions": len(views), "tests": tests, "wall": round(wall, 2),
            "submissions_per_minute": round(60 * len(views) / wall, 2), "tests_per_second": round(tests / wall, 2),
            "scores": sorted({v["result"]["score"] for v in views}),
            "workers": sorted({_worker_of(cluster, i) for i in ids})}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ioi-grader bench hosts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=4, help="fish submissions per phase")
    parser.add_argument("--shared", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    work = Path(tempfile.mkdtemp(prefix="ioig-bh-"))
    try:
        workload = fish(REPO, Path(args.shared), work / "a", quick=False)
        problem_id = workload.problem.id
        correct = workload.jobs[0].code
        codes = [f"// submission {i}\n{correct}" for i in range(args.submissions)]
        with Cluster(work, [work / "a" / "problems"], boxes_per_worker=1, cache_size="4GiB") as cluster:
            cluster.add_worker("b")
            cluster.wait_workers(["b"])
            fetch_b = _warm(cluster, problem_id, correct, "b")
            console.print(f"host b ready: first job incl. fetching the package took {fetch_b:.1f} s")
            one = _phase(cluster, problem_id, codes)
            console.print(f"1 worker host: {one}")
            cluster.add_worker("c")
            cluster.wait_workers(["c"])
            fetch_c = _warm(cluster, problem_id, correct, "c")
            console.print(f"host c ready: first job incl. fetching the package took {fetch_c:.1f} s")
            two = _phase(cluster, problem_id, codes)
            console.print(f"2 worker hosts: {two}")
            stats = httpx.get(f"{cluster.url}/v1/status", headers=cluster.headers, timeout=30).json()
        report = {"workload": "fish: correct solution, every test (no early stop)", "one_host": one, "two_hosts": two,
                  "speedup": round(one["wall"] / two["wall"], 2), "first_job_seconds": {"b": fetch_b, "c": fetch_c},
                  "fetch_bytes": {w["name"]: w["fetch_bytes"] for w in stats["workers"]}}
        console.print(f"throughput: 1 host {one['tests_per_second']} tests/s, 2 hosts {two['tests_per_second']} "
                      f"tests/s (x{report['speedup']})")
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=1))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
