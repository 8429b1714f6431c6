"""`ioi-grader problems import`: datasets turned into a folder of task folders, streamed and resumable.

What every dataset kind shares lives here: the output folder (staging, atomic commit, skipping
versions already imported with the same content hash), the resumable state, progress reporting,
and reading parquet one row group and one column at a time. A dataset kind is one class that
subclasses `DatasetImporter` and registers itself with `register`; `problems/openr1_import.py`
is the open-r1 IOI kind. A Codeforces kind adds its own file the same way.

Output layout::

    DIR/<name>/             one task folder per problem (what `serve --problems DIR` loads)
    DIR/.ioi-import.json    what was imported from what, to skip it next time
    DIR/.staging/<name>/    a problem being assembled; kept across interruptions to resume
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TextIO

from .loader import load_problem
from .model import ProblemFormatError
from .package import PackageIndex

STATE_FILE = ".ioi-import.json"
STAGING = ".staging"
JOURNAL = ".tests-done"  # in a staging folder: the tests fully written, one name per line
FINGERPRINT = ".fingerprint"  # in a staging folder: what it is being assembled from


class DatasetImportError(RuntimeError):
    """The import cannot go on: a wrong source or argument, or a source that broke (the message says which)."""


# -- progress ------------------------------------------------------------------------------------


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(count) < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


@dataclass
class Progress:
    """Counts and bytes on stderr: a line rewritten in place on a terminal, every few seconds
    otherwise; one line per finished problem."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    interval: float | None = None
    rows: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    label: str = ""
    started: float = field(default_factory=time.monotonic)
    _last: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        if self.interval is None:
            self.interval = 0.25 if self._tty else 5.0

    def begin(self, label: str, bytes_total: int = 0) -> None:
        self.label, self.rows, self.bytes_done, self.bytes_total = label, 0, 0, bytes_total
        self.started = self._last = time.monotonic()

    def advance(self, rows: int = 0, nbytes: int = 0) -> None:
        self.rows += rows
        self.bytes_done += nbytes
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._print(self._line(), transient=True)

    def _line(self) -> str:
        elapsed = max(1e-6, time.monotonic() - self.started)
        total = f" of {human_bytes(self.bytes_total)} ({100 * self.bytes_done / self.bytes_total:.0f}%)" \
            if self.bytes_total else ""
        return (f"{self.label}: {self.rows} rows, {human_bytes(self.bytes_done)}{total}, "
                f"{human_bytes(self.bytes_done / elapsed)}/s")

    def note(self, message: str) -> None:
        self._print(message, transient=False)

    def outcome(self, name: str, outcome: str, detail: str = "") -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self.note(f"  {name}: {outcome}{' (' + detail + ')' if detail else ''}")

    def finish_stage(self) -> None:
        if self.rows or self.bytes_done:
            self._print(self._line(), transient=False)

    def _print(self, text: str, transient: bool) -> None:
        if self._tty:
            end = "\r" if transient else "\n"
            self.stream.write("\x1b[2K" + text + end)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


# -- output folder -------------------------------------------------------------------------------


class ImportOutput:
    """The output folder: task folders, their staging areas and the import state."""

    def __init__(self, root: Path, index: PackageIndex | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.index = index or PackageIndex(recheck_after=0, write_sidecars=True)
        self._state_path = self.root / STATE_FILE
        try:
            self.state: dict[str, Any] = json.loads(self._state_path.read_text())
        except (OSError, ValueError):
            self.state = {}
        self.state.setdefault("format", 1)
        self.state.setdefault("problems", {})
        self.state.setdefault("imports", {})

    def save(self) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=STATE_FILE + ".", suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump(self.state, handle, indent=1, sort_keys=True)
        os.replace(tmp, self._state_path)

    # A problem is skipped without reading its source when the state records it imported from
    # the same fingerprint and the folder still holds that content.
    def up_to_date(self, name: str, fingerprint: str) -> bool:
        entry = self.state["problems"].get(name)
        folder = self.root / name
        if not entry or entry.get("fingerprint") != fingerprint or not folder.is_dir():
            return False
        try:
            return self.index.content_hash(folder) == entry.get("content_hash")
        except (OSError, ProblemFormatError):
            return False

    def staging(self, name: str, fingerprint: str) -> Path:
        """The problem's staging folder, resumed when it was started from the same source."""
        folder = self.root / STAGING / name
        marker = folder / FINGERPRINT
        try:
            if marker.read_text() == fingerprint:
                return folder
        except OSError:
            pass
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        marker.write_text(fingerprint)
        return folder

    def discard(self, name: str) -> None:
        shutil.rmtree(self.root / STAGING / name, ignore_errors=True)

    def commit(self, name: str, fingerprint: str, staging: Path, kind: str) -> tuple[str, str]:
        """Validate the staged folder and put it in place unless the same content is already
        there; returns ("imported" | "unchanged", content hash)."""
        for hidden in (FINGERPRINT, JOURNAL):
            (staging / hidden).unlink(missing_ok=True)
        load_problem(staging)  # refuse to publish what `serve` could not load
        new_hash = self.index.content_hash(staging)
        final = self.root / name
        outcome = "imported"
        old_hash = None
        if final.is_dir():
            try:
                old_hash = self.index.content_hash(final)
            except (OSError, ProblemFormatError):
                old_hash = None
        if old_hash == new_hash:
            outcome = "unchanged"  # keep the folder as it is: same version, nothing to republish
            shutil.rmtree(staging, ignore_errors=True)
        else:
            if final.exists():
                trash = Path(tempfile.mkdtemp(prefix=".trash-", dir=self.root))
                os.replace(final, trash / name)
                os.replace(staging, final)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.replace(staging, final)
            self.index.forget(staging)
        self.state["problems"][name] = {"fingerprint": fingerprint, "content_hash": new_hash, "kind": kind,
                                        "imported_at": time.time()}
        self.save()
        return outcome, new_hash


def write_file_atomic(path: Path, data: bytes | memoryview) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fingerprint_of(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def file_fingerprint(paths: Iterable[Path]) -> list[tuple[str, int, int]]:
    found = []
    for path in paths:
        info = path.stat()
        found.append((str(path.resolve()), info.st_size, info.st_mtime_ns))
    return found


# -- parquet, a row group and a column at a time -------------------------------------------------


@dataclass
class RowGroup:
    file: Path
    index: int
    rows: int
    bytes: int  # uncompressed


def row_groups(files: Iterable[Path]) -> list[RowGroup]:
    import pyarrow.parquet as pq

    groups = []
    for file in files:
        metadata = pq.ParquetFile(file).metadata
        for index in range(metadata.num_row_groups):
            group = metadata.row_group(index)
            groups.append(RowGroup(file, index, group.num_rows, group.total_byte_size))
    return groups


def parquet_columns(file: Path) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.ParquetFile(file).schema_arrow.names)


def read_column(group: RowGroup, column: str) -> Any:
    """One column of one row group as an Arrow array (the unit of memory an import holds)."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(group.file, pre_buffer=False).read_row_group(group.index, columns=[column])
    return table.column(0).combine_chunks()


def arrow_bytes(array: Any, index: int) -> memoryview | None:
    """The raw bytes of a string/binary value, without decoding it into a Python str."""
    scalar = array[index]
    if not scalar.is_valid:
        return None
    return memoryview(scalar.as_buffer())


def iter_slices(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(total, start + size))


# -- dataset kinds -------------------------------------------------------------------------------


class DatasetImporter(ABC):
    """One kind of dataset (open-r1/ioi, ...). Constructed from the command's arguments; a kind
    ignores those it has no use for."""

    kind: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def __init__(self, source: str, *, tests: str | None = None, years: Iterable[int] | None = None,
                 split: str | None = None, problem_ids: Iterable[str] | None = None): ...

    @classmethod
    @abstractmethod
    def recognizes(cls, source: str) -> bool:
        """Whether `source` (a hub id or a local path) is a dataset of this kind."""

    @abstractmethod
    def run(self, out: ImportOutput, progress: Progress) -> dict[str, int]:
        """Import into `out`; returns the count of problems per outcome."""


def source_is_dataset(source: str, columns: Iterable[str], hub_suffix: str) -> bool:
    """Whether `source` is a dataset of a kind: local parquet (a file, or the first file of a
    folder) holding `columns`, or a hub id ending in `hub_suffix` (e.g. "/ioi")."""
    local = Path(source).expanduser()
    if local.exists():
        from .openr1 import _parquet_files  # noqa: PLC0415 - openr1 imports this module

        try:
            found = parquet_columns(Path(_parquet_files(local, None)[0]))
        except (ProblemFormatError, OSError, ValueError):
            return False
        return set(columns) <= set(found)
    return source.rstrip("/").lower().endswith(hub_suffix)


IMPORTERS: dict[str, type[DatasetImporter]] = {}


def register(importer: type[DatasetImporter]) -> type[DatasetImporter]:
    IMPORTERS[importer.kind] = importer
    return importer


def importer_kind(source: str, kind: str | None = None) -> type[DatasetImporter]:
    from . import codeforces_import, openr1_import  # noqa: F401 - each registers its kind

    if kind is not None:
        if kind not in IMPORTERS:
            raise DatasetImportError(f"unknown dataset kind {kind!r}; known: {', '.join(sorted(IMPORTERS))}")
        return IMPORTERS[kind]
    for importer in IMPORTERS.values():
        if importer.recognizes(source):
            return importer
    raise DatasetImportError(f"{source}: not a dataset this command knows ({', '.join(sorted(IMPORTERS))}); "
                       "name its kind with --kind")


def import_datasets(source: str, out: str | os.PathLike[str], *, tests: str | None = None,
                    years: Iterable[int] | None = None, split: str | None = None,
                    problem_ids: Iterable[str] | None = None, kind: str | None = None,
                    progress: Progress | None = None) -> dict[str, int]:
    """`ioi-grader problems import`, as a function; returns the count of problems per outcome."""
    importer = importer_kind(source, kind)(source, tests=tests, years=years, split=split, problem_ids=problem_ids)
    return importer.run(ImportOutput(Path(out)), progress or Progress())
