"""The open-r1 IOI datasets as an import kind: `open-r1/ioi` + `open-r1/ioi-test-cases`.

`open-r1/ioi` (one row per subtask, a few MB) is read whole. `open-r1/ioi-test-cases` (one row
per test, one config per year, gigabytes) is streamed: from local parquet one row group and one
column at a time, skipping row groups that hold nothing still needed; from the hub through
`datasets`' streaming mode. Each test is written to the problem's staging folder as it arrives
and journalled, so an interrupted import resumes where it stopped. A problem whose rows and test
source are unchanged since it was imported is skipped without reading anything.

Each problem becomes the TPS folder `<year>-<id>` (problem.json carries the year, so the
reward endpoint resolves open-r1 rows by `year` and `id`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .importing import (
    JOURNAL,
    DatasetImporter,
    DatasetImportError,
    ImportOutput,
    Progress,
    RowGroup,
    file_fingerprint,
    fingerprint_of,
    human_bytes,
    read_column,
    register,
    row_groups,
    source_is_dataset,
    write_file_atomic,
)
from .model import ProblemFormatError
from .parquet_pages import Unsupported, iter_string_column
from .openr1 import (
    PROBLEM_COLUMNS,
    TEST_COLUMNS,
    _looks_local,
    _parquet_files,
    _safe_relative,
    check_id,
    needs_answers,
    openr1_task_files,
)

DEFAULT_TESTS = "open-r1/ioi-test-cases"


@dataclass
class _Pending:
    """A problem whose tests are being streamed into its staging folder."""

    name: str
    problem_id: str
    rows: list[dict[str, Any]]
    fingerprint: str
    staging: Path
    answers: bool  # whether tests need an expected output (not for a Communication manager)
    done: set[str] = field(default_factory=set)
    seen: set[tuple[str, str]] = field(default_factory=set)  # (test, side) written by this run
    bytes: int = 0
    error: str | None = None
    journal: TextIO | None = None

    def open_journal(self) -> None:
        path = self.staging / JOURNAL
        try:
            self.done = {line for line in path.read_text().splitlines() if line}
        except OSError:
            self.done = set()
        self.journal = open(path, "a")  # noqa: SIM115 - closed by close()

    def mark(self, names: Iterable[str]) -> None:
        for name in names:
            self.done.add(name)
            self.journal.write(name + "\n")
        self.journal.flush()

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    def write_test(self, test: str, test_input: bytes | memoryview | None, test_output: bytes | memoryview | None,
                   which: str) -> None:
        """Write one side ("in" or "out") of a test; a repeated row must repeat the same data."""
        if not _safe_relative(test):
            raise ProblemFormatError(self.staging, f"unsafe test name {test!r}", "test_name")
        data = test_input if which == "in" else test_output
        path = self.staging / "tests" / f"{test}.{which}"
        if which == "out" and (data is None or (not self.answers and len(data) == 0)):
            return  # a Communication manager may judge from the input alone
        if data is None:
            raise ProblemFormatError(self.staging, f"test {test!r} has no input", "test_input")
        if (test, which) in self.seen:
            if path.read_bytes() != bytes(data):
                raise ProblemFormatError(self.staging, f"two different tests named {test!r}", "test_name")
            return
        self.seen.add((test, which))
        write_file_atomic(path, data)
        self.bytes += len(data)


def _column_values(group: RowGroup, column: str, wanted: set[int]) -> Iterator[tuple[int, memoryview | None]]:
    """(row, raw bytes) of the wanted rows of a string column: page by page when the page reader
    decodes this file, else through Arrow (which holds the row group's column in memory)."""
    try:
        values = iter_string_column(group.file, group.index, column)
        first = next(values, None)
    except Unsupported:
        values = None
    if values is not None:
        try:
            for i, data in enumerate(itertools.chain([first], values)):
                if i in wanted:
                    yield i, data
            return
        except Unsupported:
            pass  # rows already yielded are yielded again below, with the same bytes
    array = read_column(group, column)
    for i in sorted(wanted):
        scalar = array[i]
        yield i, memoryview(scalar.as_buffer()) if scalar.is_valid else None


@register
class OpenR1IOIImport(DatasetImporter):
    kind = "open-r1/ioi"
    description = "open-r1/ioi (a row per subtask) with open-r1/ioi-test-cases (a row per test, a config per year)"

    def __init__(self, source: str, *, tests: str | None = None, years: Iterable[int] | None = None,
                 split: str | None = None, problem_ids: Iterable[str] | None = None):
        self.source = source
        self.tests = tests or DEFAULT_TESTS
        self.years = set(years) if years else None
        self.split = split
        self.problem_ids = set(problem_ids) if problem_ids else None

    @classmethod
    def recognizes(cls, source: str) -> bool:
        return source_is_dataset(source, PROBLEM_COLUMNS, "/ioi")

    # -- the problems dataset ------------------------------------------------------------------

    def problem_rows(self) -> list[dict[str, Any]]:
        local = Path(self.source).expanduser()
        if local.exists():
            import pyarrow.parquet as pq

            rows: list[dict[str, Any]] = []
            for file in _parquet_files(local, self.split):
                columns = pq.ParquetFile(file).schema_arrow.names
                missing = [c for c in PROBLEM_COLUMNS if c not in columns]
                if missing:
                    raise ProblemFormatError(file, f"not an open-r1/ioi dataset: missing columns {', '.join(missing)}",
                                             missing[0])
                rows += pq.read_table(file, columns=list(PROBLEM_COLUMNS)).to_pylist()
            return rows
        if _looks_local(self.source):
            raise DatasetImportError(f"{self.source}: no such file or folder")
        import datasets

        try:
            loaded = datasets.load_dataset(self.source, split=self.split) if self.split else \
                datasets.load_dataset(self.source)
        except Exception as error:  # noqa: BLE001 - offline, unknown dataset, no access: say which
            raise DatasetImportError(f"{self.source}: cannot load it from the Hugging Face hub: {error}") from error
        splits = [loaded] if self.split else [loaded[name] for name in loaded]
        rows = []
        for split in splits:
            missing = [c for c in PROBLEM_COLUMNS if c not in split.column_names]
            if missing:
                raise DatasetImportError(f"{self.source}: not an open-r1/ioi dataset: missing columns {', '.join(missing)}")
            rows += list(split)
        return rows

    def grouped(self) -> dict[tuple[int, str], list[dict[str, Any]]]:
        grouped: dict[tuple[int, str], list[dict[str, Any]]] = {}
        where = Path(self.source)
        for index, row in enumerate(self.problem_rows()):
            try:
                year = int(row["year"])
            except (TypeError, ValueError):
                raise ProblemFormatError(where, f"row {index}: not a year: {row.get('year')!r}", "year") from None
            problem_id = row.get("id")
            if not isinstance(problem_id, str):
                raise ProblemFormatError(where, f"row {index}: expected a string id", "id")
            check_id(problem_id, where, "id")
            if self.years is not None and year not in self.years:
                continue
            if self.problem_ids is not None and not ({problem_id, f"{year}-{problem_id}"} & self.problem_ids):
                continue
            rows = grouped.setdefault((year, problem_id), [])
            same = [r for r in rows if r.get("subtask") == row.get("subtask")]
            if same and same[0] != row:
                raise ProblemFormatError(where, f"row {index}: {year}-{problem_id} has two different subtasks "
                                                f"named {row.get('subtask')!r}", "subtask")
            if not same:  # a subtask listed in two splits is the same subtask
                rows.append(row)
        if self.years is not None:
            absent = sorted(self.years - {y for y, _ in grouped})
            if absent:
                raise DatasetImportError(f"{self.source}: no problems of year(s) {', '.join(map(str, absent))}")
        return grouped

    # -- the tests dataset ---------------------------------------------------------------------

    def _test_files(self, year: int) -> list[Path] | None:
        """Local parquet files holding the year's tests; None for a hub dataset."""
        local = Path(self.tests).expanduser()
        if local.is_file():
            return [local]
        if local.is_dir():
            single = local / f"{year}.parquet"
            if single.is_file():
                return [single]
            files = sorted((local / str(year)).glob("*.parquet"))
            if not files:
                raise ProblemFormatError(local, f"no test cases for {year}: expected {year}.parquet or "
                                                f"{year}/*.parquet", "year")
            return files
        if _looks_local(self.tests):
            raise DatasetImportError(f"{self.tests}: no such file or folder")
        return None

    def run(self, out: ImportOutput, progress: Progress) -> dict[str, int]:
        grouped = self.grouped()
        ids: dict[str, list[int]] = {}
        for year, problem_id in grouped:
            ids.setdefault(problem_id, []).append(year)
        for problem_id, years in ids.items():
            if len(years) > 1:
                progress.note(f"warning: problem id {problem_id!r} is used in years {sorted(years)}: one store "
                              "serves one of them (import them into different folders)")
        for year in sorted({y for y, _ in grouped}):
            problems = {pid: rows for (y, pid), rows in grouped.items() if y == year}
            self._import_year(year, problems, out, progress)
        return dict(progress.outcomes)

    def _import_year(self, year: int, problems: dict[str, list[dict[str, Any]]], out: ImportOutput,
                     progress: Progress) -> None:
        try:
            files = self._test_files(year)
        except ProblemFormatError as error:
            for problem_id in problems:
                progress.outcome(f"{year}-{problem_id}", "failed", str(error))
            return
        source_print = ["local", file_fingerprint(files)] if files is not None else ["hub", self.tests, year]
        pending: dict[str, _Pending] = {}
        for problem_id, rows in problems.items():
            name = f"{year}-{problem_id}"
            fingerprint = fingerprint_of(self.kind, rows, source_print)
            if out.up_to_date(name, fingerprint):
                progress.outcome(name, "already imported")
                continue
            referenced = {t for row in rows for t in (row.get("test_names") or []) if isinstance(t, str)}
            try:
                _, task_type = openr1_task_files(rows, referenced, self.source)  # fail before reading tests
            except ProblemFormatError as error:
                progress.outcome(name, "failed", str(error))
                continue
            item = _Pending(name, problem_id, rows, fingerprint, out.staging(name, fingerprint),
                            answers=needs_answers(task_type))
            item.open_journal()
            pending[problem_id] = item
        if not pending:
            return
        try:
            if files is not None:
                self._stream_local(year, files, pending, progress)
            else:
                self._stream_hub(year, pending, progress)
            progress.finish_stage()
        finally:
            for item in pending.values():
                item.close()
        for item in pending.values():
            self._finish(item, out, progress)

    def _stream_local(self, year: int, files: list[Path], pending: dict[str, _Pending], progress: Progress) -> None:
        for file in files:
            from .importing import parquet_columns

            columns = parquet_columns(file)
            missing = [c for c in TEST_COLUMNS if c not in columns]
            if missing:
                raise ProblemFormatError(file, "not an open-r1/ioi-test-cases dataset: missing columns "
                                               f"{', '.join(missing)}", missing[0])
        groups = row_groups(files)
        progress.begin(f"{year} tests", sum(g.bytes for g in groups))
        progress.note(f"{year}: {len(pending)} problem(s) to import; tests from {len(files)} file(s), "
                      f"{len(groups)} row group(s), {human_bytes(sum(g.bytes for g in groups))}")
        for group in groups:
            problem_ids = read_column(group, "problem_id").to_pylist()
            names = read_column(group, "test_name").to_pylist()
            years = read_column(group, "year").to_pylist()
            needed = [
                i for i in range(group.rows)
                if problem_ids[i] in pending and pending[problem_ids[i]].error is None
                and (years[i] is None or int(years[i]) == year)
                and isinstance(names[i], str) and names[i] not in pending[problem_ids[i]].done
            ]
            if needed:
                # One big column at a time (a row group's inputs, then its outputs), one page at a time.
                for column, which in (("test_input", "in"), ("test_output", "out")):
                    for i, data in _column_values(group, column, set(needed)):
                        item = pending[problem_ids[i]]
                        if item.error is not None:
                            continue
                        try:
                            item.write_test(names[i], data if which == "in" else None,
                                            data if which == "out" else None, which)
                        except ProblemFormatError as error:
                            item.error = str(error)
                by_problem: dict[str, list[str]] = {}
                for i in needed:
                    by_problem.setdefault(problem_ids[i], []).append(names[i])
                for problem_id, tests in by_problem.items():
                    if pending[problem_id].error is None:
                        pending[problem_id].mark(tests)
            progress.advance(group.rows, group.bytes)

    def _stream_hub(self, year: int, pending: dict[str, _Pending], progress: Progress) -> None:
        import datasets

        try:
            stream = datasets.load_dataset(self.tests, name=str(year), split="train", streaming=True)
        except Exception as error:  # noqa: BLE001
            raise DatasetImportError(f"{self.tests} ({year}): cannot stream it from the Hugging Face hub: {error}") from error
        progress.begin(f"{year} tests")
        progress.note(f"{year}: {len(pending)} problem(s) to import; streaming tests from {self.tests} ({year})")
        rows = iter(stream)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                break
            except Exception as error:  # noqa: BLE001 - the connection dropped, most likely
                raise DatasetImportError(f"{self.tests} ({year}): the stream broke after {progress.rows} rows: {error}; "
                                   "run the same command again to resume") from error
            missing = [c for c in TEST_COLUMNS if c not in row]
            if missing:
                raise DatasetImportError(f"{self.tests}: not an open-r1/ioi-test-cases dataset: missing {', '.join(missing)}")
            item = pending.get(row["problem_id"])
            name = row["test_name"]
            size = len(row["test_input"] or "") + len(row["test_output"] or "")
            if item is not None and item.error is None and isinstance(name, str) and name not in item.done:
                try:
                    for which, value in (("in", row["test_input"]), ("out", row["test_output"])):
                        data = value.encode() if isinstance(value, str) else value
                        item.write_test(name, data if which == "in" else None, data if which == "out" else None,
                                        which)
                    item.mark([name])
                except ProblemFormatError as error:
                    item.error = str(error)
            progress.advance(1, size)

    def _finish(self, item: _Pending, out: ImportOutput, progress: Progress) -> None:
        if item.error is not None:
            out.discard(item.name)
            progress.outcome(item.name, "failed", item.error)
            return
        try:
            files, _ = openr1_task_files(item.rows, item.done, self.source)
            for relative, data in files.items():
                write_file_atomic(item.staging / relative, data)
            outcome, content_hash = out.commit(item.name, item.fingerprint, item.staging, self.kind)
        except ProblemFormatError as error:
            out.discard(item.name)
            progress.outcome(item.name, "failed", str(error))
            return
        total = sum(f.stat().st_size for f in (out.root / item.name / "tests").glob("*") if f.is_file())
        progress.outcome(item.name, outcome, f"{len(item.done)} tests, {human_bytes(total)}, version "
                                             f"{content_hash[:12]}")
