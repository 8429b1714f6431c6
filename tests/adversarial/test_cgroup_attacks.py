"""Attacks on the cgroup backend's two promises, the same on cgroup v1 and v2:

- "empty" means empty: a process whose leader exited while another of its threads runs is a
  zombie by its own account, yet alive; it must not outlive its test (the slot is judged
  empty from the kernel's listing of every thread, never from the state a process claims);
- memory accounting a run cannot skew: page cache an earlier run left charged to the slot is
  neither headroom for the next run (its limit is the task's) nor part of its peak.

Each attack answers right only if it worked (see attacks/common.h), and gets the checks of
test_attacks.check_attack: a 0 score with the verdict it earns, nothing alive afterwards, the
next submission graded normally, the host's disk and memory back."""

from __future__ import annotations

from pathlib import Path

import pytest

from ioi_grader.grading.results import TestStatus
from test_attacks import ATTACKS, MIB, aplusb, check_attack, correct  # noqa: F401 - fixtures

pytestmark = pytest.mark.docker

CGROUP_ATTACKS = Path(__file__).resolve().parent / "cgroup_attacks"
S = TestStatus
HEADROOM_OPTIONS = {"memory_limit": 256 * MIB, "time_limit": 10}
EXPECTED: dict[str, tuple[set[TestStatus], dict]] = {
    "thread_outlives_leader": ({S.WA}, {}),
    "thread_outlives_leader_daemon": ({S.WA}, {}),
    "thread_outlives_leader_tamper": ({S.WA}, {}),
    # A child is OOM-killed in every test: the test is MLE even though its main process exits.
    # Each test then reads ~300 MB through its 256 MiB cgroup, which is reclaim-bound kernel
    # time: under the CI VM's emulation it once outran aplusb's 1 s limit (scaled to 2 s) and
    # the test was TLE. These attacks are about memory, so time is given room.
    "memory_cache_headroom": ({S.MLE}, HEADROOM_OPTIONS),
    "memory_cache_headroom_mmap": ({S.MLE}, HEADROOM_OPTIONS),
    "memory_cache_headroom_background": ({S.MLE}, HEADROOM_OPTIONS),
}


def cgroup_attack_source(name: str) -> str:
    """The attack with its headers inlined (a submission is one file)."""
    code = (CGROUP_ATTACKS / f"{name}.cpp").read_text()
    code = code.replace('#include "common.h"', (ATTACKS / "common.h").read_text())
    for header in ("survivors.h", "memory.h"):
        code = code.replace(f'#include "{header}"', (CGROUP_ATTACKS / header).read_text())
    return code


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cgroup_attack(grader, aplusb, correct, state_dir, name):  # noqa: F811 - fixtures
    allowed, options = EXPECTED[name]
    check_attack(grader, aplusb, correct, cgroup_attack_source(name), allowed, options, state_dir)


def test_cgroup_attack_files_are_all_covered():
    assert {p.stem for p in CGROUP_ATTACKS.glob("*.cpp")} == set(EXPECTED)
