"""The supervisor's scratch wipe, on the host: whatever shape a run leaves behind (deeper than
Python's recursion limit or PATH_MAX, unreadable directories, symlinks out), it empties the
directory without following a link, or says it could not within its budget."""

from __future__ import annotations

import os
import sys

import pytest

from paths import REPO

sys.path.insert(0, str(REPO / "sandbox" / "image"))
import supervisor  # noqa: E402 - the in-image module, stdlib only


def nest(top, depth: int, unreadable_every: int = 0) -> None:
    """`depth` nested directories under `top`, made with fd-relative calls (the paths exceed
    PATH_MAX), each holding a file; every `unreadable_every`-th one mode 000."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    opened = []
    for level in range(depth):
        os.mkdir("d", 0o700, dir_fd=fd)
        os.close(os.open("f", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=fd))
        child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        opened.append((fd, level))
        fd = child
    os.close(fd)
    for parent, level in reversed(opened):
        if unreadable_every and level % unreadable_every == 0:
            os.chmod("d", 0, dir_fd=parent)
        os.close(parent)


def test_wipes_nesting_deeper_than_recursion_and_path_limits(tmp_path):
    nest(tmp_path, 5000, unreadable_every=7)  # 10000+ characters of path
    supervisor.wipe_dir(str(tmp_path), budget=60)
    assert os.listdir(tmp_path) == []


def test_wipes_wide_trees_and_never_follows_a_link(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("not the run's")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    for i in range(supervisor.SUBDIRS_REMEMBERED + 10):  # more than one scan remembers
        (scratch / f"wide{i}").mkdir()
    (scratch / "wide0" / "file").write_text("x")
    os.symlink(outside, scratch / "link")
    os.symlink(outside, scratch / "wide1" / "link")
    os.mkfifo(scratch / "fifo")
    supervisor.wipe_dir(str(scratch), budget=60)
    assert os.listdir(scratch) == []
    assert (outside / "keep").read_text() == "not the run's"


def test_gives_up_when_over_budget(tmp_path):
    nest(tmp_path, 3000)
    with pytest.raises(supervisor.WipeFailed, match="too long"):
        supervisor.wipe_dir(str(tmp_path), budget=0.0)
    supervisor.wipe_dir(str(tmp_path), budget=60)  # pytest's own cleanup of tmp_path recurses
