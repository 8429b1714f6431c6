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


def test_a_submission_nobody_can_judge_fails_with_a_reason_after_bounded_retries(client):
    view = client.grade("brokenchecker", solution("aplusb", "correct.cpp"), timeout=300)
    assert view.state.value == "failed"
    assert "checker" in view.error and "attempts" in view.error
    assert view.attempts == 4  # the first try and three retries, then it stops
    assert view.result is None  # never reported as a score
