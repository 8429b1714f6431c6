"""The API host's side of problems travelling with the work.

Before a job is queued, the API names the problem version it is for (the content hash of the
task folder as it is now) and makes sure that version's package is in Redis, so any worker on
any host can fetch exactly that version. Publishing is lazy (a version is published when a
job first needs it) and refreshed on later jobs, so Redis holds only the problems in use.
"""

from __future__ import annotations

import logging
import threading
import time

from ..problems.model import Problem
from ..problems.package import PackageIndex
from ..problems.store import ProblemStore
from ..workers.packages import PackageChanged, PackageManifest, RedisPackages

log = logging.getLogger(__name__)

KEEP_INTERVAL = 300.0  # seconds between expiry refreshes of a package already published


class ProblemPublisher:
    def __init__(self, problems: ProblemStore, packages: RedisPackages, index: PackageIndex | None = None):
        self.problems = problems
        self.packages = packages
        self.index = index or PackageIndex()
        self._published: dict[str, tuple[PackageManifest, float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def version(self, problem: Problem) -> str:
        """The content hash of the problem's folder as it is now."""
        return self.index.content_hash(self.problems.folder(problem.id))

    def ensure(self, problem: Problem) -> str:
        """Publish the problem's current version (once) and return its content hash."""
        for _ in range(3):
            folder = self.problems.folder(problem.id)
            version = self.index.content_hash(folder)
            with self._guard:
                lock = self._locks.setdefault(version, threading.Lock())
            with lock:
                known = self._published.get(version)
                now = time.monotonic()
                try:
                    # One cheap EXISTS per job: a Redis that lost its data (restarted without
                    # persistence) gets the package again before a job can name it.
                    present = known is not None and self.packages.published(version)
                    if present and now - known[1] < KEEP_INTERVAL:
                        return version
                    if present:
                        self.packages.keep(known[0])
                        manifest = known[0]
                    else:
                        manifest = self.packages.publish(problem.id, folder, version)
                except PackageChanged as error:
                    log.warning("%s changed while it was published: %s", problem.id, error)
                    self.index.forget(folder)
                    continue
                self._published[version] = (manifest, now)
                return version
        raise PackageChanged("", "the problem's folder keeps changing")
