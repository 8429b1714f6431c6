"""The problem store: the task folders a service serves, and the uploads it accepts.

Every process (API, each worker) holds its own `ProblemStore` over the same folders and
finds problems uploaded after it started by rescanning when asked for an unknown id.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from .loader import detect_format, load_problem
from .model import Problem, ProblemFormatError

MAX_ARCHIVE_MEMBERS = 100_000
MAX_UNPACKED_BYTES = 4 << 30


class UnknownProblem(KeyError):
    def __str__(self) -> str:
        return f"unknown problem {self.args[0]!r}"


class ProblemExists(ValueError):
    pass


class ProblemStore:
    def __init__(self, directories: list[Path], upload_dir: Path | None = None):
        self.directories = [Path(d) for d in directories]
        self.upload_dir = Path(upload_dir) if upload_dir else None
        if self.upload_dir is not None:
            self.upload_dir.mkdir(parents=True, exist_ok=True)
        self._problems: dict[str, Problem] = {}
        self._folders: dict[str, Path] = {}
        self._lock = threading.Lock()
        self.reload()

    def _roots(self) -> list[Path]:
        roots = list(self.directories)
        if self.upload_dir is not None and self.upload_dir not in roots:
            roots.append(self.upload_dir)
        return roots

    def reload(self) -> None:
        """Scan every root. A malformed folder fails loudly: serving a partial store silently is worse."""
        problems: dict[str, Problem] = {}
        folders: dict[str, Path] = {}
        for root in self._roots():
            if not root.is_dir():
                raise ProblemFormatError(root, "problem directory does not exist")
            for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
                problem = load_problem(folder)
                if problem.id in problems:
                    raise ProblemFormatError(folder, f"duplicate problem id {problem.id!r} (also {folders[problem.id]})")
                problems[problem.id] = problem
                folders[problem.id] = folder
        with self._lock:
            self._problems, self._folders = problems, folders

    def get(self, problem_id: str) -> Problem:
        with self._lock:
            problem = self._problems.get(problem_id)
        if problem is None and self.upload_dir is not None:
            candidate = self.upload_dir / problem_id
            if candidate.is_dir():  # uploaded through another process since we last looked
                problem = load_problem(candidate)
                with self._lock:
                    self._problems[problem.id] = problem
                    self._folders[problem.id] = candidate
        if problem is None:
            raise UnknownProblem(problem_id)
        return problem

    def find(self, problem_id: str | None = None, year: int | None = None, task: str | None = None) -> Problem:
        """Resolve a problem by id, or by an open-r1 row's (year, id)."""
        if problem_id:
            return self.get(problem_id)
        if task:
            with self._lock:
                matches = [p for p in self._problems.values() if p.id == task and (year is None or p.year in (None, year))]
                if not matches and year is not None:
                    matches = [p for p in self._problems.values() if p.id in (f"ioi{year}-{task}", f"{year}-{task}")]
            if matches:
                return matches[0]
            raise UnknownProblem(f"{year}-{task}" if year else task)
        raise UnknownProblem("")

    def folder(self, problem_id: str) -> Path:
        """The task folder a problem was loaded from."""
        self.get(problem_id)
        with self._lock:
            return self._folders[problem_id]

    def all(self) -> list[Problem]:
        with self._lock:
            return sorted(self._problems.values(), key=lambda p: p.id)

    # -- uploads -------------------------------------------------------------------------------

    def add_archive(self, data: bytes, filename: str = "upload", replace: bool = False) -> Problem:
        """Validate an uploaded .zip or .tar(.gz) TPS/Kattis package and add it to the store.

        The package is unpacked into a private temporary folder, loaded (so a malformed
        package is refused with the loader's message), then moved into place atomically.
        With `replace`, an uploaded problem of the same id is replaced (a new version: jobs
        already queued keep grading with the version they were queued with).
        """
        if self.upload_dir is None:
            raise ProblemFormatError(filename, "this server accepts no uploads (no upload directory)")
        staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=self.upload_dir))
        try:
            _unpack(data, filename, staging)
            root = _package_root(staging, filename)
            detect_format(root)
            problem = load_problem(root)
            with self._lock:
                target = self.upload_dir / problem.id
                exists = problem.id in self._problems or target.exists()
                if exists and not replace:
                    raise ProblemExists(f"problem {problem.id!r} already exists")
                if exists and self._folders.get(problem.id, target) != target:
                    raise ProblemExists(f"problem {problem.id!r} is served from {self._folders[problem.id]}, "
                                        "not from uploads: it cannot be replaced by an upload")
                if exists:
                    old = staging / ".replaced"
                    os.replace(target, old)
                os.replace(root, target)
            problem = load_problem(target)
            with self._lock:
                self._problems[problem.id] = problem
                self._folders[problem.id] = target
            return problem
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _safe_member(name: str, filename: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise ProblemFormatError(filename, f"archive member {name!r} escapes the package")
    return path


@dataclass(frozen=True)
class _Member:
    """One archive entry, whatever the archive format."""

    name: str
    size: int
    is_dir: bool
    open: Callable[[], IO[bytes]]


def _unpack(data: bytes, filename: str, dest: Path) -> None:
    buffer = io.BytesIO(data)
    if zipfile.is_zipfile(buffer):
        with zipfile.ZipFile(buffer) as archive:
            members = [
                _Member(m.filename, m.file_size, m.is_dir(), lambda m=m: archive.open(m))
                for m in archive.infolist()
            ]
            _extract(members, filename, dest)
        return
    buffer.seek(0)
    try:
        archive = tarfile.open(fileobj=buffer, mode="r:*")
    except tarfile.TarError:
        raise ProblemFormatError(filename, "not a .zip, .tar or .tar.gz archive") from None
    with archive:
        members = []
        for m in archive.getmembers():
            if not (m.isfile() or m.isdir()):  # links and devices could point outside the package
                raise ProblemFormatError(filename, f"archive member {m.name!r} is not a plain file or folder")
            members.append(_Member(m.name, m.size, m.isdir(), lambda m=m: archive.extractfile(m)))
        _extract(members, filename, dest)


def _extract(members: list[_Member], filename: str, dest: Path) -> None:
    """Write `members` under `dest`, refusing paths that escape it and archives that are too big."""
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise ProblemFormatError(filename, "archive has too many files")
    total = 0
    for member in members:
        path = _safe_member(member.name, filename)
        total += member.size
        if total > MAX_UNPACKED_BYTES:
            raise ProblemFormatError(filename, "archive unpacks to more than 4 GiB")
        if member.is_dir:
            (dest / path).mkdir(parents=True, exist_ok=True)
            continue
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        with member.open() as src, open(dest / path, "wb") as out:
            shutil.copyfileobj(src, out)


def _package_root(staging: Path, filename: str) -> Path:
    """The folder holding problem.json / problem.yaml: the archive root or its single folder."""
    if (staging / "problem.json").exists() or (staging / "problem.yaml").exists():
        packaged = staging / ".package"
        packaged.mkdir()
        for entry in list(staging.iterdir()):
            if entry != packaged:
                os.replace(entry, packaged / entry.name)
        return packaged
    children = [p for p in staging.iterdir() if not p.name.startswith(".")]
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    raise ProblemFormatError(filename, "no problem.json (TPS) or problem.yaml (Kattis) at the archive root")
