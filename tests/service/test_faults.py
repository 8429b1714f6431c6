"""Faults the service must survive without losing an accepted submission."""

from __future__ import annotations

import os
import signal
import time

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