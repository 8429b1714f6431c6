"""The real service for end-to-end tests: a redis-server with append-only persistence that
tests can kill and restart, and `ioi-grader serve` running as its own process (API + worker
processes + warm Docker sandboxes), reached over real HTTP."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from live import RedisProcess, ServiceProcess
from paths import EXAMPLES
from tasks import assemble_aplusb, assemble_fish

pytestmark = [pytest.mark.docker, pytest.mark.redis]


@pytest.fixture(scope="session")
def service_root():
    root = Path(tempfile.mkdtemp(prefix="ioig-svc-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(service_root):
    server = RedisProcess(service_root / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def real_tasks(service_root) -> Path:
    """A problem folder with the real shared tasks (plus our graders), for the service."""
    root = service_root / "real-tasks"
    assemble_aplusb(root)
    assemble_fish(root)
    return root


def broken_checker_task(root: Path) -> None:
    """aplusb with a checker that always fails: a submission nobody can judge."""
    folder = root / "brokenchecker"
    folder.mkdir()
    source = EXAMPLES / "aplusb"
    (folder / "problem.json").write_text((source / "problem.json").read_text().replace('"aplusb"', '"brokenchecker"'))
    for name in ("subtasks", "tests", "graders"):
        os.symlink(source / name, folder / name)
    (folder / "checker").mkdir()
    (folder / "checker" / "checker.cpp").write_text("int main() { return 3; }\n")


@pytest.fixture(scope="session")
def service(redis_server, service_root, real_tasks):
    # examples/ has its own aplusb (the same task): serve the shared one under its real data only.
    examples = service_root / "examples"
    examples.mkdir()
    for task in EXAMPLES.iterdir():
        if task.is_dir() and task.name != "aplusb":
            os.symlink(task, examples / task.name)
    broken_checker_task(examples)
    data_dir = service_root / "serve"
    data_dir.mkdir()
    process = ServiceProcess(redis_server, [real_tasks, examples], data_dir, workers=2)
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def cf_service(redis_server, service_root):
    """`serve` with one worker over the open-r1/codeforces fixture's problems."""
    # Imported here: the fixture needs `datasets`, which the cgroup v2 guest does not install.
    from codeforces_fixture import write_codeforces_fixture
    from ioi_grader.problems.codeforces import load_codeforces

    root = service_root / "codeforces"
    files, tests = write_codeforces_fixture(root)
    load_codeforces(str(files), tests, cache_dir=root / "problems")
    data_dir = root / "serve"
    data_dir.mkdir()
    service = ServiceProcess(redis_server, [root / "problems"], data_dir, workers=1, redis_db=9)
    service.start()
    yield service
    service.stop()


@pytest.fixture
def client(service):
    from ioi_grader.client import Client

    with Client(service.url, timeout=120) as client:
        yield client

