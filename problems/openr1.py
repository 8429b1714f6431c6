"""The open-r1 IOI datasets (`open-r1/ioi` + `open-r1/ioi-test-cases`) as `Problem`s, and back.

`open-r1/ioi` has one row per *subtask*; `open-r1/ioi-test-cases` has one row per test,
one config per year. `load_openr1` groups the subtask rows into problems, materialises each one
as a TPS folder in a cache (so test data lives on disk like every other task, and the grader
never needs the datasets library) and loads it with `load_tps`. `openr1_rows` goes the other
way: it renders a `Problem` as rows of both datasets, to build fixtures or to publish one's
own tasks in the same shape.

Both sources accept a Hugging Face hub id (the real `datasets.load_dataset` path) or local
parquet: a `.parquet` file or a folder of them for the problems, and a folder holding
`<year>.parquet` (or `<year>/*.parquet`) for the tests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .model import (
    Problem,
    ProblemFormatError,
    registry,
)
from .importing import write_file_atomic
from .tps import MIB, check_id, load_tps, memory_limit_bytes

__all__ = [
    "PROBLEM_COLUMNS",
    "TEST_COLUMNS",
    "default_cache_dir",
    "load_openr1",
    "materialize_openr1_problem",
    "openr1_rows",
]

# Exact column sets of the two datasets, in the hub's order.
PROBLEM_COLUMNS: tuple[str, ...] = (
    "year",
    "name",
    "id",
    "day",
    "subtask",
    "statement",
    "score",
    "time_limit",
    "memory_limit",
    "score_precision",
    "task_type",
    "test_names",
    "starting_code",
    "grader_files",
    "problem",
)
TEST_COLUMNS: tuple[str, ...] = (
    "year",
    "day",
    "problem_name",
    "problem_id",
    "test_name",
    "test_input",
    "test_output",
)

# open-r1's own graders infer a Batch task's compilation from graders/grader.cpp.
_BATCH_COMPILATION = "task_type_parameters_Batch_compilation"
_GRADER_CONFIG = "graders/grader_config.json"
# Folders of a materialised task that this module owns: stale files there are removed.
_MANAGED_DIRS = ("subtasks", "tests", "graders", "checker")


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ioi-grader" / "open-r1"


# -- Problem -> rows ----------------------------------------------------------------------------


def _points(value: float) -> int | float:
    # The hub stores integer points as int64; keep that type whenever the value allows.
    return int(value) if float(value).is_integer() else float(value)


def _prompt(problem: Problem, statement: str, subtask_index: int) -> str:
    """The `problem` column: the prompt a model is given for one subtask."""
    subtask = problem.subtasks[subtask_index]
    with_grader = registry("TaskType").get(problem.task_type).link_unit(problem) is not None
    if with_grader:
        io_rule = (
            "Your code is compiled together with the official grader: implement the routines the "
            "statement describes, do not read from standard input, write to standard output or add "
            "a main function."
        )
    else:
        io_rule = "Your program reads the input from standard input and writes the answer to standard output."
    lines = [
        "You are an expert competitive programmer. You will be given a problem statement. Reason "
        "about the solution, then provide a complete implementation in C++17 inside a single "
        "```cpp code block. " + io_rule,
        "",
        f"# {problem.name}",
        "",
        statement.strip() or "(statement not provided)",
        "",
        f"## Subtask {subtask.name} ({_points(subtask.points)} points)",
        "",
        f"Time limit: {problem.time_limit:g} s. Memory limit: {problem.memory_limit // MIB} MiB.",
    ]
    header = f"{problem.id}.h"
    if with_grader and any(f.name == header for f in problem.headers):
        lines += ["", f'Include the task header: #include "{header}"']
    return "\n".join(lines) + "\n"


def _grader_files(problem: Problem) -> list[list[str]]:
    files: list[list[str]] = [[f"graders/{f.name}", f.content] for f in problem.graders]
    config: dict[str, Any] = {
        "task_type": problem.task_type.value,
        "code": problem.id,
        "time_limit": problem.time_limit,
        "memory_limit": problem.memory_limit,
    }
    task_type = registry("TaskType").get(problem.task_type)
    for role, sources in task_type.trusted_sources(problem).items():
        files.append([f"graders/{sources[0].name}", sources[0].content])
    config.update(task_type.cms_params(problem.task_params))
    if config.get(_BATCH_COMPILATION) == ("grader" if problem.grader_source("grader.cpp") else "alone"):
        del config[_BATCH_COMPILATION]  # what open-r1's graders infer anyway
    checker = problem.checker
    # Our extension keys (ignored by open-r1's own code): keep non-CMS checkers round-trippable.
    if checker.kind.value not in ("cms", "white_diff"):  # TPS's default rule covers these two
        config["checker_convention"] = checker.kind.value
    if checker.flags:
        config["checker_flags"] = list(checker.flags)
    files.append([_GRADER_CONFIG, json.dumps(config, indent=2) + "\n"])
    if checker.source is not None:
        files.append(["checker/checker.cpp", checker.source.content])
        files.extend([f"checker/{f.name}", f.content] for f in checker.support)
    return files


def _read_test_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProblemFormatError(
            path, "test data is not UTF-8 text: the open-r1 columns are strings"
        ) from None


def openr1_rows(
    problem: Problem, year: int, day: int | str = 1, statement: str = "", *, starting_code: str = ""
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of `open-r1/ioi` (one per subtask) and of `open-r1/ioi-test-cases` (one per test).

    Raises ValueError for what the open-r1 format cannot express: subtasks scored as a sum of
    their tests (each row's score is a GroupMin subtask's points).
    """
    for subtask in problem.subtasks:
        if subtask.score_type.value != "GroupMin" and subtask.points > 0 and len(subtask.tests) > 1:
            raise ValueError(
                f"subtask {subtask.name!r} of {problem.id!r} is scored as a sum of its tests; "
                "open-r1 rows express only GroupMin subtasks"
            )
    grader_files = _grader_files(problem)
    memory_mib = max(1, problem.memory_limit // MIB)
    problem_rows = [
        {
            "year": int(year),
            "name": problem.name,
            "id": problem.id,
            "day": day,
            "subtask": subtask.name,
            "statement": statement,
            "score": _points(subtask.points),
            "time_limit": float(problem.time_limit),
            "memory_limit": memory_mib,  # MiB, as on the hub; exact bytes are in grader_config.json
            "score_precision": problem.score_precision,
            "task_type": problem.task_type.value,
            "test_names": list(subtask.tests),
            "starting_code": starting_code,
            "grader_files": [list(pair) for pair in grader_files],
            "problem": _prompt(problem, statement, index),
        }
        for index, subtask in enumerate(problem.subtasks)
    ]
    test_rows = []
    for name, test in problem.tests.items():
        test_rows.append(
            {
                "year": int(year),
                "day": day,
                "problem_name": problem.name,
                "problem_id": problem.id,
                "test_name": name,
                "test_input": _read_test_text(test.input),
                "test_output": _read_test_text(test.answer) if test.answer is not None else "",
            }
        )
    return problem_rows, test_rows


# -- rows -> Problem ----------------------------------------------------------------------------


def _looks_local(source: str) -> bool:
    # Hub ids look like "org/name"; anything path-like that does not exist is a typo, not a hub id.
    return source.startswith((".", "/", "~")) or source.endswith(".parquet")


def _parquet_files(path: Path, split: str | None) -> list[str]:
    if path.is_file():
        return [str(path)]
    files = sorted(path.rglob("*.parquet"))
    if split is not None:
        # Hub parquet exports name files "<split>-00000-of-00001.parquet"; prefer the split's own.
        own = [
            f for f in files if f.name.startswith(f"{split}-") or f.stem == split or f.parent.name == split
        ]
        files = own or files
    if not files:
        raise ProblemFormatError(path, "no .parquet files")
    return [str(f) for f in files]


def _load_rows(source: str | os.PathLike[str], *, hub_name: str | None, split: str, what: str) -> Any:
    """A `datasets.Dataset` from a hub id or from local parquet (file or folder)."""
    import datasets  # optional dependency: only needed here

    text = os.fspath(source)
    local = Path(text).expanduser()
    if local.exists():
        return datasets.load_dataset("parquet", data_files=_parquet_files(local, split), split="train")
    if _looks_local(text):
        raise ProblemFormatError(local, f"no such {what} file or folder")
    if hub_name is None:
        return datasets.load_dataset(text, split=split)
    return datasets.load_dataset(text, name=hub_name, split=split)


def _load_test_rows(source: str | os.PathLike[str], year: int) -> Any:
    import datasets

    local = Path(os.fspath(source)).expanduser()
    if local.is_dir():
        single = local / f"{year}.parquet"
        if single.is_file():
            files = [str(single)]
        else:
            files = sorted(str(p) for p in (local / str(year)).glob("*.parquet"))
        if not files:
            raise ProblemFormatError(
                local, f"no test cases for {year}: expected {year}.parquet or {year}/*.parquet", "year"
            )
        return datasets.load_dataset("parquet", data_files=files, split="train")
    if local.is_file():
        return datasets.load_dataset("parquet", data_files=[str(local)], split="train")
    # The hub: one config per year, a single "train" split.
    return _load_rows(source, hub_name=str(year), split="train", what="test-cases")


class _Rows:
    """Typed access to dataset rows; errors name the source, the row and the column."""

    def __init__(self, source: str | os.PathLike[str]):
        self.path = Path(os.fspath(source))

    def error(self, index: int, column: str, message: str) -> ProblemFormatError:
        return ProblemFormatError(self.path, f"row {index}: {message}", column)

    def get(self, row: Mapping[str, Any], index: int, column: str, types: type | tuple[type, ...]) -> Any:
        if column not in row:
            raise self.error(index, column, "missing column")
        value = row[column]
        wanted = types if isinstance(types, tuple) else (types,)
        if value is None or (isinstance(value, bool) and bool not in wanted) or not isinstance(value, wanted):
            names = " or ".join(t.__name__ for t in wanted)
            raise self.error(index, column, f"expected {names}, got {type(value).__name__} {value!r}"[:300])
        return value


def _safe_relative(name: str) -> bool:
    """A test or subtask name that cannot escape the task folder once used as a path."""
    parts = name.split("/")
    return (
        bool(name) and "\\" not in name and "\0" not in name and all(p not in ("", ".", "..") for p in parts)
    )


def _write_atomic(path: Path, data: bytes) -> bool:
    """Write unless identical content is already there; returns whether it wrote."""
    try:
        if (
            path.is_file()
            and not path.is_symlink()
            and path.stat().st_size == len(data)
            and path.read_bytes() == data
        ):
            return False
    except OSError:
        pass
    # Write-then-rename: a concurrent reader (another worker loading the same task) never sees a
    # half-written test.
    write_file_atomic(path, data)
    return True


def _sync_folder(folder: Path, files: Mapping[str, bytes]) -> None:
    """Make `folder` hold exactly `files` in the managed sub-folders (idempotent)."""
    for relative, data in files.items():
        _write_atomic(folder / relative, data)
    wanted = {folder / relative for relative in files}
    for managed in _MANAGED_DIRS:
        base = folder / managed
        if not base.is_dir():
            continue
        # Stale files from an older dataset revision would add subtasks or tests that no longer exist.
        for file in sorted(base.rglob("*"), reverse=True):
            if file.is_dir():
                if not any(file.iterdir()):
                    file.rmdir()
            elif file not in wanted and not file.name.startswith("."):
                file.unlink()


def _subtask_files(names: Sequence[str]) -> list[tuple[str, bool]]:
    """File stem per subtask; True when the name must also be stored inside the file.

    TPS orders subtasks by file name and names them by the stem. open-r1 names ("00-samples")
    usually sort in dataset order already; otherwise prefix the index and keep the name inside.
    """
    plain = all("/" not in n and _safe_relative(n) for n in names) and len(set(names)) == len(names)
    if plain and sorted(f"{n}.json" for n in names) == [f"{n}.json" for n in names]:
        return [(n, False) for n in names]
    width = max(2, len(str(len(names) - 1)))
    cleaned = ["".join(c if c.isalnum() or c in "-_." else "_" for c in n) for n in names]
    return [(f"{i:0{width}d}-{c}", True) for i, c in enumerate(cleaned)]


def materialize_openr1_problem(
    folder: Path,
    rows: Sequence[Mapping[str, Any]],
    tests: Mapping[str, tuple[str | bytes, str | bytes | None]],
    source: str | os.PathLike[str] = "open-r1/ioi",
) -> Path:
    """Write one problem's subtask rows and test cases as a TPS folder; returns the folder."""
    out, task_type = openr1_task_files(rows, tests, source)
    answers = needs_answers(task_type)
    for test, (test_input, test_output) in tests.items():
        out.update(openr1_test_files(test, test_input, test_output, answers, source))
    _sync_folder(folder, out)
    return folder


def openr1_test_files(
    test: str, test_input: str | bytes, test_output: str | bytes | None, answers: bool,
    source: str | os.PathLike[str] = "open-r1/ioi",
) -> dict[str, bytes]:
    """The files of one test case in a TPS folder: tests/<name>.in and, unless empty for a
    Communication task, tests/<name>.out."""
    if not _safe_relative(test):
        raise ProblemFormatError(Path(os.fspath(source)), f"unsafe test name {test!r}", "test_name")
    out = {f"tests/{test}.in": test_input.encode() if isinstance(test_input, str) else test_input}
    if test_output is None or (not answers and not test_output):
        return out  # a Communication manager may judge from the input alone
    out[f"tests/{test}.out"] = test_output.encode() if isinstance(test_output, str) else test_output
    return out


def needs_answers(task_type: str) -> bool:
    """Whether tests of this task type need an expected output (a Communication manager may
    judge from the input alone, so an empty output there means none)."""
    task_types = registry("TaskType")
    return task_type not in task_types or task_types.get(task_type).needs_answers


def openr1_task_files(
    rows: Sequence[Mapping[str, Any]], available_tests: Iterable[str], source: str | os.PathLike[str] = "open-r1/ioi"
) -> tuple[dict[str, bytes], str]:
    """Every file of one problem's TPS folder except its tests, from its subtask rows, checking
    that each subtask names only tests in `available_tests`; also returns the task type."""
    available = available_tests if isinstance(available_tests, (set, frozenset, dict)) else set(available_tests)
    tests = available
    reader = _Rows(source)
    first = rows[0]
    problem_id = check_id(reader.get(first, 0, "id", str), reader.path, "id")
    name = reader.get(first, 0, "name", str)
    task_type = reader.get(first, 0, "task_type", str)
    time_limit = reader.get(first, 0, "time_limit", (int, float))
    memory_limit = memory_limit_bytes(
        reader.get(first, 0, "memory_limit", (int, float)), reader.path, "memory_limit"
    )
    precision = first.get("score_precision")
    precision = 2 if precision is None else reader.get(first, 0, "score_precision", int)

    raw_files = reader.get(first, 0, "grader_files", (list, tuple))
    files: dict[str, str] = {}
    for pair in raw_files:
        if isinstance(pair, Mapping):  # tolerate {"path":..., "content":...} exports
            pair = (pair.get("path"), pair.get("content"))
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not isinstance(pair[0], str):
            raise reader.error(0, "grader_files", f"expected [path, content] pairs, got {pair!r}"[:300])
        path, content = pair
        if content is None:
            continue
        if not isinstance(content, str):
            raise reader.error(0, "grader_files", f"content of {path} is not a string")
        parts = path.split("/")
        # Only graders/<file> and checker/<file> mean anything to a TPS folder; the rest (run
        # scripts) is dropped, and nothing may escape the folder.
        if len(parts) == 2 and parts[0] in ("graders", "checker") and _safe_relative(parts[1]):
            files[path] = content

    config: dict[str, Any] = {}
    if _GRADER_CONFIG in files:
        try:
            config = json.loads(files[_GRADER_CONFIG])
        except json.JSONDecodeError as error:
            raise reader.error(0, "grader_files", f"{_GRADER_CONFIG} is not valid JSON: {error}") from None
        if not isinstance(config, dict):
            raise reader.error(0, "grader_files", f"{_GRADER_CONFIG} must be a JSON object")
    # grader_config.json is what open-r1's runner actually uses, so it wins over row columns.
    task_type = config.get("task_type", task_type)
    time_limit = config.get("time_limit", time_limit)
    if config.get("memory_limit") is not None:
        memory_limit = memory_limit_bytes(
            config["memory_limit"], reader.path, f"grader_files.{_GRADER_CONFIG}.memory_limit"
        )

    params = {k: v for k, v in config.items() if k.startswith("task_type_parameters_")}
    if task_type == "Batch":
        params.setdefault(_BATCH_COMPILATION, "grader" if "graders/grader.cpp" in files else "alone")
    meta: dict[str, Any] = {
        "code": problem_id,
        "name": name,
        "time_limit": time_limit,
        "memory_limit": memory_limit,
        "score_precision": precision,
        "task_type": task_type,
        "task_type_params": json.dumps(params),
    }
    year = first.get("year")
    if isinstance(year, int) and not isinstance(year, bool):
        meta["year"] = year
    elif isinstance(year, str) and year.isdigit():
        meta["year"] = int(year)
    for key in ("checker_convention", "checker_flags"):
        if key in config:
            meta[key] = config[key]

    out: dict[str, bytes] = {"problem.json": (json.dumps(meta, indent=2) + "\n").encode()}
    for path, content in files.items():
        out[path] = content.encode("utf-8")

    subtask_names: list[str] = []
    subtask_data: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        subtask = reader.get(row, index, "subtask", str)
        score = reader.get(row, index, "score", (int, float))
        names = reader.get(row, index, "test_names", (list, tuple))
        if not all(isinstance(t, str) for t in names):
            raise reader.error(index, "test_names", "must be a list of strings")
        for test in names:
            if test not in tests:
                raise reader.error(
                    index,
                    "test_names",
                    f"{problem_id} subtask {subtask!r} names test {test!r} absent from the test cases",
                )
        subtask_names.append(subtask)
        subtask_data.append({"score": score, "testcases": list(names)})
    for (stem, keep_name), subtask, data in zip(
        _subtask_files(subtask_names), subtask_names, subtask_data, strict=True
    ):
        if keep_name:
            data = {"name": subtask, **data}
        out[f"subtasks/{stem}.json"] = (json.dumps(data) + "\n").encode()
    return out, task_type


def _wanted(year: int, problem_id: str, problem_ids: Iterable[str] | None) -> bool:
    return problem_ids is None or problem_id in problem_ids or f"{year}-{problem_id}" in problem_ids


def load_openr1(
    problems_source: str | os.PathLike[str] = "open-r1/ioi",
    tests_source: str | os.PathLike[str] = "open-r1/ioi-test-cases",
    split: str = "test",
    cache_dir: str | os.PathLike[str] | None = None,
    problem_ids: Iterable[str] | None = None,
) -> dict[str, Problem]:
    """Load the open-r1 IOI problems (optionally only `problem_ids`: "nile" or "2024-nile").

    Each problem is written to `<cache_dir>/<year>-<id>/` as a TPS folder (default cache:
    ~/.cache/ioi-grader/open-r1) and loaded from there. Keys are the rows' `id`s.
    """
    wanted = set(problem_ids) if problem_ids is not None else None
    reader = _Rows(problems_source)
    dataset = _load_rows(problems_source, hub_name=None, split=split, what="problems")
    missing = [c for c in PROBLEM_COLUMNS if c not in dataset.column_names]
    if missing:
        raise ProblemFormatError(
            reader.path, f"not an open-r1/ioi dataset: missing columns {', '.join(missing)}", missing[0]
        )

    grouped: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for index, row in enumerate(dataset):
        year = reader.get(row, index, "year", (int, str))
        try:
            year = int(year)
        except ValueError:
            raise reader.error(index, "year", f"not a year: {year!r}") from None
        problem_id = reader.get(row, index, "id", str)
        if _wanted(year, problem_id, wanted):
            grouped.setdefault((year, problem_id), []).append(row)
    if wanted is not None:
        found = {pid for _, pid in grouped} | {f"{y}-{pid}" for y, pid in grouped}
        absent = sorted(wanted - found)
        if absent:
            raise ProblemFormatError(
                reader.path, f"no such problem(s) in split {split!r}: {', '.join(absent)}", "id"
            )

    ids = [pid for _, pid in grouped]
    duplicates = sorted({pid for pid in ids if ids.count(pid) > 1})
    if duplicates:
        raise ProblemFormatError(
            reader.path,
            f"problem id(s) used in several years: {', '.join(duplicates)}; select one with problem_ids",
            "id",
        )

    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    problems: dict[str, Problem] = {}
    for year in sorted({y for y, _ in grouped}):
        of_year = {pid for y, pid in grouped if y == year}
        tests = _tests_of_year(tests_source, year, of_year)
        for (row_year, problem_id), rows in grouped.items():
            if row_year != year:
                continue
            folder = materialize_openr1_problem(
                cache / f"{year}-{check_id(problem_id, reader.path, 'id')}",
                rows,
                tests.get(problem_id, {}),
                problems_source,
            )
            problem = load_tps(folder)
            problems[problem_id] = problem.model_copy(update={"year": year, "id": problem_id})
    # Dataset order, not year order.
    return {pid: problems[pid] for _, pid in grouped}


def _tests_of_year(
    source: str | os.PathLike[str], year: int, problem_ids: set[str]
) -> dict[str, dict[str, tuple[str, str | None]]]:
    """{problem_id: {test_name: (input, output)}} for the wanted problems of one year."""
    dataset = _load_test_rows(source, year)
    reader = _Rows(source)
    missing = [c for c in TEST_COLUMNS if c not in dataset.column_names]
    if missing:
        raise ProblemFormatError(
            reader.path,
            f"not an open-r1/ioi-test-cases dataset: missing columns {', '.join(missing)}",
            missing[0],
        )
    # Read the id column alone first: a year holds hundreds of MB of test data, most of it for
    # problems that were not asked for.
    ids = list(dataset["problem_id"])
    years = list(dataset["year"])
    indices = [
        i
        for i, (pid, y) in enumerate(zip(ids, years, strict=True))
        if pid in problem_ids and (y is None or int(y) == year)
    ]
    found: dict[str, dict[str, tuple[str, str | None]]] = {}
    for offset, row in enumerate(dataset.select(indices)):
        index = indices[offset]
        problem_id = reader.get(row, index, "problem_id", str)
        name = reader.get(row, index, "test_name", str)
        test_input = reader.get(row, index, "test_input", (str, bytes))
        test_output = row.get("test_output")
        if test_output is not None and not isinstance(test_output, (str, bytes)):
            raise reader.error(index, "test_output", f"expected str, got {type(test_output).__name__}")
        tests = found.setdefault(problem_id, {})
        if name in tests and tests[name] != (test_input, test_output):
            raise reader.error(index, "test_name", f"{problem_id} has two different tests named {name!r}")
        tests.setdefault(name, (test_input, test_output))
    return found
