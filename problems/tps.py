"""Load a TPS export folder (the layout of official IOI task repositories) into a `Problem`.

Layout::

    problem.json            code, name, time_limit (s), memory_limit (bytes), score_precision,
                            task_type, task_type_params (a JSON *string*)
    subtasks/NN-name.json   {"score": P, "testcases": ["0-01", ...]}   (sorted by file name)
    tests/<name>.in|.out
    graders/                grader.cpp / stub.cpp, <code>.h, manager.cpp (Communication), ...
    checker/checker.cpp     + the headers it includes (testlib.h)
    solutions/[<verdict>/]*.cpp|*.py  (+ optional solutions.json with verdicts)

Our extensions (absent from official exports, all optional):
    problem.json  "checker_convention": "cms" (default) | "testlib" for checker/checker.cpp;
                  without a checker, "white_diff" (default) | "token_diff", plus "checker_flags"
                  (so exported Kattis tasks keep their comparator)
    problem.json  "year": the contest year (written by the open-r1 import; resolves open-r1 rows)
    subtasks/*.json "name": the subtask's name when it differs from the file stem (open-r1 names
                  that do not sort in dataset order get an index prefix on the file);
                  "score_type": a registered score type (default GroupMin)
    problem.json  "output_max_line", "output_max_tokens": bounds on an output before it reaches
                  the checker (defaults 64 MiB and 2^24 tokens)

The small helpers at the top (typed JSON access, link-stub resolution, source reading) are shared
with the Kattis and open-r1 loaders: every malformed input must surface as a `ProblemFormatError`
that names the file and the field, never as a raw KeyError or pydantic ValidationError.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from .model import (
    Checker,
    Problem,
    ProblemFormatError,
    ReferenceSolution,
    SourceFile,
    Subtask,
    TestCase,
    registry,
)

__all__ = ["load_tps", "memory_limit_bytes"]

T = TypeVar("T")

# Files of graders/ that are compiled with (or included by) a submission.
GRADER_SUFFIXES = (".cpp", ".cc", ".c", ".h", ".hpp")
HEADER_SUFFIXES = (".h", ".hpp")
# TPS verdict folders whose solutions must get the full score.
FULL_SCORE_VERDICTS = {"correct", "model_solution", "accepted"}
# Below this a memory limit cannot be meant as bytes (64 KiB cannot even hold a C++ runtime), so it
# is MiB: older TPS exports, open-r1 rows and Kattis packages all state MiB.
MIB_THRESHOLD = 65536
MIB = 1 << 20

_SAFE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
_PREFIX_TASK_PARAMS = "task_type_parameters_"


# -- shared helpers ------------------------------------------------------------------------------


def memory_limit_bytes(value: int | float, path: Path, field: str) -> int:
    """Normalise a memory limit to bytes: values < 65536 are MiB (see MIB_THRESHOLD)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProblemFormatError(path, f"must be a finite number, got {value!r}", field)
    if value <= 0:
        raise ProblemFormatError(path, f"must be positive, got {value!r}", field)
    if value < MIB_THRESHOLD:
        return int(round(value * MIB))
    if value != int(value):
        raise ProblemFormatError(path, f"a limit in bytes must be a whole number, got {value!r}", field)
    return int(value)


def read_json(path: Path, what: str = "file") -> Any:
    """Parse a JSON file; a missing file or a syntax error names the file (and the parser's line)."""
    if not path.is_file():
        raise ProblemFormatError(path, f"missing {what}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ProblemFormatError(
            path, f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    except (UnicodeDecodeError, OSError) as error:
        raise ProblemFormatError(path, f"cannot read {what}: {error}") from None


def get_field(
    data: Mapping[str, Any],
    key: str,
    types: type[T] | tuple[type, ...],
    path: Path,
    *,
    default: Any = ...,
    type_name: str | None = None,
) -> T:
    """`data[key]` checked against `types`; missing (without default) or mistyped -> ProblemFormatError.

    `bool` is a subclass of `int` in Python, so it is refused unless asked for explicitly: a
    `"time_limit": true` is a mistake, not 1 second.
    """
    if key not in data or data[key] is None:
        if default is ...:
            raise ProblemFormatError(path, "missing required key", key)
        return default
    value = data[key]
    wanted = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool) and bool not in wanted:
        ok = False
    else:
        ok = isinstance(value, wanted)
    if not ok:
        expected = type_name or " or ".join(t.__name__ for t in wanted)
        raise ProblemFormatError(path, f"expected {expected}, got {type(value).__name__} {value!r}", key)
    return value  # type: ignore[return-value]


def positive_number(data: Mapping[str, Any], key: str, path: Path, default: Any = ...) -> float | None:
    value = get_field(data, key, (int, float), path, default=default, type_name="a number")
    if value is None:
        return None
    if not (value > 0 and math.isfinite(value)):
        raise ProblemFormatError(path, f"must be a positive finite number, got {value!r}", key)
    return float(value)


def check_id(value: str, path: Path, field: str) -> str:
    """Problem ids become file names (`<code>.cpp`, cache folders): keep them plain."""
    if not _SAFE_ID.match(value):
        raise ProblemFormatError(
            path, f"{value!r} is not a valid problem code (letters, digits, _ . + -)", field
        )
    return value


def read_source(path: Path, name: str | None = None) -> SourceFile:
    """A grader/checker/manager source, carried inline: UTF-8, so it reaches the sandbox verbatim."""
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ProblemFormatError(
            path, f"source is not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    except OSError as error:
        raise ProblemFormatError(path, f"cannot read: {error}") from None
    try:
        return SourceFile(name=name or path.name, content=content)
    except ValidationError as error:
        raise ProblemFormatError(path, _first_error(error)) from None


# A "link stub" is what a symlink becomes when a repository is checked out without symlink support
# (git core.symlinks=false, zip exports): a tiny text file holding the relative target path. Kattis
# packages store a test shared by several groups as symlinks, and the shared fish data is exactly
# such a checkout ("../../secret/group1/002-....in"): feeding that text to a solution as its input
# would silently fail every shared test, so stubs are followed like symlinks.
_STUB_MAX_BYTES = 1024
_STUB_HOPS = 16


class DanglingLink(Exception):
    """A test file is a (stub) link whose target does not exist: its data is not in the package."""

    def __init__(self, link: Path, target: Path):
        super().__init__(f"{link} links to missing {target}")
        self.link = link
        self.target = target


def _stub_target(path: Path) -> str | None:
    """The target a link stub names, or None if `path` is ordinary data."""
    try:
        if path.stat().st_size > _STUB_MAX_BYTES:
            return None
        text = path.read_bytes().decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    # One token, a relative path with the same extension as the file itself: real test data never
    # looks like "../../sample/1.in".
    if not text or any(c.isspace() for c in text) or "/" not in text or text.startswith("/"):
        return None
    if not text.endswith(path.suffix) or not path.suffix:
        return None
    return text


def resolve_data_file(path: Path, root: Path) -> Path:
    """Follow link stubs (and check real symlinks) from `path`; returns the file holding the data.

    Raises DanglingLink when the chain ends at a missing file, ProblemFormatError when it leaves
    the package `root` or loops.
    """
    root_norm = os.path.normpath(os.path.abspath(root))
    current = path
    for _ in range(_STUB_HOPS):
        if not current.exists():  # also a dangling real symlink
            raise DanglingLink(path, current)
        target = _stub_target(current)
        if target is None:
            return current
        nxt = Path(os.path.normpath(os.path.join(os.path.abspath(current.parent), target)))
        if os.path.commonpath([root_norm, str(nxt)]) != root_norm:
            raise ProblemFormatError(path, f"link points outside the package: {target}")
        current = nxt
    raise ProblemFormatError(path, "link chain too long (a loop?)")


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    return str(first.get("msg", error)).removeprefix("Value error, ")


def _error_field(error: ValidationError) -> str | None:
    loc = error.errors()[0].get("loc", ())
    return ".".join(str(part) for part in loc) or None


def build_problem(path: Path, **fields: Any) -> Problem:
    """Construct the Problem; a model-level inconsistency still comes out as ProblemFormatError."""
    try:
        return Problem(**fields)
    except ValidationError as error:
        raise ProblemFormatError(path, _first_error(error), _error_field(error)) from None


def override_limits(
    problem: Problem, time_limit: float | None = None, memory_limit: int | float | None = None
) -> Problem:
    """Apply explicit limits (seconds; bytes, or MiB when < 65536) over the package's own."""
    update: dict[str, Any] = {}
    origin = Path(problem.origin or problem.id)
    if time_limit is not None:
        valid = isinstance(time_limit, (int, float)) and not isinstance(time_limit, bool)
        if not (valid and time_limit > 0 and math.isfinite(time_limit)):
            raise ValueError(f"time_limit override must be a positive number of seconds, got {time_limit!r}")
        update["time_limit"] = float(time_limit)
    if memory_limit is not None:
        update["memory_limit"] = memory_limit_bytes(memory_limit, origin, "memory_limit")
    return problem.model_copy(update=update) if update else problem


def source_files(
    folder: Path, suffixes: Iterable[str], exclude: Iterable[str] = ()
) -> tuple[SourceFile, ...]:
    """Plain files of `folder` with the given suffixes, sorted by name (stable fingerprints)."""
    if not folder.is_dir():
        return ()
    skip = set(exclude)
    suffix_set = tuple(suffixes)
    return tuple(
        read_source(p)
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.is_file() and p.name.endswith(suffix_set) and p.name not in skip
    )


def reference_solutions(
    folder: Path, max_score: float, verdicts: Mapping[str, str] | None = None
) -> tuple[ReferenceSolution, ...]:
    """`solutions/<verdict>/*` (or flat `solutions/*` with verdicts from solutions.json)."""
    if not folder.is_dir():
        return ()
    verdicts = verdicts or {}
    found: list[ReferenceSolution] = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        language = next((lang.name for lang in registry("Language") if file.suffix in lang.extensions), None)
        if language is None:
            continue
        relative = file.relative_to(folder).as_posix()
        verdict = verdicts.get(relative) or verdicts.get(file.name)
        if verdict is None and file.parent != folder:
            verdict = file.parent.relative_to(folder).parts[0]
        expected = max_score if verdict in FULL_SCORE_VERDICTS else None
        found.append(
            ReferenceSolution(
                path=file.absolute(), language=language, verdict=verdict, expected_score=expected
            )
        )
    return tuple(found)


# -- TPS -------------------------------------------------------------------------------------------


def _task_type_params(raw: Any, path: Path) -> dict[str, Any]:
    """`task_type_params` is a JSON string in TPS exports; a plain object is accepted as well."""
    field = "task_type_params"
    if raw is None:
        return {}
    if isinstance(raw, str):
        if not raw.strip():
            return {}
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ProblemFormatError(
                path, f"is not valid JSON (column {error.colno}: {error.msg}): {raw!r}", field
            ) from None
    if not isinstance(raw, dict):
        raise ProblemFormatError(path, f"must be a JSON object, got {type(raw).__name__}", field)
    return raw


def _checker(folder: Path, convention: str, path: Path) -> Checker:
    """checker/checker.cpp with the declared convention; without it a built-in comparison.
    "cms", the default, names CMS's own rule: its checker program if there is one, else white-diff."""
    conventions = registry("CheckerKind")
    programs = [c.name for c in conventions if c.needs_program]
    source = folder / "checker.cpp"
    if source.is_file():
        if convention not in programs:
            raise ProblemFormatError(
                path,
                f"must be {' or '.join(map(repr, programs))} when checker/checker.cpp exists, got {convention!r}",
                "checker_convention",
            )
        support = source_files(folder, HEADER_SUFFIXES)
        return Checker(kind=convention, source=read_source(source), support=support)
    if convention == "cms":
        return Checker()
    if convention not in conventions:
        raise ProblemFormatError(path, f"unknown checker convention {convention!r}", "checker_convention")
    if conventions.get(convention).needs_program:
        raise ProblemFormatError(
            source, f"checker_convention {convention!r} needs checker/checker.cpp", "checker_convention"
        )
    return Checker(kind=convention)


def _subtasks(folder: Path) -> list[tuple[Subtask, Path]]:
    if not folder.is_dir():
        raise ProblemFormatError(folder, "missing subtasks folder (subtasks/NN-name.json)", "subtasks")
    files = sorted((p for p in folder.iterdir() if p.is_file() and p.suffix == ".json"), key=lambda p: p.name)
    if not files:
        raise ProblemFormatError(folder, "no subtask files (subtasks/NN-name.json)", "subtasks")
    subtasks = []
    for file in files:
        data = read_json(file, "subtask file")
        if not isinstance(data, dict):
            raise ProblemFormatError(file, f"must be a JSON object, got {type(data).__name__}")
        points = get_field(data, "score", (int, float), file, type_name="a number")
        if not (points >= 0 and math.isfinite(points)):
            raise ProblemFormatError(file, f"must be a finite number >= 0, got {points}", "score")
        tests = get_field(data, "testcases", list, file, type_name="a list of test names")
        if not all(isinstance(t, str) and t for t in tests):
            raise ProblemFormatError(file, "must be a list of test names (strings)", "testcases")
        # "name" is our extension: open-r1 subtask names that do not sort in dataset order keep
        # their name while the file is prefixed with its index.
        name = get_field(data, "name", str, file, default=file.stem)
        # "score_type" is our extension too: any registered score type (CMS's GroupMin by default).
        score_type = get_field(data, "score_type", str, file, default="GroupMin")
        if score_type not in registry("ScoreType"):
            known = ", ".join(registry("ScoreType").names())
            raise ProblemFormatError(file, f"unknown score type {score_type!r} (known: {known})", "score_type")
        subtasks.append((Subtask(name=name, points=float(points), tests=tuple(dict.fromkeys(tests)),
                                 score_type=score_type), file))
    return subtasks


def _test_files(folder: Path) -> dict[str, Path]:
    """Every `<name>.in` under tests/ (names may hold '/': open-r1 exports of Kattis groups)."""
    if not folder.is_dir():
        return {}
    found = {}
    for file in folder.rglob("*.in"):
        if file.is_file() or file.is_symlink():
            found[file.relative_to(folder).with_suffix("").as_posix()] = file
    return found


def load_tps(path: str | os.PathLike[str]) -> Problem:
    """Load a TPS export folder. Raises ProblemFormatError (file + field) on any malformed part."""
    root = Path(os.path.abspath(path))  # absolute, ".." folded: paths outlive the cwd
    if not root.is_dir():
        raise ProblemFormatError(root, "not a directory")
    meta_path = root / "problem.json"
    meta = read_json(meta_path, "problem.json")
    if not isinstance(meta, dict):
        raise ProblemFormatError(meta_path, f"must be a JSON object, got {type(meta).__name__}")

    code = check_id(get_field(meta, "code", str, meta_path), meta_path, "code")
    name = get_field(meta, "name", str, meta_path, default=code)
    time_limit = positive_number(meta, "time_limit", meta_path)
    memory_limit = memory_limit_bytes(
        get_field(meta, "memory_limit", (int, float), meta_path, type_name="a number"),
        meta_path,
        "memory_limit",
    )
    bounds = {key: get_field(meta, key, int, meta_path) for key in ("output_max_line", "output_max_tokens")
              if key in meta}
    for key, value in bounds.items():
        if value < 1:
            raise ProblemFormatError(meta_path, f"must be a positive number, got {value}", key)
    precision = get_field(meta, "score_precision", int, meta_path, default=2)
    if not 0 <= precision <= 10:
        raise ProblemFormatError(meta_path, f"must be between 0 and 10, got {precision}", "score_precision")
    task_types = registry("TaskType")
    task_type_raw = get_field(meta, "task_type", str, meta_path, default="Batch")
    if task_type_raw not in task_types:
        raise ProblemFormatError(
            meta_path, f"unknown task type {task_type_raw!r} (known: {', '.join(task_types.names())})", "task_type"
        )
    task_type = task_types.get(task_type_raw)
    params = _task_type_params(meta.get("task_type_params"), meta_path)
    convention = get_field(meta, "checker_convention", str, meta_path, default="cms")
    year = get_field(meta, "year", int, meta_path, default=None)
    checker_flags = get_field(meta, "checker_flags", list, meta_path, default=[])
    if not all(isinstance(flag, str) for flag in checker_flags):
        raise ProblemFormatError(meta_path, "must be a list of strings", "checker_flags")

    graders_dir = root / "graders"
    task_params = task_type.read_cms_params(params, graders_dir, meta_path)
    # manager.cpp is trusted: the contestant must never see it, so it is never a grader file.
    # `<code>.cpp` would be the contestant's own file name (TPS keeps a template there): the
    # submission replaces it, so shipping it as a grader file would only clash.
    graders = source_files(graders_dir, GRADER_SUFFIXES, exclude=("manager.cpp", f"{code}.cpp"))
    checker = _checker(root / "checker", convention, meta_path)
    if checker_flags:
        checker = checker.model_copy(update={"flags": tuple(checker_flags)})

    subtask_files = _subtasks(root / "subtasks")
    subtasks = [subtask for subtask, _ in subtask_files]
    files = _test_files(root / "tests")
    order: dict[str, None] = {}
    for subtask, file in subtask_files:
        for test in subtask.tests:
            if test not in files:
                raise ProblemFormatError(
                    file,
                    f"subtask {subtask.name!r} names test {test!r} but tests/{test}.in does not exist",
                    "testcases",
                )
            order.setdefault(test, None)
    for test in sorted(files):
        order.setdefault(test, None)

    tests: dict[str, TestCase] = {}
    for test in order:
        tests[test] = _test_case(test, files[test], root, task_type.needs_answers)

    solutions_json = root / "solutions.json"
    verdicts: dict[str, str] = {}
    if solutions_json.is_file():
        data = read_json(solutions_json, "solutions.json")
        if not isinstance(data, dict):
            raise ProblemFormatError(solutions_json, "must be a JSON object {file: {verdict: ...}}")
        for file_name, info in data.items():
            if not isinstance(info, dict) or not isinstance(info.get("verdict"), str):
                raise ProblemFormatError(solutions_json, "each entry needs a string 'verdict'", file_name)
            verdicts[file_name] = info["verdict"]
    max_score = sum(s.points for s in subtasks)

    return build_problem(
        meta_path,
        id=code,
        name=name,
        task_type=task_type.name,
        task_params=task_params,
        time_limit=time_limit,
        memory_limit=memory_limit,
        score_precision=precision,
        subtasks=tuple(subtasks),
        tests=tests,
        graders=graders,
        **bounds,
        checker=checker,
        solutions=reference_solutions(root / "solutions", max_score, verdicts),
        year=year,
        origin=str(root),
    )


def _test_case(name: str, input_file: Path, root: Path, needs_answer: bool) -> TestCase:
    try:
        input_path = resolve_data_file(input_file, root)
    except DanglingLink as error:
        raise ProblemFormatError(input_file, f"test data missing: links to {error.target}", "tests") from None
    answer_file = input_file.with_suffix(".out")
    answer: Path | None = None
    if answer_file.exists() or answer_file.is_symlink():
        try:
            answer = resolve_data_file(answer_file, root)
        except DanglingLink as error:
            raise ProblemFormatError(
                answer_file, f"test data missing: links to {error.target}", "tests"
            ) from None
    elif needs_answer:
        # Communication managers may judge from the input alone; a Batch test cannot.
        raise ProblemFormatError(answer_file, f"test {name!r} has an .in but no .out", "tests")
    return TestCase(name=name, input=input_path, answer=answer)
