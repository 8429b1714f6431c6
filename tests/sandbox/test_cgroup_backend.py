"""The cgroup backend's promises, on raw runs in the real sandbox, whichever cgroup version the
host runs (the supervisor picks v1 or v2 from what the driver delegated; CI runs this file on
the v1 host and in a cgroup v2 VM under both Docker cgroup drivers):

- "empty" is the kernel's word: a thread group whose leader exited while another thread runs
  is killed at the end of its run, though /proc calls its leader a zombie;
- page cache an earlier run left charged to the slot is neither the next run's headroom nor
  part of its peak;
- on v2, each kernel feature the backend uses has a fallback, run here by hiding the feature
  (memory.peak, cgroup.kill, clone3's CLONE_INTO_CGROUP)."""

from __future__ import annotations

import pytest

from ioi_grader.sandbox import SandboxPool, SandboxSettings
from ioi_grader.sandbox.box import cgroup_host
from test_supervisor import MIB, no_processes_left, py, run, sh

pytestmark = pytest.mark.docker

# Reads ~300 MB of the image's files after dropping them from the page cache, so that the
# kernel charges the pages to this run's slot; they stay charged when the run ends.
CHARGE_PAGE_CACHE = """
import glob, os
for path in glob.glob('/usr/include/x86_64-linux-gnu/c++/*/bits/stdc++.h.gch/*') + glob.glob('/usr/lib/gcc/x86_64-linux-gnu/*/cc1*'):
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    while os.read(fd, 1 << 20):
        pass
    os.close(fd)
"""

# A child whose main thread leaves with SYS_exit while another thread sleeps on: its leader
# is a zombie, its thread group is alive.
THREAD_OUTLIVES_LEADER = """
import ctypes, os, threading, time
if os.fork() == 0:
    threading.Thread(target=time.sleep, args=(1000,)).start()
    ctypes.CDLL(None).syscall(60, 0)
print('parent done')
"""


@pytest.fixture
def box(sandbox_pool):
    with sandbox_pool.run_box() as box:
        yield box


def test_the_box_runs_the_hosts_cgroup_version(box):
    answer = box.call({"op": "ping"}, timeout=10)
    assert answer["cgroup_version"] == cgroup_host(box.client).version
    assert {"memory", "pids"} <= set(answer["controllers"]) or {"memory", "pids", "cpuacct"} <= set(answer["controllers"])


def test_a_thread_that_outlives_its_leader_is_killed(box):
    response, out, _ = run(box, py(THREAD_OUTLIVES_LEADER), cpu=2)
    assert out.strip() == "parent done" and response.processes[0].ok
    assert response.leftover_processes >= 1  # the lingering thread was found and killed
    assert no_processes_left(box)


def test_leftover_page_cache_is_neither_headroom_nor_peak(box):
    assert run(box, py(CHARGE_PAGE_CACHE), cpu=10, memory=1024 * MIB)[0].processes[0].ok
    held = run(box, py("b = bytearray(100 << 20)"), memory=256 * MIB)[0].processes[0]
    assert held.ok and 100 * MIB <= held.memory < 130 * MIB  # its own 100 MiB, nothing left over
    assert run(box, py(CHARGE_PAGE_CACHE), cpu=10, memory=1024 * MIB)[0].processes[0].ok
    over = run(box, py("b = bytearray(300 << 20)"), memory=256 * MIB)[0].processes[0]
    assert over.oom_killed and over.memory <= 256 * MIB  # the leftover gave it no room


# -- cgroup v2 fallbacks -------------------------------------------------------------------------

HIDDEN = ["memory.peak", "cgroup.kill", "clone_into_cgroup"]


@pytest.fixture(scope="module")
def fallback_box(state_dir):
    from ioi_grader.sandbox.pool import docker_client

    if cgroup_host(docker_client()).version != 2:
        pytest.skip("cgroup v2 fallbacks: this host runs cgroup v1 (CI runs them in the cgroup v2 VM)")
    pool = SandboxPool(SandboxSettings(state_dir=state_dir / "fallback", run_boxes=1, cgroup_hide=HIDDEN)).start()
    try:
        with pool.run_box() as box:
            yield box
    finally:
        pool.close()


def test_fallbacks_are_in_use(fallback_box):
    answer = fallback_box.call({"op": "ping"}, timeout=10)
    assert answer["cgroup"]["hidden"] == sorted(HIDDEN) and answer["cgroup"]["features"] == []


def test_fallback_cpu_of_the_whole_tree(fallback_box):
    # The children are clone3'd nowhere special: they joined the run's leaf themselves.
    result = run(fallback_box, sh("(while :; do :; done) & (while :; do :; done) & wait"), cpu=0.5)[0].processes[0]
    assert result.cpu_exceeded and 0.5 <= result.cpu < 0.8
    assert no_processes_left(fallback_box)


def test_fallback_peak_memory_and_limit(fallback_box):
    # Without memory.peak the supervisor polls memory.current while the run runs.
    held = run(fallback_box, py("import time\nb = bytearray(100 << 20)\ntime.sleep(0.5)"),
               memory=256 * MIB)[0].processes[0]
    assert held.ok and 100 * MIB <= held.memory < 130 * MIB
    over = run(fallback_box, py("b = bytearray(300 << 20)"), memory=256 * MIB)[0].processes[0]
    assert over.oom_killed and over.memory == 256 * MIB  # memory.events says it reached the limit


def test_fallback_kill_without_cgroup_kill(fallback_box):
    response, _, _ = run(fallback_box, sh("sleep 100 & sleep 100 & echo started"))
    assert response.leftover_processes == 2
    response, _, _ = run(fallback_box, py(THREAD_OUTLIVES_LEADER), cpu=2)
    assert response.leftover_processes >= 1
    # The sleep outlasts the wall guard however the limits are scaled (as in the supervisor test).
    bomb, _, _ = run(fallback_box, sh("b() { b | b & }; b; sleep 1000"), cpu=1, wall=3, pids=32)
    assert not bomb.processes[0].ok or bomb.leftover_processes > 0
    assert no_processes_left(fallback_box)
