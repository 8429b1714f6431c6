"""Content hashes and packages of task folders (pure: files on disk, no Redis)."""

from __future__ import annotations

import io
import os
import tarfile
import time
from pathlib import Path

import pytest

from ioi_grader.problems.model import ProblemFormatError
from ioi_grader.problems.package import (
    HASH_SIDECAR,
    PackageIndex,
    content_hash,
    package_files,
    unpack_package,
    write_package,
)
from problem_loader_helpers import FISH


def folder(tmp_path: Path, files: dict[str, str], where: str = "here", name: str = "task") -> Path:
    root = tmp_path / where / name
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_the_hash_covers_every_file_and_only_the_files(tmp_path):
    base = {"problem.json": "{}", "tests/1.in": "1\n", "tests/1.out": "2\n"}
    one = content_hash(folder(tmp_path, base, "one")).content_hash
    assert content_hash(folder(tmp_path, base, "two")).content_hash == one  # location does not matter
    assert content_hash(folder(tmp_path, base, "two", name="other")).content_hash != one  # the name does
    assert content_hash(folder(tmp_path, {**base, "tests/1.out": "3\n"}, "three")).content_hash != one
    assert content_hash(folder(tmp_path, {**base, "tests/2.in": ""}, "four")).content_hash != one
    renamed = {"problem.json": "{}", "tests/1.in": "1\n", "tests/one.out": "2\n"}
    assert content_hash(folder(tmp_path, renamed, "five")).content_hash != one
    hidden = folder(tmp_path, {**base, ".cache/x": "y", HASH_SIDECAR: "{}"}, "six")
    assert content_hash(hidden).content_hash == one  # hidden bookkeeping is not part of a package


def test_links_are_followed_so_linked_data_is_packed(tmp_path):
    data = folder(tmp_path, {"1.in": "1\n", "1.out": "2\n"}, "data")
    linked = tmp_path / "linked" / "task"
    linked.mkdir(parents=True)
    (linked / "problem.json").write_text("{}")
    os.symlink(data, linked / "tests")
    copied = folder(tmp_path, {"problem.json": "{}", "tests/1.in": "1\n", "tests/1.out": "2\n"}, "copied")
    assert content_hash(linked) == content_hash(copied)
    os.symlink(tmp_path / "missing", linked / "dangling")
    with pytest.raises(ProblemFormatError, match="dangling"):
        package_files(linked)


def test_a_package_unpacks_to_the_same_content(tmp_path):
    source = folder(tmp_path, {"problem.json": "{}", "a/b/c.txt": "x" * 100_000, "empty": ""})
    buffer = io.BytesIO()
    written = write_package(source, buffer)
    assert written == content_hash(source)
    buffer.seek(0)
    dest = tmp_path / "out" / "task"
    assert unpack_package(buffer, dest) == written
    assert (dest / "a/b/c.txt").read_text() == "x" * 100_000


def test_the_real_fish_package_round_trips(tmp_path):
    buffer = io.BytesIO()
    written = write_package(FISH, buffer)
    assert written.files > 400 and written.bytes > 100 << 20
    assert buffer.tell() < written.bytes / 2  # test data compresses
    buffer.seek(0)
    assert unpack_package(buffer, tmp_path / FISH.name) == written == content_hash(tmp_path / FISH.name)


@pytest.mark.parametrize("member", ["../escape", "/abs", "a/../../b", ".hidden", "ok/.hidden"])
def test_unpack_refuses_escaping_or_hidden_members(tmp_path, member):
    buffer = io.BytesIO()
    import gzip

    with gzip.GzipFile(fileobj=buffer, mode="wb") as compressed, tarfile.open(fileobj=compressed, mode="w|") as tar:
        info = tarfile.TarInfo(member)
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    buffer.seek(0)
    with pytest.raises(ProblemFormatError):
        unpack_package(buffer, tmp_path / "out")
    assert not (tmp_path / "escape").exists()


def test_unpack_refuses_links(tmp_path):
    buffer = io.BytesIO()
    import gzip

    with gzip.GzipFile(fileobj=buffer, mode="wb") as compressed, tarfile.open(fileobj=compressed, mode="w|") as tar:
        info = tarfile.TarInfo("tests")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc"
        tar.addfile(info)
    buffer.seek(0)
    with pytest.raises(ProblemFormatError, match="plain file"):
        unpack_package(buffer, tmp_path / "out")


def test_the_index_rehashes_only_after_a_change(tmp_path):
    root = folder(tmp_path, {"problem.json": "{}", "tests/1.in": "1\n"})
    assert PackageIndex(recheck_after=0).content_hash(root) and not (root / HASH_SIDECAR).exists()  # read-only
    index = PackageIndex(recheck_after=0, write_sidecars=True)
    first = index.content_hash(root)
    assert (root / HASH_SIDECAR).is_file()
    assert PackageIndex().content_hash(root) == first  # a new process reads the sidecar
    time.sleep(0.01)
    (root / "tests/1.in").write_text("2\n")
    assert index.content_hash(root) != first
    # A folder replaced by another one (as an upload with replace does) is seen at once, even
    # within the recheck interval.
    slow = PackageIndex(recheck_after=3600)
    before = slow.content_hash(root)
    other = folder(tmp_path, {"problem.json": "{}", "tests/1.in": "3\n"}, "other")
    os.rename(root, tmp_path / "old-task")
    os.rename(other, root)
    assert slow.content_hash(root) != before
