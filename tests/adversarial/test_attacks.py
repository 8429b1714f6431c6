"""Adversarial submissions (what a model under reward pressure tries): each must score 0 with
the verdict it earns, and leave nothing behind. Every attack's `sum()` answers right only if
the attack worked, so an accepted test is a breach. After each one: every test of the
submission got an allowed verdict (so no test influenced the next), no process of a sandbox
uid is left in a box, the next submission grades normally, and the host's disk and memory
are back."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from ioi_grader.grading.results import TestStatus
from ioi_grader.grading.submission import GradeOptions, Submission
from ioi_grader.problems.tps import load_tps
from ioi_grader.sandbox.box import LABEL_OWNER, owner_token
from paths import EXAMPLES, FIXTURES

pytestmark = pytest.mark.docker

ATTACKS = Path(__file__).resolve().parent / "attacks"
SUBTASK = "02-bZero"  # 6 tests, 30 points
MIB = 1 << 20
SANDBOX_UIDS = range(60000, 60100)

S = TestStatus
# attack -> (allowed statuses, grading options); every one must score 0.
EXPECTED: dict[str, tuple[set[TestStatus], dict]] = {
    "read_answers_by_path": ({S.WA}, {}),
    "read_answers_via_proc": ({S.WA}, {}),
    "include_absolute": ({S.CE}, {}),
    "include_relative": ({S.CE}, {}),
    "include_proc_fd": ({S.CE}, {}),
    "incbin_answers": ({S.CE}, {}),
    "include_recursion_bomb": ({S.CE}, {}),
    "template_bomb": ({S.CE}, {"compile_time_limit": 5}),
    "huge_static_array": ({S.CE}, {"compile_time_limit": 20}),
    "fork_bomb": ({S.TLE, S.RE}, {}),
    "thread_spin": ({S.TLE}, {}),
    "malloc_unbounded": ({S.MLE}, {"memory_limit": 256 * MIB}),
    "stack_overflow": ({S.RE, S.MLE}, {"memory_limit": 256 * MIB}),
    "output_flood": ({S.RE}, {}),
    "scratch_flood": ({S.RE, S.WA, S.MLE}, {}),
    "sleep_forever": ({S.TLE}, {}),
    "sockets": ({S.WA}, {}),
    "ptrace_and_kill": ({S.WA}, {}),
    "daemon": ({S.WA}, {}),
    "write_outside": ({S.WA}, {}),
    "worker_secrets": ({S.WA}, {}),
    # Issue 9: state carried between tests, ungradable leftovers, output a checker cannot
    # afford, cheap compile-time denial, namespaces.
    "persist_mqueue": ({S.WA}, {}),
    "persist_elsewhere": ({S.WA}, {}),
    "nested_dirs": ({S.WA}, {}),
    "nested_dirs_deep": ({S.WA, S.TLE, S.RE}, {}),  # RE only if its wipe outlasts the budget
    "checker_long_line": ({S.RE}, {}),
    "checker_token_flood": ({S.RE}, {}),
    "include_device": ({S.CE}, {}),
    "include_own_pipe": ({S.CE}, {}),
    "incbin_device": ({S.CE}, {}),
    "namespaces": ({S.WA}, {}),
}
# Compile-time attacks fail for the right reason: the compiler says why.
COMPILE_REASON = {
    "include_absolute": r"/io/ctl\.sock.*(Permission denied|No such file)",
    "include_relative": r"checker/checker\.cpp: No such file",
    "include_proc_fd": r"/proc/self/fd/\d|#include nested depth",
    "incbin_answers": r"/io/ctl\.sock",
    "include_recursion_bomb": r"#include nested depth",
    "template_bomb": r"exceeded the (time|memory) limit|memory exhausted|template instantiation depth",
    "huge_static_array": r"exceeded the (time|memory) limit|File size limit|file too large|No space|relocation|truncated",
    # Refused at once, with the reason, rather than stopped by the wall-clock guard.
    "include_device": r"refused to open /dev/ptmx: not a regular file",
    "include_own_pipe": r"refused to open /dev/stdout: not a regular file",
    "incbin_device": r"refused to open /dev/ptmx: not a regular file",
}
# The grader-side cheats of the fixtures: exiting before the grader's checks, faking its output.
FIXTURE_CHEATS = ["cheat_exit.cpp", "cheat_quick_exit.cpp", "cheat_fake_ok.cpp", "cheat_scan_secret.cpp"]


def attack_source(name: str) -> str:
    """The attack with the shared `common.h` inlined (a submission is one file)."""
    common = (ATTACKS / "common.h").read_text()
    return (ATTACKS / f"{name}.cpp").read_text().replace('#include "common.h"', common)


def our_pid_namespaces() -> set[str]:
    """The pid namespaces of this test session's boxes. A box's processes cannot leave its
    namespace, and a namespace dies with its box, so a survivor of a run is found in one of them
    (and sandbox-uid processes of another grader on the same host are not mistaken for ours)."""
    import docker

    found = set()
    for container in docker.from_env().containers.list(filters={"label": f"{LABEL_OWNER}={owner_token()}"}):
        try:
            found.add(os.readlink(f"/proc/{container.attrs['State']['Pid']}/ns/pid"))
        except OSError:
            pass
    return found


def sandbox_processes() -> list[str]:
    """Processes of this session's boxes running as a sandbox uid, as 'pid:comm'."""
    ours = our_pid_namespaces()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in SANDBOX_UIDS and os.readlink(entry / "ns" / "pid") in ours:
                    found.append(f"{entry.name}:{(entry / 'comm').read_text().strip()}")
            except OSError:
                pass
    return found


def meminfo(field: str) -> int:
    for line in open("/proc/meminfo"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


@pytest.fixture(scope="module")
def aplusb():
    return load_tps(EXAMPLES / "aplusb")


@pytest.fixture(scope="module")
def correct():
    return Submission(code=(FIXTURES / "solutions" / "aplusb" / "correct.cpp").read_text())


def check_attack(grader, aplusb, correct, code: str, allowed: set[TestStatus], options: dict, state_dir: Path):
    disk_before = shutil.disk_usage(state_dir).used
    shmem_before, available_before = meminfo("Shmem"), meminfo("MemAvailable")
    result = grader.grade(aplusb, Submission(code=code), GradeOptions(subtasks=[SUBTASK], **options))
    statuses = {t.status for t in result.tests.values()}
    assert result.score == 0, f"breach: {[(t.name, t.status.value, t.message) for t in result.tests.values()]}"
    assert statuses <= allowed, f"expected {sorted(s.value for s in allowed)}, got {sorted(s.value for s in statuses)}"
    assert len(result.tests) == 6
    # Nothing outlives the submission, and the next one is graded as if nothing happened.
    assert sandbox_processes() == []
    after = grader.grade(aplusb, correct, GradeOptions(subtasks=[SUBTASK]))
    assert after.score == 30 and {t.status for t in after.tests.values()} == {TestStatus.AC}
    assert shutil.disk_usage(state_dir).used - disk_before < 64 * MIB
    assert meminfo("Shmem") - shmem_before < 64 * MIB  # scratch tmpfs emptied
    assert available_before - meminfo("MemAvailable") < 1024 * MIB
    return result


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_attack(grader, aplusb, correct, state_dir, name):
    allowed, options = EXPECTED[name]
    result = check_attack(grader, aplusb, correct, attack_source(name), allowed, options, state_dir)
    if S.CE in allowed:
        assert re.search(COMPILE_REASON[name], result.compile.message, re.S), result.compile.message[-600:]
        assert len(result.compile.message) <= 4100  # bounded


@pytest.mark.parametrize("name", FIXTURE_CHEATS)
def test_grader_side_cheats(grader, aplusb, correct, state_dir, name):
    code = (FIXTURES / "solutions" / "aplusb" / name).read_text()
    check_attack(grader, aplusb, correct, code, {S.WA}, {}, state_dir)


def test_attack_files_are_all_covered():
    on_disk = {p.stem for p in ATTACKS.glob("*.cpp")}
    assert on_disk == set(EXPECTED), on_disk ^ set(EXPECTED)


def test_no_sandbox_uid_is_a_host_user():
    # The sandbox uids must not collide with the worker's own, or DAC would stop protecting /io.
    assert os.getuid() not in SANDBOX_UIDS
