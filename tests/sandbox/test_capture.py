"""Captured streams (`Stream(capture=True)`), checked in the real sandbox: a run's stdout and
stderr come back to the worker as in-memory files (memfds passed over the box's socket), never
as a file in the box's I/O folder; they are held to the same size and shape bounds as an output
file; while the run lasts they count toward its memory, as on a tmpfs box; and once the box has
answered, what the worker keeps is charged to the worker, never to a later run of the slot."""

from __future__ import annotations

import os
import threading

import pytest
from ioi_grader.sandbox.base import CapturedFile
from ioi_grader.sandbox.box import SandboxError
from ioi_grader.sandbox.protocol import Limits, ProcessSpec, RunRequest, Stream, user_slot
from test_supervisor import py

pytestmark = pytest.mark.docker

MIB = 1 << 20


@pytest.fixture
def box(sandbox_pool):
    with sandbox_pool.run_box() as box:
        yield box


def captured_run(code: str, *, memory: int = 256 * MIB, fsize: int = 64 * MIB, **streams) -> RunRequest:
    return RunRequest(processes=[ProcessSpec(
        slot=user_slot(0), argv=py(code), stdout=Stream(capture=True), stderr=Stream(capture=True),
        limits=Limits(cpu=10, wall=21, memory=memory, fsize=fsize), **streams)])


def io_folder_files(box) -> set[str]:
    return {name for sub in ("out", "xfer") for name in os.listdir(os.path.join(box.host_dir, sub))}


def test_stdout_and_stderr_come_back_in_memory_and_never_touch_the_io_folder(box):
    before = io_folder_files(box)
    response = box.run(captured_run("import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)"))
    out, err = response.capture(0, "stdout"), response.capture(0, "stderr")
    assert response.processes[0].ok
    assert isinstance(out, CapturedFile) and out.read_bytes() == b"to stdout\n"
    assert err.read_text() == "to stderr\n"
    # Its path re-opens it for whatever opens files (a checker's input staged from it).
    with open(out, "rb") as handle:
        assert handle.read() == b"to stdout\n"
    assert io_folder_files(box) == before
    out.unlink()
    err.unlink()
    assert not out.exists()


def test_each_run_of_a_batch_gets_its_own_captures(box):
    runs = [dict(captured_run(f"print({i} * 1111)").model_dump(exclude_none=True), tag=f"t{i}") for i in range(5)]
    response = box.run_many(runs)
    assert [r.capture(0).read_text() for r in response.results] == [f"{i * 1111}\n" for i in range(5)]
    # A run that fails stops the batch: the runs after it never ran and have nothing captured.
    runs[2] = dict(captured_run("raise SystemExit(3)").model_dump(exclude_none=True), tag="t2")
    response = box.run_many(runs)
    assert len(response.results) == 3 and response.results[2].processes[0].exit_code == 3
    assert response.results[2].capture(0).read_bytes() == b""


def test_a_captured_stream_is_held_to_the_file_size_limit_and_the_shape_bounds(box):
    response = box.run(captured_run("import sys\nsys.stdout.write('x' * (4 << 20))", fsize=1 * MIB))
    result = response.processes[0]
    assert result.output_exceeded and not result.ok
    assert response.capture(0).size() <= 1 * MIB
    request = captured_run("print('y ' * 50)")
    request.processes[0].limits.max_tokens = 10
    result = box.run(request).processes[0]
    assert result.output_exceeded and result.output_limit_reason == "Output has more than 10 tokens"


def test_only_output_streams_can_be_captured(box):
    with pytest.raises(SandboxError, match="only stdout and stderr can be captured"):
        box.run(captured_run("pass", stdin=Stream(capture=True)))
    assert not box.broken  # a request error: the box serves on
    assert box.run(captured_run("print(1)")).processes[0].ok


PRINT_MIB = "import sys\nline = b'1234567 ' * 131071 + b'1234567\\n'\nfor _ in range({}): sys.stdout.buffer.write(line)"
HOLD_MIB = "a = bytearray({} << 20)\nfor i in range(0, len(a), 4096): a[i] = 1\n"


def test_a_captured_output_counts_toward_the_run_memory_and_not_toward_later_runs(box):
    # While it runs, what it printed is memory it holds (as on a tmpfs box): 100 MiB printed
    # and 100 MiB allocated make a peak above 200 MiB ...
    response = box.run(captured_run(HOLD_MIB.format(100) + PRINT_MIB.format(100), fsize=256 * MIB))
    result, held = response.processes[0], response.capture(0)
    assert result.ok and result.memory >= 200 * MIB and held.size() == 100 * MIB
    # ... and the two do not fit in 150 MiB together.
    over = box.run(captured_run(HOLD_MIB.format(100) + PRINT_MIB.format(100), memory=150 * MIB,
                                fsize=256 * MIB)).processes[0]
    assert over.oom_killed or over.memory >= 149 * MIB
    # The worker still holds the first run's 100 MiB of output, and frees it while the next run
    # of the slot sleeps: had those pages stayed charged to the slot, that run would start 100
    # MiB above its baseline, get them back mid-run, and hold 300 MiB under a 256 MiB limit
    # measured as 200. They are the worker's own copy: the run is held to its 256 MiB.
    assert held.size() == 100 * MIB
    threading.Timer(0.3, held.unlink).start()
    after = box.run(captured_run("import time\ntime.sleep(1)\n" + HOLD_MIB.format(300))).processes[0]
    assert after.oom_killed and not after.ok
    assert box.run(captured_run(HOLD_MIB.format(200))).processes[0].ok
