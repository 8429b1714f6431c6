"""Run boxes keep their work on a CPU each (sandbox/cpus.py): a new run box takes the CPU the
fewest boxes of its pool, then of the engine, use, its supervisor and single-CPU tests stay there, a run allowed more
than one CPU (a compile) or made of several processes gets every CPU, a replacement keeps the
CPU of the box it replaces, and `pin_cpus=False` lets everything float."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import docker
import pytest

from ioi_grader.sandbox import SandboxPool, SandboxSettings
from ioi_grader.sandbox.cpus import LABEL_CPU, least_used
from ioi_grader.sandbox.protocol import Limits, ProcessSpec, RunRequest, Stream, user_slot

STATUS = ["/bin/grep", "Cpus_allowed_list", "/proc/self/status"]


def test_least_used_takes_the_emptiest_cpu_and_the_lowest_on_a_tie():
    assert least_used(4, []) == 0
    assert least_used(4, [0, 1]) == 2
    assert least_used(2, [0, 0, 1]) == 1
    assert least_used(2, [1, 1, 0, 0]) == 0
    assert least_used(2, [0, 7, 7]) == 1  # an index the engine no longer has is not counted
    assert least_used(1, [0, 0]) == 0


def test_least_used_spreads_a_pools_own_boxes_first():
    # Two workers of two boxes each, placed in turn: A, B, A, B. Counting the engine alone would
    # give A both boxes on CPU 0 and B both on CPU 1, and a submission's tests, which run side
    # by side in the boxes of one pool, would share one CPU.
    a, b, everyone = [], [], []
    for own in (a, b, a, b):
        chosen = least_used(2, everyone, own)
        own.append(chosen)
        everyone.append(chosen)
    assert sorted(a) == sorted(b) == [0, 1]
    assert least_used(3, [0, 1, 1, 2, 2], own=[0]) == 1


def cpu_list(text: str) -> set[int]:
    """The CPUs of a `Cpus_allowed_list:` line ("0-2,5")."""
    cpus = set()
    for part in text.split(":", 1)[1].strip().split(","):
        low, _, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def allowed(box, *, cpus: float = 1, processes: int = 1, argv: list[str] = STATUS) -> list[set[int]]:
    """The CPUs each process of a run in `box` may use."""
    request = RunRequest(processes=[
        ProcessSpec(slot=user_slot(index), argv=argv, stdout=Stream(capture=True),
                    limits=Limits(cpu=5, wall=10, memory=64 << 20, cpus=cpus))
        for index in range(processes)])
    response = box.run(request)
    assert all(p.ok for p in response.processes), response
    return [cpu_list(response.capture(index, "stdout").read_text()) for index in range(processes)]


pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def pinned_pool(tmp_path_factory):
    pool = SandboxPool(SandboxSettings(state_dir=tmp_path_factory.mktemp("cpus"), run_boxes=2, pin_cpus=True))
    pool.start()
    yield pool
    pool.close()


def test_a_run_box_keeps_its_supervisor_and_single_cpu_tests_on_its_cpu(pinned_pool):
    engine_cpus = docker.from_env().info()["NCPU"]
    with pinned_pool.run_box() as box:
        label = docker.from_env().containers.get(box.name).labels[LABEL_CPU]
        assert box.cpu is not None and label == str(box.cpu) and 0 <= box.cpu < engine_cpus
        everywhere = allowed(box, cpus=2)[0]
        home = {sorted(everywhere)[box.cpu % len(everywhere)]}
        assert allowed(box) == [home]
        supervisor = allowed(box, argv=["/bin/grep", "Cpus_allowed_list", "/proc/1/status"])[0]
        assert supervisor == home
        if len(everywhere) > 1:
            assert everywhere != home
            # Several processes at once: each may use every CPU, then the next test is home again.
            assert allowed(box, processes=2) == [everywhere, everywhere]
            assert allowed(box) == [home]


def test_pools_started_together_each_spread_their_boxes_over_the_cpus(tmp_path):
    """As `serve --workers 2` does: two pools of two run boxes start at once, sharing the state
    directory (and so the placement lock)."""
    if docker.from_env().info()["NCPU"] < 2:
        pytest.skip("the engine has one CPU")
    settings = SandboxSettings(state_dir=tmp_path, run_boxes=2, judge_boxes=1, pin_cpus=True)
    pools = [SandboxPool(settings), SandboxPool(settings)]
    try:
        with ThreadPoolExecutor(2) as executor:
            list(executor.map(SandboxPool.start, pools))
        for pool in pools:
            assert len({box.cpu for box in pool._idle.queue}) == 2
    finally:
        for pool in pools:
            pool.close()


def test_a_replacement_box_takes_over_the_cpu_of_the_box_it_replaces(pinned_pool):
    with pinned_pool.run_box() as box:
        old_name, old_cpu = box.name, box.cpu
        box.broken = True
    for _ in range(2):  # the replacement comes back into the pool in place of the broken box
        with pinned_pool.run_box() as box:
            if box.name != old_name and box.cpu == old_cpu:
                return
    pytest.fail(f"no replacement of {old_name} on CPU {old_cpu} among the run boxes")


def test_without_pinning_boxes_float(tmp_path):
    with SandboxPool(SandboxSettings(state_dir=tmp_path, run_boxes=1, judge_boxes=1, pin_cpus=False)) as pool:
        with pool.run_box() as box:
            assert box.cpu is None
            assert LABEL_CPU not in docker.from_env().containers.get(box.name).labels
            assert allowed(box) == allowed(box, cpus=2)
