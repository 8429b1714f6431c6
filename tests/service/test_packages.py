"""Problem packages through a real Redis, and a worker host's LRU problem cache."""

from __future__ import annotations

import fcntl
import shutil
import threading

import pytest

from ioi_grader.problems.package import content_hash
from ioi_grader.workers.packages import (
    CHUNK_KEY,
    MANIFEST_KEY,
    PackageChanged,
    PackageCorrupt,
    PackageUnavailable,
    RedisPackages,
)
from ioi_grader.workers.problem_cache import ProblemCache, parse_size
from paths import EXAMPLES

pytestmark = [pytest.mark.redis]


@pytest.fixture
def redis(redis_server):
    client = redis_server.client()
    yield client
    for key in client.scan_iter(match="ioi:pkg:*"):
        client.delete(key)


def make_task(tmp_path, name="aplusb", extra: str = ""):
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / "aplusb", folder)
    if extra:
        (folder / "tests" / "0-01.out").write_text((folder / "tests" / "0-01.out").read_text() + extra)
    return folder


def test_publish_then_fetch_gives_the_same_version(redis, tmp_path):
    folder = make_task(tmp_path)
    version = content_hash(folder).content_hash
    packages = RedisPackages(redis, ttl=600)
    manifest = packages.publish("aplusb", folder, version)
    assert manifest.content_hash == version and len(manifest.chunk_sha256) >= 1
    assert 0 < redis.ttl(MANIFEST_KEY.format(version)) <= 600
    assert packages.publish("aplusb", folder, version) == manifest  # idempotent
    received = []
    fetched = packages.fetch(version, tmp_path / "fetched", received.append)
    assert fetched == tmp_path / "fetched" / "aplusb" and sum(received) == manifest.packed_bytes
    assert content_hash(fetched).content_hash == version
    assert (fetched / "problem.json").read_bytes() == (folder / "problem.json").read_bytes()


def test_a_folder_that_changed_is_not_published_under_the_old_hash(redis, tmp_path):
    folder = make_task(tmp_path)
    stale = content_hash(folder).content_hash
    (folder / "tests" / "0-01.out").write_text("changed\n")
    with pytest.raises(PackageChanged):
        RedisPackages(redis).publish("aplusb", folder, stale)
    assert redis.get(MANIFEST_KEY.format(stale)) is None
    assert not list(redis.scan_iter(match=f"ioi:pkg:{stale}:*"))


def test_corrupt_or_missing_chunks_are_refused(redis, tmp_path):
    folder = make_task(tmp_path)
    version = content_hash(folder).content_hash
    packages = RedisPackages(redis)
    packages.publish("aplusb", folder, version)
    redis.set(CHUNK_KEY.format(version, 0), b"garbage")
    with pytest.raises(PackageCorrupt):
        packages.fetch(version, tmp_path / "a")
    redis.delete(CHUNK_KEY.format(version, 0))
    with pytest.raises(PackageUnavailable):
        packages.fetch(version, tmp_path / "b")
    with pytest.raises(PackageUnavailable, match="not published"):
        packages.fetch("0" * 64, tmp_path / "c")


def test_concurrent_publishers_publish_once(redis, tmp_path):
    folder = make_task(tmp_path)
    version = content_hash(folder).content_hash
    results = []
    threads = [threading.Thread(target=lambda: results.append(RedisPackages(redis).publish("aplusb", folder, version)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.published_at for r in results}) == 1


def test_the_cache_fetches_once_and_evicts_least_recently_used(redis, tmp_path):
    packages = RedisPackages(redis)
    versions = []
    for index in range(3):
        folder = make_task(tmp_path / f"v{index}", extra=f"variant {index}\n")
        versions.append(content_hash(folder).content_hash)
        packages.publish("aplusb", folder, versions[-1])
    fetches = []

    def fetch(version, dest, on_bytes):
        fetches.append(version)
        return packages.fetch(version, dest, on_bytes)

    one_entry = content_hash(tmp_path / "v0" / "aplusb").bytes
    cache = ProblemCache(tmp_path / "cache", max_bytes=int(one_entry * 2.5), fetch=fetch)
    for version in versions[:2]:
        pin = cache.pin("aplusb", version)
        assert pin.problem.id == "aplusb" and len(pin.problem.tests) == 17
        pin.release()
    cache.pin("aplusb", versions[0]).release()  # a hit: no fetch; and now the most recently used
    assert fetches == versions[:2]
    held = cache.pin("aplusb", versions[0])  # in use while the third arrives
    third = cache.pin("aplusb", versions[2])
    assert set(cache.usage()) == {versions[0], versions[2]}  # versions[1] was least recently used
    third.release()
    # A pinned version is never evicted, even when the bound is exceeded.
    cache.max_bytes = 1
    assert cache.evict() == [versions[2]] and set(cache.usage()) == {versions[0]}
    held.release()
    with pytest.raises(PackageCorrupt, match="is problem 'aplusb'"):
        cache.pin("other", versions[0])


def test_a_version_pinned_by_another_process_is_not_evicted(redis, tmp_path):
    folder = make_task(tmp_path)
    version = content_hash(folder).content_hash
    packages = RedisPackages(redis)
    packages.publish("aplusb", folder, version)
    cache = ProblemCache(tmp_path / "cache", max_bytes=1, fetch=packages.fetch)
    cache.pin("aplusb", version).release()
    with open(tmp_path / "cache" / f"{version}.lock", "a+b") as other_process:
        fcntl.flock(other_process, fcntl.LOCK_SH)
        assert cache.evict() == []
    assert cache.evict() == [version]


def test_sizes_parse():
    assert parse_size("20GiB") == 20 << 30 and parse_size("512M") == 512 << 20 and parse_size("1000") == 1000
    with pytest.raises(ValueError):
        parse_size("lots")
