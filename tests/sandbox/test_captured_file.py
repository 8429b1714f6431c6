"""`CapturedFile`, the worker's side of a captured stream, on plain memfds (no Docker): the copy
it takes of what a box handed back, read back byte for byte small or large, the path that
re-opens it, and freeing it."""

from __future__ import annotations

import os

import pytest
from ioi_grader.sandbox.base import CapturedFile


def memfd_with(data: bytes) -> int:
    fd = os.memfd_create("test", os.MFD_CLOEXEC)
    os.write(fd, data)
    os.lseek(fd, 3, os.SEEK_SET)  # the writer's offset is not where a copy starts
    return fd


def is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


@pytest.mark.parametrize("size", [0, 12, CapturedFile.SMALL, CapturedFile.SMALL + 1, 3 << 20])
def test_a_copy_holds_every_byte_and_the_original_is_closed(size, tmp_path):
    data = bytes(i % 251 for i in range(size))
    fd = memfd_with(data)
    captured = CapturedFile.copy_of(fd)
    assert not is_open(fd)
    assert captured.exists() and captured.size() == size
    assert captured.read_bytes() == data and captured.read_bytes(5) == data[:5]
    with open(captured, "rb") as handle:  # its path re-opens it, from the start
        assert handle.read() == data
    copy = CapturedFile.copy_of(memfd_with(data))
    copy.copy_to(target := tmp_path / "copy")
    assert target.read_bytes() == data
    captured.unlink()
    assert not captured.exists()
    with pytest.raises(ValueError):
        captured.path


def test_a_small_copy_becomes_a_file_only_when_its_path_is_asked_for():
    captured = CapturedFile.copy_of(memfd_with(b"42\n"))
    assert captured.fd == -1 and captured.read_text() == "42\n"
    path = captured.path
    assert captured.fd >= 0 and path == f"/proc/self/fd/{captured.fd}"
    fd = captured.fd
    captured.unlink()
    assert not is_open(fd)


def test_a_dropped_capture_is_freed_by_the_garbage_collector():
    captured = CapturedFile.copy_of(memfd_with(b"x" * (CapturedFile.SMALL + 1)))
    fd = captured.fd
    del captured
    assert not is_open(fd)
