"""Faults the service must survive without losing an accepted submission."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from support import wait_until
from tasks import expected, solution

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.slow]


def test_sigkill_of_a_worker_mid_job_loses_nothing(service, client):
    # A submission that takes a while: TLE on the large tests, 1 s of CPU each.
    submission_id = client.submit("aplusb", solution("aplusb", "slow_large.cpp"))
    wait_until(lambda: client.submission(submission_id).state.value == "running", timeout=60)
    grading = _worker_of(service, submission_id)
    os.kill(service.worker_pids()[grading], signal.SIGKILL)
    view = client.wait(submission_id, timeout=240)
    assert view.state.value == "done", view.error
    assert view.attempts >= 2  # graded again after the first worker died
    assert view.result.score == expected("aplusb")["slow_large.cpp"]["score"]
    service.wait_healthy(120)  # `serve` restarted the killed worker


def _worker_of(service, submission_id: str) -> str:
    import json

    from redis import Redis

    raw = Redis(unix_socket_path=str(service.redis.socket)).get(f"ioi:sub:{submission_id}")
    return json.loads(raw)["worker"] or ""


def test_redis_crash_and_restart_with_queued_submissions_loses_nothing(service, client):
    names = ["correct.cpp", "wrong_return_a.cpp", "wrong_large_sum.cpp", "re_div_by_b.cpp", "compile_error.cpp"] * 2
    ids = [client.submit("aplusb", solution("aplusb", name)) for name in names]
    service.redis.kill()  # SIGKILL: only what the append-only file already holds survives
    time.sleep(2)
    service.redis.start()
    views = [client.wait(submission_id, timeout=300) for submission_id in ids]
    for name, view in zip(names, views):
        assert view.state.value == "done", (name, view.error)
        assert view.result.score == expected("aplusb")[name]["score"], name
    service.wait_healthy(120)


def test_a_job_left_dequeued_by_a_worker_that_died_is_graded(service, client):
    """The state the lost submission was found in: its job moved by a worker's BLMOVE from the
    queue to RQ's intermediate list, the worker gone before it registered the execution, the
    job still `queued`. RQ looks at that list only from worker maintenance, minutes later; the
    reconciler (in the API and the workers) requeues it."""
    from ioi_grader.grading.submission import Submission
    from ioi_grader.workers.records import SubmissionRecord
    from ioi_grader.workers.store import PENDING_KEY, RECORD_KEY, STATE_KEY, SubmissionStore

    store = SubmissionStore(service.redis.client())
    record = SubmissionRecord(problem_id="aplusb", submission=Submission(language="cpp",
                                                                        code=solution("aplusb", "correct.cpp")))
    data = store._job_data(record.id)
    job = store.queue.create_job(data.func, args=data.args, job_id=data.job_id, timeout=data.timeout,
                                 retry=data.retry, result_ttl=data.result_ttl, failure_ttl=data.failure_ttl,
                                 on_failure=data.on_failure)
    with store.redis.pipeline(transaction=True) as pipe:
        pipe.set(RECORD_KEY.format(record.id), record.model_dump_json(), ex=3600)
        pipe.set(STATE_KEY.format(record.id), "queued", ex=3600)
        pipe.zadd(PENDING_KEY, {record.id: record.created_at})
        job.save(pipeline=pipe)
        pipe.rpush(store.queue.intermediate_queue_key, job.id)
        pipe.execute()
    view = client.wait(record.id, timeout=300)
    assert view.state.value == "done", view.error
    assert view.result.score == expected("aplusb")["correct.cpp"]["score"]
    assert view.attempts == 1  # it had never started: the requeue costs no attempt


def _slow_rollouts(count: int) -> tuple[str, list[dict]]:
    """Reward items that keep a box busy for seconds (TLE tests), tagged to be found in Redis."""
    marker = uuid.uuid4().hex
    code = solution("aplusb", "slow_large.cpp")
    return marker, [{"problem_id": "aplusb", "completion": f"```cpp\n// {marker} {index}\n{code}\n```"}
                    for index in range(count)]


def _records_with(service, marker: str) -> list[dict]:
    redis = service.redis.client()
    records = [json.loads(raw) for key in redis.scan_iter(match="ioi:sub:*", count=1000)
               if (raw := redis.get(key)) and marker.encode() in raw]
    return records


def test_a_reward_batch_whose_worker_dies_is_still_answered_in_full(service, client):
    marker, items = _slow_rollouts(2)
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(client.reward, items, "problem", 300)
        running = wait_until(lambda: [r for r in _records_with(service, marker) if r["state"] == "running"],
                             timeout=120)
        os.kill(service.worker_pids()[running[0]["worker"]], signal.SIGKILL)
        response = answer.result(timeout=420)
    assert [detail.status for detail in response.details] == ["scored", "scored"], response.details
    assert response.rewards == [pytest.approx(expected("aplusb")["slow_large.cpp"]["score"] / 100)] * 2
    killed = client.submission(next(d.submission_id for d in response.details
                                    if d.submission_id == running[0]["id"]))
    assert killed.attempts >= 2  # graded again after its worker died, within the request's timeout
    service.wait_healthy(120)


def test_a_reward_request_answers_503_when_redis_stays_down_past_its_timeout(service, client):
    marker, items = _slow_rollouts(1)
    body = {"items": items, "mode": "problem", "timeout": 5}
    with ThreadPoolExecutor(1) as pool:
        # The client's own timeout is what would catch a request left hanging.
        answer = pool.submit(httpx.post, f"{service.url}/v1/reward", json=body, timeout=90)
        accepted = wait_until(lambda: _records_with(service, marker), timeout=60)
        service.redis.kill()
        try:
            response = answer.result(timeout=120)
        finally:
            service.redis.start()
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0 and "Redis" in response.json()["error"]
    # Accepted before Redis died, so graded after it came back: nothing lost.
    view = client.wait(accepted[0]["id"], timeout=300)
    assert view.state.value == "done", view.error
    service.wait_healthy(120)


def test_a_broken_checker_fails_the_submission_once_with_a_reason(client):
    # The task is broken, not the infrastructure: another attempt cannot help, so there is none.
    view = client.grade("brokenchecker", solution("aplusb", "correct.cpp"), timeout=300)
    assert view.state.value == "failed"
    assert "checker" in view.error and "broken" in view.error
    assert view.attempts == 1
    assert view.result is None  # never reported as a score


def test_a_submission_the_sandbox_keeps_losing_fails_after_bounded_retries(service, client):
    """Every box that starts grading it is killed, as a crashing Docker engine would: the grader
    tries each batch on fresh boxes, RQ retries the job, and then it stops with a reason."""
    import threading

    import docker

    from ioi_grader.sandbox.box import LABEL_OWNER, LABEL_ROLE

    engine = docker.from_env()
    workers = {str(pid) for pid in service.worker_pids().values()}
    stop = threading.Event()
    kills = []

    def kill_boxes() -> None:
        while not stop.wait(0.3):
            for box in engine.containers.list(filters={"label": f"{LABEL_ROLE}=run"}):
                if box.labels.get(LABEL_OWNER, "").split(":")[1:2] and box.labels[LABEL_OWNER].split(":")[1] in workers:
                    try:
                        box.kill()
                        kills.append(box.name)
                    except docker.errors.APIError:
                        pass  # stopped already

    killer = threading.Thread(target=kill_boxes, daemon=True)
    killer.start()
    try:
        view = client.grade("aplusb", solution("aplusb", "slow_large.cpp"), timeout=600)
    finally:
        stop.set()
        killer.join()
    assert view.state.value == "failed", view
    assert "attempts" in view.error and "sandbox" in view.error
    assert view.attempts == 4  # the first try and three retries, then it stops
    assert view.result is None  # never reported as a score
    assert len(kills) >= 4
    service.wait_healthy(120)
    after = client.grade("aplusb", solution("aplusb", "correct.cpp"), timeout=300)
    assert after.state.value == "done" and after.result.score == 100