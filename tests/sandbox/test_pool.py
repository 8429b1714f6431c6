"""Boxes are recycled after a set number of runs and after any anomaly, and a test whose
box dies under it is retried on a fresh one."""

from __future__ import annotations

import os
import socket
import threading
import time

import docker
import pytest

from ioi_grader.grading.grader import Grader
from ioi_grader.grading.submission import Submission
from ioi_grader.problems.tps import load_tps
from ioi_grader.sandbox import SandboxError, SandboxPool, SandboxSettings
from ioi_grader.sandbox.protocol import Limits, ProcessSpec, RunRequest, user_slot
from paths import EXAMPLES
from tasks import solution

pytestmark = pytest.mark.docker


def sleep_request(seconds: float) -> RunRequest:
    return RunRequest(processes=[ProcessSpec(slot=user_slot(0), argv=["/bin/sleep", str(seconds)],
                                             limits=Limits(cpu=1, wall=seconds + 5, memory=64 << 20))])


def assert_destroyed(client, name: str) -> None:
    """Retired boxes are destroyed in the background: the container goes within a minute."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            client.containers.get(name)
        except docker.errors.NotFound:
            return
        time.sleep(0.2)
    pytest.fail(f"the retired box {name} was not destroyed")


@pytest.fixture(scope="module")
def small_pool(tmp_path_factory):
    settings = SandboxSettings(state_dir=tmp_path_factory.mktemp("pool"), run_boxes=1, recycle_after=3)
    pool = SandboxPool(settings).start()
    yield pool
    pool.close()


def test_box_is_recycled_after_its_run_budget_without_waiting_for_its_replacement(small_pool):
    client = docker.from_env()
    names = []
    for _ in range(3):  # its whole budget
        with small_pool.run_box() as box:
            names.append(box.name)
            box.run(sleep_request(0))
    first = names[0]
    assert set(names) == {first}
    recycled = small_pool.recycled
    # The replacement starts in the background: the aged box serves on meanwhile (a container
    # takes far longer to start than this run), then the replacement takes over.
    with small_pool.run_box() as box:
        assert box.name == first
        assert box.run(sleep_request(0)).processes[0].ok
    deadline = time.monotonic() + 120
    while box.name == first and time.monotonic() < deadline:
        time.sleep(0.2)
        with small_pool.run_box() as box:
            assert box.run(sleep_request(0)).processes[0].ok
    assert box.name != first, "the aged box was never replaced"
    assert small_pool.recycled == recycled + 1
    assert_destroyed(client, first)


def test_a_killed_container_breaks_the_box_and_it_is_replaced(small_pool):
    client = docker.from_env()
    with small_pool.run_box() as box:
        killed = box.name
        threading.Timer(0.5, lambda: client.containers.get(killed).kill()).start()
        with pytest.raises(SandboxError):
            box.run(sleep_request(10))
        assert box.broken
    with small_pool.run_box() as box:
        assert box.name != killed and not box.broken
        assert box.run(sleep_request(0)).processes[0].ok
    assert_destroyed(client, killed)


def test_grading_survives_a_box_killed_mid_test(small_pool):
    grader = Grader(small_pool)
    problem = load_tps(EXAMPLES / "aplusb")
    client = docker.from_env()
    stop = threading.Event()
    killed: list[str] = []

    def kill_one_box_once():
        stop.wait(2.0)  # compiled by now, and inside one of the 1 s TLE tests
        while not stop.is_set():
            for container in client.containers.list(filters={"label": "ioi-grader.role=run"}):
                if container.name.startswith(small_pool._prefix):
                    try:
                        container.kill()
                    except docker.errors.APIError:  # stopped between the listing and the kill
                        continue
                    killed.append(container.name)
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_box_once)
    try:
        killer.start()
        result = grader.grade(problem, Submission(code=solution("aplusb", "slow_large.cpp")))
    finally:
        stop.set()
        killer.join()
        grader.close()
    assert killed, "no box was killed while grading: the test proved nothing"
    assert result.score == 20  # the verdicts are the ones the solution deserves, retries notwithstanding


def test_stale_boxes_that_vanish_during_the_listing_are_skipped(tmp_path):
    """Worker start-up removes the boxes dead workers of this host left. Another worker may
    remove one of them between the listing and the removal: that box is skipped, not fatal
    (it was a 404 that stopped the worker from starting)."""
    from ioi_grader.sandbox.box import LABEL_BOX, LABEL_OWNER, remove_stale_boxes

    settings = SandboxSettings(state_dir=tmp_path)
    client = docker.from_env()
    dead_owner = f"{socket.gethostname()}:999999999:0"  # no such pid: its worker is gone
    names = [f"ioig-stale-test-{i}-{os.getpid()}" for i in range(2)]
    for name in names:
        client.containers.create(settings.image, name=name, entrypoint=["/bin/true"],
                                 labels={LABEL_BOX: name, LABEL_OWNER: dead_owner})
    real_listing = client.api.containers

    def listing_then_another_worker_removes_one(*args, **kwargs):
        listed = real_listing(*args, **kwargs)
        client.containers.get(names[1]).remove(force=True)  # another worker was quicker
        return listed

    client.api.containers = listing_then_another_worker_removes_one
    try:
        removed = remove_stale_boxes(client, settings)
    finally:
        client.api.containers = real_listing
        for name in names:
            try:
                client.containers.get(name).remove(force=True)
            except docker.errors.NotFound:
                pass
    assert removed >= 1  # the first box; the vanished one is skipped without an error
    for name in names:
        assert_destroyed(client, name)
