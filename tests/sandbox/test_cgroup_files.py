"""How a v1 slot touches its cgroup files, pinned without Docker: the supervisor's cgroup module
is plain Python, so these drive it on a temporary directory through a recording double of its
open files. What the kernel does with the writes is tested in the real sandbox
(test_cgroup_backend.py, test_supervisor.py)."""

from __future__ import annotations

import os

import pytest

from ioi_grader.sandbox.image import cgroups
from ioi_grader.sandbox.image.cgroups import LIMIT_SLACK, OpenFiles, V1SlotCgroup

MIB = 1 << 20


def test_open_files_read_whole_contents_and_write_at_the_start(tmp_path):
    path = tmp_path / "memory.usage_in_bytes"
    big = "x" * (OpenFiles.CHUNK * 2 + 5)  # longer than one read
    path.write_text(big)
    files = OpenFiles()
    assert files.read(str(path)) == big
    path.write_text("12345")  # same inode, new contents: the kept fd reads them
    assert files.read(str(path)) == "12345"
    files.write(str(path), "9")
    assert path.read_text() == "92345"  # at offset 0, whatever the last read's position
    files.close()
    assert files._fds == {}


@pytest.mark.parametrize("name", ["tasks", "cgroup.procs"])
def test_open_files_refuse_the_pid_lists(tmp_path, name):
    # An open v1 pid list keeps serving the list it loaded: a kept fd would miss new processes.
    (tmp_path / name).write_text("")
    with pytest.raises(ValueError, match="pid list"):
        OpenFiles().read(str(tmp_path / name))


class RecordingFiles:
    """Test double for OpenFiles: records writes, answers reads from a dict."""

    def __init__(self, values: dict[str, str]):
        self.values = values
        self.writes: list[tuple[str, str]] = []

    def read(self, path: str) -> str:
        return self.values[os.path.basename(path)]

    def write(self, path: str, value: str) -> None:
        self.writes.append((os.path.basename(path), value))

    def close(self) -> None:
        pass

    def limit_writes(self) -> list[tuple[str, str]]:
        return [(name, value) for name, value in self.writes if "limit_in_bytes" in name]


@pytest.fixture
def slot(tmp_path):
    controllers = {}
    for name in ("memory", "pids", "cpuacct"):
        controllers[name] = str(tmp_path / name)
        os.mkdir(controllers[name])
    os.mkdir(tmp_path / "memory" / "slot0")
    (tmp_path / "memory" / "slot0" / "memory.memsw.limit_in_bytes").write_text("")
    cgroup = V1SlotCgroup("slot0", controllers)
    assert cgroup.has_memsw
    cgroup.files = RecordingFiles({"memory.usage_in_bytes": str(2 * MIB), "memory.oom_control": "oom_kill 0\n"})
    cgroup.unreclaimable = 2 * MIB  # the spawner's pages: no forced reclaim
    return cgroup


def test_the_first_limit_is_written_on_both_sides_of_memsw(slot):
    slot.prepare(256 * MIB, 1, 1.0)
    limit = str(258 * MIB)
    assert slot.files.limit_writes() == [
        ("memory.limit_in_bytes", limit), ("memory.memsw.limit_in_bytes", limit), ("memory.limit_in_bytes", limit),
    ]


def test_a_rise_writes_memsw_first_and_a_fall_the_limit_first(slot):
    slot.prepare(256 * MIB, 1, 1.0)
    slot.files.writes.clear()
    slot.prepare(512 * MIB, 1, 1.0)
    assert [name for name, _ in slot.files.limit_writes()] == ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"]
    slot.files.writes.clear()
    slot.prepare(64 * MIB, 1, 1.0)
    assert [name for name, _ in slot.files.limit_writes()] == ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]


def test_the_limit_is_kept_while_the_leftover_grows_within_the_slack(slot):
    slot.prepare(256 * MIB, 1, 1.0)
    slot.files.writes.clear()
    slot.files.values["memory.usage_in_bytes"] = str(2 * MIB + LIMIT_SLACK)  # a few pages more
    slot.prepare(256 * MIB, 1, 1.0)
    assert slot.files.limit_writes() == []  # the limit stays 258 MiB: at most the slack below the budget
    assert slot.memory_baseline == 2 * MIB + LIMIT_SLACK  # the peak is still measured above it exactly
    slot.files.values["memory.usage_in_bytes"] = str(2 * MIB + LIMIT_SLACK + 4096)
    slot.prepare(256 * MIB, 1, 1.0)
    assert slot.files.limit_writes()[-1] == ("memory.limit_in_bytes", str(258 * MIB + LIMIT_SLACK + 4096))


def test_a_leftover_that_fell_always_rewrites_the_limit(slot):
    # Kept, the old limit would sit above the budget, and a run stopped there would report a
    # peak above its memory limit.
    slot.prepare(256 * MIB, 1, 1.0)
    slot.files.writes.clear()
    slot.files.values["memory.usage_in_bytes"] = str(2 * MIB - 4096)
    slot.prepare(256 * MIB, 1, 1.0)
    assert slot.files.limit_writes()[-1] == ("memory.memsw.limit_in_bytes", str(258 * MIB - 4096))
    assert ("memory.limit_in_bytes", str(258 * MIB - 4096)) in slot.files.limit_writes()


def test_every_run_resets_the_counters_it_reads(slot):
    slot.prepare(256 * MIB, 1, 1.0)
    slot.prepare(256 * MIB, 1, 1.0)
    resets = [name for name, value in slot.files.writes if value == "0"]
    assert resets == ["cpuacct.usage", "memory.max_usage_in_bytes"] * 2
    assert cgroups.RECLAIM_SLACK >= LIMIT_SLACK  # a kept limit never outlasts a skipped reclaim's margin


class Spawner:
    pid = 7


def test_the_spawner_alone_in_the_pids_count_needs_no_listing(slot, tmp_path):
    slot.spawner = Spawner()
    slot.files.values["pids.current"] = "1"  # the pid lists do not even exist here
    assert slot.members() == set()
    slot.files.values["pids.current"] = "3"
    (tmp_path / "pids" / "slot0" / "cgroup.procs").write_text("7\n12\n")
    (tmp_path / "pids" / "slot0" / "tasks").write_text("7\n12\n13\n")
    assert slot.members() == {12, 13}
