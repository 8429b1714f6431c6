"""The `open-r1/codeforces` dataset (one row per problem) as `Problem`s.

A row names its problem (`id` "2063/A", `contest_id`), its limits (`time_limit` s, `memory_limit`
MB), its I/O (`input_mode`: `stdio`, or `file` for `input.txt` / `output.txt`), its tests
(`official_tests` [{input, output}]) and, for problems with several right answers, a Python
`generated_checker`. More tests live outside the rows, in `test_cases_{contest_id:04d}.parquet`
files (columns `problem_id`, `input`, `output`) in a folder the user names.

Each problem is written as a TPS folder (code "2063_A": task codes hold no slash; the service
finds it by either spelling) and loaded with `load_tps`, so it is graded like any other task:
one subtask worth 100 that every test must pass, submissions compiled with `-DONLINE_JUDGE`, no
extra time for Python unless asked. The checker is the row's `generated_checker`, run trusted in
the judge box; without one, an exact token-by-token comparison, relaxed only as the statement
announces it ("absolute or relative error does not exceed 10^{-6}", "in any case" for YES/NO)
or as `checker_flags` says for that problem.

Refused, with the reason, never silently scored: a problem with neither official nor generated
tests, and an interactive one (the dataset has no interactor for it; anchors diff those as
plain stdio). Asking for a refused problem by id is an error; a bulk import lists them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import Problem, ProblemFormatError
from .openr1 import _load_rows, _Rows, _sync_folder, default_cache_dir
from .polygon import CODEFORCES_DEFINES
from .store import folder_code
from .tps import MIB, check_id, load_tps

__all__ = [
    "CODEFORCES_COLUMNS", "CodeforcesImport", "CodeforcesTask", "GENERATED_TEST_COLUMNS", "PROMPT_COLUMNS",
    "codeforces_tasks", "load_codeforces", "statement_flags",
]

# The columns of open-r1/codeforces (default and `verifiable` configs), in the hub's order.
CODEFORCES_COLUMNS: tuple[str, ...] = (
    "id", "aliases", "contest_id", "contest_name", "contest_type", "contest_start", "contest_start_year", "index",
    "title", "description", "input_format", "output_format", "interaction_format", "note", "examples", "editorial",
    "rating", "tags", "time_limit", "memory_limit", "testset_size", "official_tests", "official_tests_complete",
    "input_mode", "generated_checker", "executable", "generated_tests",
)
# `verifiable-prompts` adds these (two rows per problem, one per language).
PROMPT_COLUMNS: tuple[str, ...] = ("prompt", "language")
# The per-contest test files.
GENERATED_TEST_COLUMNS: tuple[str, ...] = ("problem_id", "input", "output")
# What this loader needs of a row (the other columns are statement and metadata).
_NEEDED = ("id", "contest_id", "title", "time_limit", "memory_limit", "official_tests", "input_mode",
           "generated_checker", "interaction_format")


@dataclass
class CodeforcesImport:
    """What a load produced: the problems (keyed by the dataset's id), those refused and why, and
    notes on the ones loaded with fewer tests than the dataset describes."""

    problems: dict[str, Problem] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


# -- what a statement says about the output -----------------------------------------------------

_POWER = r"10\s*\^\s*\{?\s*[-−–]\s*(\d+)\s*\}?"
_TOLERANCE = re.compile(
    r"(absolute\s+or\s+relative|relative\s+or\s+absolute|absolute|relative)\s+error[^.]{0,120}?"
    rf"(?:{_POWER}|1\s*e\s*[-−]\s*(\d+)|0\.(0*)1\b)", re.IGNORECASE | re.DOTALL)
_ANY_CASE = re.compile(r"\bin any (?:letter )?(?:case|register)\b|\bcase[- ]insensitive\b|\bany register\b",
                       re.IGNORECASE)
_YES_NO = re.compile(r"\b(yes|no)\b", re.IGNORECASE)


def statement_flags(*texts: str | None) -> tuple[str, ...]:
    """The `tokens` checker flags a statement announces: a float tolerance when it states the
    absolute / relative error it accepts, case-insensitive YES/NO when it says answers may be
    printed in any case. Nothing otherwise: no guessing."""
    text = "\n".join(t for t in texts if t)
    flags: list[str] = []
    match = _TOLERANCE.search(text)
    if match:
        kind = match.group(1).lower()
        if match.group(2) or match.group(3):
            exponent = int(match.group(2) or match.group(3))
        else:
            exponent = len(match.group(4)) + 1  # 0.001 -> 3
        if 1 <= exponent <= 15:
            name = ("float_absolute_tolerance" if kind == "absolute" else
                    "float_relative_tolerance" if kind == "relative" else "float_tolerance")
            flags += [name, f"1e-{exponent}"]
    if _ANY_CASE.search(text) and _YES_NO.search(text):
        flags.append("yes_no_any_case")
    return tuple(flags)


# -- rows -> task folders -----------------------------------------------------------------------


def _is_interactive(row: Mapping[str, Any]) -> bool:
    value = row.get("interaction_format")
    return isinstance(value, str) and bool(value.strip())


def _tests_of(reader: _Rows, index: int, row: Mapping[str, Any]) -> list[tuple[str, str]]:
    raw = row.get("official_tests") or []
    if not isinstance(raw, (list, tuple)):
        raise reader.error(index, "official_tests", f"expected a list of {{input, output}}, got {type(raw).__name__}")
    tests = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping) or not isinstance(item.get("input"), str) \
                or not isinstance(item.get("output"), str):
            raise reader.error(index, "official_tests", f"test {number} is not {{input: str, output: str}}")
        tests.append((item["input"], item["output"]))
    return tests


class _GeneratedTests:
    """The per-contest parquet files of a folder, read once per contest, only the rows asked for."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._cache: dict[int, dict[str, list[tuple[str, str]]]] = {}
        if folder is not None and not folder.is_dir():
            raise ProblemFormatError(folder, "the generated tests folder does not exist", "tests_folder")

    def path(self, contest: int) -> Path | None:
        return None if self.folder is None else self.folder / f"test_cases_{contest:04d}.parquet"

    def of(self, contest: int, wanted: set[str]) -> dict[str, list[tuple[str, str]]]:
        path = self.path(contest)
        if path is None or not path.is_file():
            return {}
        if contest not in self._cache:
            import pyarrow.parquet as pq  # noqa: PLC0415 - comes with the [datasets] extra

            schema = pq.read_schema(path)
            missing = [c for c in GENERATED_TEST_COLUMNS if c not in schema.names]
            if missing:
                raise ProblemFormatError(path, f"not a generated-tests file: missing columns {', '.join(missing)}",
                                         missing[0])
            table = pq.read_table(path, columns=list(GENERATED_TEST_COLUMNS),
                                  filters=[("problem_id", "in", sorted(wanted))])
            found: dict[str, list[tuple[str, str]]] = {}
            for problem_id, given, expected in zip(*(table.column(c).to_pylist() for c in GENERATED_TEST_COLUMNS)):
                if not isinstance(given, str) or not isinstance(expected, str):
                    raise ProblemFormatError(path, f"a test of {problem_id} is not text", "input")
                found.setdefault(problem_id, []).append((given, expected))
            self._cache[contest] = found
        return self._cache[contest]


def _problem_files(reader: _Rows, index: int, row: Mapping[str, Any], tests: Sequence[tuple[str, str, str]],
                   extra_flags: Sequence[str] | None) -> dict[str, bytes]:
    problem_id = reader.get(row, index, "id", str)
    code = check_id(folder_code(problem_id), reader.path, "id")
    time_limit = reader.get(row, index, "time_limit", (int, float))
    memory_mb = reader.get(row, index, "memory_limit", (int, float))
    if not (time_limit > 0 and memory_mb > 0):
        raise reader.error(index, "time_limit", f"limits must be positive, got {time_limit} s and {memory_mb} MB")
    mode = row.get("input_mode") or "stdio"
    if mode not in ("stdio", "file"):
        raise reader.error(index, "input_mode", f"expected 'stdio' or 'file', got {mode!r}")
    params: dict[str, Any] = {"task_type_parameters_Batch_compilation": "alone"}
    if mode == "file":
        params |= {"task_type_parameters_Batch_input_file": "input.txt",
                   "task_type_parameters_Batch_output_file": "output.txt"}
    meta: dict[str, Any] = {
        "code": code, "name": row.get("title") or problem_id, "time_limit": float(time_limit),
        "memory_limit": int(round(float(memory_mb) * MIB)), "score_precision": 2, "task_type": "Batch",
        "task_type_params": json.dumps(params), "compile_defines": list(CODEFORCES_DEFINES),
    }
    out: dict[str, bytes] = {}
    checker = row.get("generated_checker")
    if isinstance(checker, str) and checker.strip():
        meta["checker_convention"] = "python_checker"
        out["checker/checker.py"] = checker.encode("utf-8")
    else:
        meta["checker_convention"] = "tokens"
        flags = statement_flags(row.get("output_format"), row.get("description"), row.get("note")) \
            if extra_flags is None else tuple(extra_flags)
        if flags:
            meta["checker_flags"] = list(flags)
    out["problem.json"] = (json.dumps(meta, indent=2) + "\n").encode()
    out["subtasks/01-tests.json"] = (json.dumps({"score": 100, "testcases": [name for name, _, _ in tests]}) + "\n") \
        .encode()
    for name, given, expected in tests:
        out[f"tests/{name}.in"] = given.encode("utf-8")
        out[f"tests/{name}.out"] = expected.encode("utf-8")
    return out


@dataclass
class CodeforcesTask:
    """One problem of the dataset as the files of its TPS folder, or refused with the reason."""

    problem_id: str
    files: dict[str, bytes] | None  # None: refused
    reason: str | None = None  # why it was refused
    note: str | None = None  # loaded with fewer tests than the dataset describes


def codeforces_tasks(
    source: str | os.PathLike[str] = "open-r1/codeforces",
    tests_folder: str | os.PathLike[str] | None = None,
    *,
    config: str | None = None,
    split: str = "train",
    problem_ids: Iterable[str] | None = None,
    checker_flags: Mapping[str, Sequence[str]] | None = None,
) -> Iterator[CodeforcesTask]:
    """The problems of an open-r1/codeforces dataset (a hub id through `datasets.load_dataset`,
    or local parquet with the same columns) as task folder contents, one contest's generated
    tests in memory at a time. `problem_ids` limits them to those ids, and then a refused one
    raises ProblemFormatError."""
    wanted = set(problem_ids) if problem_ids is not None else None
    reader = _Rows(source)
    dataset = _load_rows(source, hub_name=config, split=split, what="problems")
    missing = [c for c in _NEEDED if c not in dataset.column_names]
    if missing:
        raise ProblemFormatError(reader.path, f"not an open-r1/codeforces dataset: missing columns "
                                              f"{', '.join(missing)}", missing[0])
    generated = _GeneratedTests(Path(tests_folder).expanduser() if tests_folder is not None else None)
    ids = list(dataset["id"])
    selected = [i for i, problem_id in enumerate(ids) if wanted is None or problem_id in wanted]
    if wanted is not None:
        absent = sorted(wanted - {ids[i] for i in selected})
        if absent:
            raise ProblemFormatError(reader.path, f"no such problem(s) in split {split!r}: {', '.join(absent)}", "id")
    by_contest: dict[int, set[str]] = {}
    rows = {}
    for index in selected:
        row = dataset[index]
        problem_id = reader.get(row, index, "id", str)
        if problem_id in rows:
            continue  # verifiable-prompts holds each problem twice (one row per language)
        rows[problem_id] = (index, row)
        by_contest.setdefault(int(reader.get(row, index, "contest_id", (int, str))), set()).add(problem_id)
    for problem_id, (index, row) in rows.items():
        contest = int(row["contest_id"])
        official = _tests_of(reader, index, row)
        extra = generated.of(contest, by_contest[contest]).get(problem_id, [])
        reason = None
        if _is_interactive(row):
            reason = "interactive problem: the dataset has no interactor for it"
        elif not official and not extra:
            where = generated.path(contest)
            reason = ("no tests: no official_tests, and no generated tests " +
                      (f"in {where}" if where is not None else "(no generated tests folder given)"))
        if reason is not None:
            if wanted is not None:
                raise ProblemFormatError(reader.path, f"{problem_id} cannot be graded: {reason}", "id")
            yield CodeforcesTask(problem_id, None, reason=reason)
            continue
        note = None
        count = row.get("generated_tests") or 0
        if not extra and isinstance(count, int) and count > 0:
            note = (f"graded on its {len(official)} official tests only: the dataset has {count} "
                    f"generated tests, not found in {generated.path(contest) or 'any folder'}")
        elif not extra and row.get("official_tests_complete") is False:
            note = "graded on its official tests only, which the dataset marks incomplete"
        tests = [(f"official-{n:03d}", given, expected) for n, (given, expected) in enumerate(official, start=1)]
        tests += [(f"generated-{n:04d}", given, expected) for n, (given, expected) in enumerate(extra, start=1)]
        flags = None if checker_flags is None or problem_id not in checker_flags else checker_flags[problem_id]
        yield CodeforcesTask(problem_id, _problem_files(reader, index, row, tests, flags), note=note)


def load_codeforces(
    source: str | os.PathLike[str] = "open-r1/codeforces",
    tests_folder: str | os.PathLike[str] | None = None,
    *,
    config: str | None = None,
    split: str = "train",
    cache_dir: str | os.PathLike[str] | None = None,
    problem_ids: Iterable[str] | None = None,
    checker_flags: Mapping[str, Sequence[str]] | None = None,
) -> CodeforcesImport:
    """Load open-r1/codeforces problems (a hub id through `datasets.load_dataset`, or local
    parquet with the same columns), with the generated tests of `tests_folder`.

    Each problem becomes `<cache_dir>/<code>/` (default cache ~/.cache/ioi-grader/open-r1-codeforces).
    `problem_ids` limits the load to those ids, and then a refused one raises ProblemFormatError.
    `checker_flags` gives, per id, the `tokens` flags to use instead of the statement's (e.g.
    `{"1/A": ["float_tolerance", "1e-4"]}`; `[]` for an exact comparison).
    """
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir().with_name(
        "open-r1-codeforces")
    result = CodeforcesImport()
    for task in codeforces_tasks(source, tests_folder, config=config, split=split, problem_ids=problem_ids,
                                 checker_flags=checker_flags):
        if task.files is None:
            result.refused[task.problem_id] = task.reason or "refused"
            continue
        if task.note is not None:
            result.notes[task.problem_id] = task.note
        folder = cache / folder_code(task.problem_id)
        _sync_folder(folder, task.files)
        result.problems[task.problem_id] = load_tps(folder)
    return result
