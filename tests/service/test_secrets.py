"""Secrets and access, on a service started with API keys: keys are required and never
written anywhere (logs, Redis), and a submission graded by a worker that holds the keys in
its environment cannot see them, nor the Docker socket, nor any credential."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from live import ServiceProcess
from paths import EXAMPLES, REPO

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.slow]

USER_KEY = "user-4f1c9e2b7a6d"
ADMIN_KEY = "admin-9c3e5a1f8b2d"
ATTACKS = REPO / "tests" / "adversarial" / "attacks"


@pytest.fixture(scope="module")
def keyed_service(redis_server, service_root):
    data_dir = service_root / "keyed"
    data_dir.mkdir()
    service = ServiceProcess(redis_server, [EXAMPLES], data_dir, workers=1, redis_db=3,
                             env={"IOI_GRADER_API_KEYS": USER_KEY, "IOI_GRADER_ADMIN_KEYS": ADMIN_KEY})
    service.start()
    yield service
    service.stop()


def attack(name: str) -> str:
    common = (ATTACKS / "common.h").read_text()
    return (ATTACKS / f"{name}.cpp").read_text().replace('#include "common.h"', common)


def test_worker_environment_and_docker_socket_are_out_of_reach(keyed_service):
    from ioi_grader.client import Client

    with Client(keyed_service.url, api_key=USER_KEY, timeout=120) as client:
        view = client.grade("aplusb", attack("worker_secrets"), options={"subtasks": ["02-bZero"]}, timeout=300)
    assert view.state.value == "done" and view.result.score == 0
    assert {t.status.value for t in view.result.tests.values()} == {"WA"}


def test_keys_are_never_written_to_logs_or_redis(keyed_service, redis_server):
    url = keyed_service.url
    assert httpx.get(f"{url}/v1/problems").status_code == 401
    assert httpx.get(f"{url}/v1/problems", headers={"Authorization": "Bearer not-a-key-5e7d"}).status_code == 401
    assert httpx.get(f"{url}/v1/problems", headers={"Authorization": f"Bearer {USER_KEY}"}).status_code == 200
    response = httpx.post(f"{url}/v1/problems", content=b"x", headers={"Authorization": f"Bearer {USER_KEY}"})
    assert response.status_code == 403
    response = httpx.post(f"{url}/v1/submissions", json={"problem_id": "aplusb", "code": "int sum(int a,int b){return a+b;}"},
                          headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 202
    httpx.get(f"{url}/v1/submissions/{response.json()['id']}?wait=60", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    redis_server.client().execute_command("BGREWRITEAOF")
    leaked = []
    for root in (keyed_service.data_dir, redis_server.dir):
        for path in Path(root).rglob("*"):
            if path.is_file() and not path.is_socket():
                data = path.read_bytes()
                for key in (USER_KEY, ADMIN_KEY, "not-a-key-5e7d"):
                    if key.encode() in data:
                        leaked.append(f"{path}: {key}")
    assert leaked == []
