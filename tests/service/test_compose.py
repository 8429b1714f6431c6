"""docker-compose.yml brings up a working service: Redis, the API and scalable workers,
all built from the repository's Dockerfiles on the offline-buildable base."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from paths import REPO
from support import free_port
from tasks import solution

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PROJECT = "ioigcompose"


def compose(*args: str, env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "scripts" / "compose"), "-p", PROJECT, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def wait_for_workers(url: str, count: int, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    health = None
    while time.monotonic() < deadline:
        try:
            health = httpx.get(f"{url}/healthz", timeout=5).json()
            if health.get("status") == "ok" and health.get("workers") >= count:
                return health
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"compose service not healthy with {count} workers: {health}")


def test_compose_up_grades_and_scales():
    from ioi_grader.client import Client

    state = Path(tempfile.mkdtemp(prefix="ioig-compose-"))
    port = free_port()
    env = dict(os.environ, IOI_GRADER_PORT=str(port), IOI_GRADER_STATE_DIR=str(state), IOI_GRADER_BOXES="1")
    url = f"http://127.0.0.1:{port}"
    try:
        up = compose("up", "-d", "--build", env=env)
        assert up.returncode == 0, (up.stdout[-3000:], up.stderr[-3000:])
        wait_for_workers(url, 1)
        with Client(url, timeout=120) as client:
            view = client.grade("aplusb", solution("aplusb", "correct.cpp"), timeout=300)
            assert view.state.value == "done" and view.result.score == 100
            scaled = compose("up", "-d", "--scale", "worker=2", env=env)
            assert scaled.returncode == 0, (scaled.stdout[-3000:], scaled.stderr[-3000:])
            assert wait_for_workers(url, 2)["workers"] == 2
            wrong = client.grade("aplusb", solution("aplusb", "wrong_return_a.cpp"), timeout=300)
            assert wrong.result.score == 30
    finally:
        compose("down", "-v", "--remove-orphans", env=env, timeout=300)
        subprocess.run(["rm", "-rf", str(state)], check=False)
