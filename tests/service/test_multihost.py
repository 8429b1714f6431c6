"""The service on several hosts with no shared filesystem.

The hosts are network namespaces this test makes on this machine, joined by veth links to one
bridge: host A runs Redis and the API and holds the problem folders; hosts B and C (and later D)
each run a worker with its own state folder and an empty problem cache. Everything between them
is TCP between the namespaces' addresses; the workers share only this machine's Docker engine.
Problems reach the workers as packages published in Redis.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from ioi_grader.bench.cluster import Cluster
from ioi_grader.bench.netns import NetworkUnavailable
from paths import EXAMPLES

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.slow]

APLUSB_CORRECT = (EXAMPLES / "aplusb" / "solutions" / "correct" / "aplusb.cpp").read_text()
APLUSB_WRONG = "int sum(int A, int B) { return A; }\n"


def burner(factor: int, iterations: int) -> str:
    """Reads k, burns CPU (a multiply chain the compiler cannot drop), prints factor * k."""
    return (
        "#include <cstdio>\nint main() { long long k; if (std::scanf(\"%lld\", &k) != 1) return 1;\n"
        f"  unsigned long long x = k; for (long long i = 0; i < {iterations}LL; i++) "
        "x = x * 6364136223846793005ULL + 1442695040888963407ULL;\n"
        f"  std::fprintf(stderr, \"%llu\\n\", x); std::printf(\"%lld\\n\", {factor} * k); }}\n"
    )


def netsum_archive(problem_id: str, factor: int, tests: int) -> bytes:
    """A TPS package whose expected output is factor * k: versions differ only in the answers."""
    meta = {"code": problem_id, "name": f"Net sum x{factor}", "time_limit": 2.0, "memory_limit": 268435456,
            "score_precision": 2, "task_type": "Batch",
            "task_type_params": json.dumps({"task_type_parameters_Batch_compilation": "alone"})}
    names = [f"t{i:02d}" for i in range(1, tests + 1)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{problem_id}/problem.json", json.dumps(meta))
        archive.writestr(f"{problem_id}/subtasks/01-all.json", json.dumps({"score": 100, "testcases": names}))
        for index, name in enumerate(names, start=1):
            archive.writestr(f"{problem_id}/tests/{name}.in", f"{index * 7}\n")
            archive.writestr(f"{problem_id}/tests/{name}.out", f"{factor * index * 7}\n")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def cluster():
    root = Path(tempfile.mkdtemp(prefix="ioig-mh-"))  # short: box sockets live under the state folders
    problems = root / "a" / "problems"
    problems.mkdir(parents=True)
    shutil.copytree(EXAMPLES / "aplusb", problems / "aplusb")  # the problem folders exist on host A only
    try:
        running = Cluster(root, [problems], boxes_per_worker=1)
    except NetworkUnavailable as error:
        pytest.skip(f"multi-host test needs network namespaces: {error}")
    with running:
        running.add_worker("b")
        running.add_worker("c")
        running.wait_workers(["b", "c"])
        yield running
    shutil.rmtree(root, ignore_errors=True)


def submit(cluster: Cluster, problem_id: str, code: str) -> str:
    response = httpx.post(f"{cluster.url}/v1/submissions", headers=cluster.headers, timeout=60,
                          json={"problem_id": problem_id, "language": "cpp", "code": code})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def wait_done(cluster: Cluster, ids: list[str], timeout: float = 240) -> list[dict]:
    deadline = time.monotonic() + timeout
    views = {}
    for submission_id in ids:
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"submission {submission_id} not finished in time: {views.get(submission_id)}"
            view = httpx.get(f"{cluster.url}/v1/submissions/{submission_id}", params={"wait": min(30, left)},
                             headers=cluster.headers, timeout=60).json()
            views[submission_id] = view
            if view["state"] in ("done", "failed"):
                break
    return [views[i] for i in ids]


def record(cluster: Cluster, submission_id: str) -> dict:
    return json.loads(cluster.redis().get(f"ioi:sub:{submission_id}"))


def worker_stats(cluster: Cluster, host: str) -> dict[str, float]:
    raw = cluster.redis().hgetall(f"ioi:wstats:host-{host}")
    return {k.decode(): float(v) for k, v in raw.items() if k.decode() in (
        "jobs", "tests", "cache_hits", "cache_misses", "fetch_bytes")}


def upload(cluster: Cluster, archive: bytes, replace: bool = False) -> dict:
    response = httpx.post(f"{cluster.url}/v1/problems", content=archive, timeout=60,
                          headers={**cluster.admin_headers, "content-type": "application/zip"},
                          params={"replace": "true"} if replace else None)
    assert response.status_code == 201, response.text
    return response.json()


def wait_state(cluster: Cluster, submission_id: str, states: set[str], worker: str | None = None,
               timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = record(cluster, submission_id)
        if current["state"] in states and (worker is None or current["worker"] == worker):
            return current
        time.sleep(0.05)
    raise AssertionError(f"{submission_id} never reached {states} on {worker}: {record(cluster, submission_id)}")


def test_submissions_and_rewards_spread_over_both_worker_hosts(cluster):
    ids = [submit(cluster, "aplusb", APLUSB_CORRECT if i % 2 == 0 else APLUSB_WRONG) for i in range(6)]
    completions = [f"Sure.\n```cpp\n// rollout {i}\n{APLUSB_CORRECT if i % 2 == 0 else APLUSB_WRONG}```\n"
                   for i in range(6)]
    reward = httpx.post(f"{cluster.url}/v1/reward", headers=cluster.headers, timeout=300, json={
        "items": [{"problem_id": "aplusb", "subtask": "03-full", "completion": c} for c in completions]})
    assert reward.status_code == 200, reward.text
    assert reward.json()["rewards"] == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    views = wait_done(cluster, ids)
    assert [v["result"]["score"] for v in views] == [100.0, 30.0, 100.0, 30.0, 100.0, 30.0]  # "return A" passes B = 0
    graded = ids + [d["submission_id"] for d in reward.json()["details"]]
    workers = [record(cluster, i)["worker"] for i in graded]
    assert set(workers) == {"host-b", "host-c"}, workers
    # Each worker host fetched the problem's version once, from Redis, and cached it.
    version = httpx.get(f"{cluster.url}/v1/problems/aplusb", headers=cluster.headers).json()["version"]
    assert {record(cluster, i)["problem_version"] for i in graded} == {version}
    for host in ("b", "c"):
        stats = worker_stats(cluster, host)
        assert stats["cache_misses"] == 1 and stats["fetch_bytes"] > 0, (host, stats)
        assert (cluster.root / host / "packages" / version / "aplusb" / "problem.json").is_file()


def test_an_upload_on_a_is_graded_on_b_and_c(cluster):
    before = {host: worker_stats(cluster, host) for host in ("b", "c")}
    started = time.monotonic()
    summary = upload(cluster, netsum_archive("netsum", 2, tests=6))
    ids = [submit(cluster, "netsum", burner(2, 20_000_000)) for _ in range(6)]
    views = wait_done(cluster, ids)
    elapsed = time.monotonic() - started
    assert [v["result"]["score"] for v in views] == [100.0] * 6, views
    records = [record(cluster, i) for i in ids]
    assert {r["worker"] for r in records} == {"host-b", "host-c"}
    assert {r["problem_version"] for r in records} == {summary["version"]}
    for host in ("b", "c"):
        after = worker_stats(cluster, host)
        assert after["cache_misses"] - before[host]["cache_misses"] == 1, (host, after)
    print(f"upload on A to six results graded on B and C: {elapsed:.1f} s")


def test_a_new_version_never_mixes_with_a_running_job(cluster):
    v1 = upload(cluster, netsum_archive("netver", 2, tests=12))["version"]
    first = submit(cluster, "netver", burner(2, 120_000_000))
    wait_state(cluster, first, {"running"})
    v2 = upload(cluster, netsum_archive("netver", 3, tests=12), replace=True)["version"]
    replaced_at = time.time()
    assert v2 != v1
    second = submit(cluster, "netver", burner(2, 1000))
    old, new = wait_done(cluster, [first, second])
    # The job queued on version 1 is graded entirely on version 1 (every test passes), even though
    # version 2 replaced it while the job ran; the next job gets version 2 (every test fails).
    assert record(cluster, first)["problem_version"] == v1 and old["result"]["score"] == 100.0
    assert record(cluster, second)["problem_version"] == v2 and new["result"]["score"] == 0.0
    assert old["updated_at"] > replaced_at, "the first job finished before the replacement: nothing was tested"


def test_a_worker_host_killed_mid_job_loses_nothing(cluster):
    upload(cluster, netsum_archive("netkill", 5, tests=8))
    ids = [submit(cluster, "netkill", burner(5, 100_000_000)) for _ in range(4)]
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:
        for submission_id in ids:
            current = record(cluster, submission_id)
            if current["worker"] == "host-b" and current["state"] == "running":
                victim = submission_id
                break
        time.sleep(0.05)
    assert victim is not None, "host B never started one of the jobs"
    killed = cluster.workers["b"].kill()
    assert killed >= 1 and not cluster.workers["b"].pids()
    views = wait_done(cluster, ids, timeout=300)
    assert [v["state"] for v in views] == ["done"] * 4, views
    assert [v["result"]["score"] for v in views] == [100.0] * 4
    survivor = record(cluster, victim)
    assert survivor["worker"] == "host-c" and survivor["attempts"] >= 2, survivor


def test_a_new_worker_host_joining_mid_run_takes_work(cluster):
    upload(cluster, netsum_archive("netjoin", 4, tests=8))
    ids = [submit(cluster, "netjoin", burner(4, 100_000_000)) for _ in range(8)]
    wait_state(cluster, ids[0], {"running", "done"})
    cluster.add_worker("d")
    cluster.wait_workers(["d"])
    views = wait_done(cluster, ids, timeout=300)
    assert [v["result"]["score"] for v in views] == [100.0] * 8, views
    workers = [record(cluster, i)["worker"] for i in ids]
    assert "host-d" in workers, workers
    assert worker_stats(cluster, "d")["cache_misses"] >= 1


def test_status_shows_the_live_hosts(cluster):
    deadline = time.monotonic() + 60
    while True:  # B is dead: it drops out once its presence lease (30 s) runs out
        status = httpx.get(f"{cluster.url}/v1/status", headers=cluster.headers, timeout=30).json()
        names = {w["name"] for w in status["workers"]}
        if "host-b" not in names or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert names == {"host-c", "host-d"}, names
    assert status["queue"]["depth"] == 0 and status["submissions_done"] >= 30
    metrics = httpx.get(f"{cluster.url}/metrics", timeout=30).text
    assert 'ioi_grader_worker_fetch_bytes_total{worker="host-c"}' in metrics
    assert "ioi_grader_queue_age_seconds" in metrics
