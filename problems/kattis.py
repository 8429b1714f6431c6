"""Load a Kattis problem package (as IOI task archives are published, e.g. ioi2022-fish) into a `Problem`.

Layout::

    problem.yaml                      name, limits.memory (MiB), [limits.time_limit], validator_flags
    .timelimit                        optional: the time limit in seconds (problemtools writes it)
    data/testdata.yaml                settings inherited by every folder below
    data/sample/*.in|.ans             subtask "sample", worth its accept_score (0 when absent)
    data/secret/<group>/*.in|.ans     one subtask per group, settings from <group>/testdata.yaml
    include/cpp/                      grader.cpp and headers
    submissions/<verdict>/*.cpp|*.py  reference solutions ("accepted" must get full marks)

A test shared by several groups is stored once per group (a copy, a symlink, or a *link stub*
- see `tps.resolve_data_file`); it becomes a single test so it runs once per submission.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shlex
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .model import (
    Checker,
    Problem,
    ProblemFormatError,
    SourceFile,
    Subtask,
    TestCase,
)
from .tps import (
    GRADER_SUFFIXES,
    MIB,
    DanglingLink,
    build_problem,
    check_id,
    get_field,
    override_limits,
    positive_number,
    reference_solutions,
    read_source,
    resolve_data_file,
    source_files,
)

__all__ = ["ProblemDataWarning", "load_kattis", "natural_key"]

# The time limit IOI 2022 used for every task; Kattis packages of IOI tasks state only a
# `time_multiplier` (relative to the judges' solutions), which a grader without those solutions
# cannot turn into seconds.
DEFAULT_TIME_LIMIT = 1.0
# Kattis' own default when problem.yaml states no memory limit (the fish package says so too).
DEFAULT_MEMORY_MIB = 1024


class ProblemDataWarning(UserWarning):
    """The package loaded, but some of its data is missing (e.g. tests linking to absent files)."""


def natural_key(text: str) -> list[int | str]:
    """Sort key putting group2 before group10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def _read_yaml(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise ProblemFormatError(path, f"missing {what}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ProblemFormatError(path, f"invalid YAML{where}: {problem}") from None
    except (UnicodeDecodeError, OSError) as error:
        raise ProblemFormatError(path, f"cannot read {what}: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProblemFormatError(path, f"must be a YAML mapping, got {type(data).__name__}")
    return data


def _problem_name(meta: Mapping[str, Any], default: str, path: Path) -> str:
    raw = meta.get("name")
    if raw is None:
        return default
    if isinstance(raw, str):
        return raw or default
    if isinstance(raw, dict) and raw:
        # Multilingual packages map language codes to names.
        value = raw.get("en", next(iter(raw.values())))
        if isinstance(value, str) and value:
            return value
    raise ProblemFormatError(
        path, f"must be a string or a mapping of language to string, got {raw!r}", "name"
    )


def _flags(raw: Any, path: Path, field: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        try:
            return tuple(shlex.split(raw))
        except ValueError as error:  # an unbalanced quote or a trailing backslash
            raise ProblemFormatError(path, f"cannot be split into flags ({error}): {raw!r}", field) from error
    if isinstance(raw, list) and all(
        isinstance(flag, (str, int, float)) and not isinstance(flag, bool) for flag in raw
    ):
        return tuple(str(flag) for flag in raw)
    raise ProblemFormatError(path, f"must be a string of flags, got {raw!r}", field)


def _time_limit(limits: Mapping[str, Any], root: Path, meta_path: Path) -> float:
    if limits.get("time_limit") is not None:
        return positive_number(limits, "time_limit", meta_path)  # type: ignore[return-value]
    dotfile = root / ".timelimit"
    if dotfile.is_file():
        text = dotfile.read_text(encoding="utf-8", errors="replace").strip()
        try:
            value = float(text)
        except ValueError:
            raise ProblemFormatError(
                dotfile, f"must hold a number of seconds, got {text[:40]!r}", "time_limit"
            ) from None
        if not (value > 0 and math.isfinite(value)):
            raise ProblemFormatError(
                dotfile, f"must be a positive number of seconds, got {text!r}", "time_limit"
            )
        return value
    # Neither the package nor the caller states one: the official IOI limit (see DEFAULT_TIME_LIMIT).
    return DEFAULT_TIME_LIMIT


class _TestCollector:
    """Turns group folders into deduplicated tests.

    Identity: two files are one test when they resolve to the same data file (symlinks, link
    stubs) or share a base name and have identical .in and .ans contents; a same-named file with
    different contents is qualified as "<group>/<base>".
    """

    def __init__(self, root: Path, strict: bool):
        self.root = root
        self.strict = strict
        self.tests: dict[str, TestCase] = {}
        self._by_path: dict[tuple[str, str], str] = {}
        self._digests: dict[str, str] = {}
        self.dropped: list[str] = []

    def _digest(self, test: TestCase) -> str:
        key = f"{test.input}\0{test.answer}"
        if key not in self._digests:
            sha = hashlib.sha256()
            for file in (test.input, test.answer):
                assert file is not None
                with open(file, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        sha.update(block)
                sha.update(b"\0")  # keep "a"+"bc" distinct from "ab"+"c"
            self._digests[key] = sha.hexdigest()
        return self._digests[key]

    def group(self, group: str, folder: Path, recursive: bool) -> list[str]:
        """Test names of a group folder, in natural file order."""
        pattern = "**/*.in" if recursive else "*.in"
        files = sorted(
            (p for p in folder.glob(pattern) if p.is_file() or p.is_symlink()),
            key=lambda p: natural_key(p.relative_to(folder).as_posix()),
        )
        names: list[str] = []
        for input_file in files:
            name = self._add(group, folder, input_file)
            if name is not None and name not in names:
                names.append(name)
        return names

    def _add(self, group: str, folder: Path, input_file: Path) -> str | None:
        answer_file = input_file.with_suffix(".ans")
        if not (answer_file.exists() or answer_file.is_symlink()):
            raise ProblemFormatError(
                answer_file, f"test {input_file.name} has no .ans (expected output)", "data"
            )
        try:
            input_path = resolve_data_file(input_file, self.root)
            answer_path = resolve_data_file(answer_file, self.root)
        except DanglingLink as error:
            relative = error.link.relative_to(self.root).as_posix()
            if self.strict:
                raise ProblemFormatError(
                    error.link, f"test data missing: links to absent {error.target}", "data"
                ) from None
            self.dropped.append(relative)
            return None
        key = (os.path.realpath(input_path), os.path.realpath(answer_path))
        if key in self._by_path:
            return self._by_path[key]
        base = input_file.stem
        candidate = TestCase(name=base, input=input_path, answer=answer_path)
        existing = self.tests.get(base)
        if existing is None:
            name = base
        elif self._digest(existing) == self._digest(candidate):
            name = base
        else:
            # Same file name, different data: both are real tests.
            name = f"{group}/{input_file.relative_to(folder).with_suffix('').as_posix()}"
            candidate = TestCase(name=name, input=input_path, answer=answer_path)
        if name not in self.tests:
            self.tests[name] = candidate
        self._by_path[key] = name
        return name


def _settings(data_dir: Path, folder: Path) -> dict[str, Any]:
    """testdata.yaml of `folder` merged over those of its parents up to data/ (Kattis inheritance)."""
    chain = [folder, *folder.relative_to(data_dir).parents]
    merged: dict[str, Any] = {}
    for relative in reversed(chain):
        directory = relative if relative.is_absolute() else data_dir / relative
        file = directory / "testdata.yaml"
        if file.is_file():
            merged.update(_read_yaml(file, "testdata.yaml"))
    return merged


def _accept_score(settings: Mapping[str, Any], folder: Path, default: float) -> float:
    file = folder / "testdata.yaml"
    score = get_field(settings, "accept_score", (int, float), file, default=default, type_name="a number")
    if not (score >= 0 and math.isfinite(score)):
        raise ProblemFormatError(file, f"must be a finite number >= 0, got {score}", "accept_score")
    return float(score)


def _interactive_validator(root: Path) -> tuple[SourceFile, tuple[SourceFile, ...]]:
    """The interactive output validator of a package (`output_validators/<name>/` or
    `output_validator/`): its main source (the one .cpp, or the one .py) and the headers it includes."""
    folders = [root / "output_validator"] if (root / "output_validator").is_dir() else []
    parent = root / "output_validators"
    if parent.is_dir():
        folders += [p for p in sorted(parent.iterdir()) if p.is_dir()]
        if not folders and any(p.suffix in (".cpp", ".py") for p in parent.iterdir()):
            folders = [parent]
    if len(folders) != 1:
        raise ProblemFormatError(parent, f"an interactive problem needs exactly one output validator, found "
                                         f"{len(folders)}", "output_validators")
    folder = folders[0]
    mains = [p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix in (".cpp", ".cc", ".py")]
    if len(mains) != 1:
        raise ProblemFormatError(folder, f"expected one validator source (.cpp or .py), found "
                                         f"{', '.join(p.name for p in mains) or 'none'}", "output_validators")
    support = tuple(read_source(p) for p in sorted(folder.iterdir()) if p.is_file() and p.suffix in (".h", ".hpp"))
    main = mains[0]
    return read_source(main, "interactor" + (".py" if main.suffix == ".py" else ".cpp")), support


def load_kattis(
    path: str | os.PathLike[str],
    time_limit: float | None = None,
    memory_limit: int | None = None,
    *,
    strict: bool = False,
) -> Problem:
    """Load a Kattis package; explicit limits (seconds; bytes, or MiB when < 65536) win over it.

    Tests whose data is a link to a file absent from the package (a trimmed archive) are dropped
    with a `ProblemDataWarning`, or raise ProblemFormatError when `strict`.
    """
    root = Path(os.path.abspath(path))  # absolute, ".." folded: paths outlive the cwd
    if not root.is_dir():
        raise ProblemFormatError(root, "not a directory")
    meta_path = root / "problem.yaml"
    meta = _read_yaml(meta_path, "problem.yaml")
    problem_id = check_id(root.name, root, "id")
    name = _problem_name(meta, problem_id, meta_path)

    validation = get_field(meta, "validation", str, meta_path, default="default")
    words = validation.split() or ["default"]
    kinds = meta.get("type", [])
    interactive = "interactive" in words or kinds == "interactive" or (
        isinstance(kinds, list) and "interactive" in kinds)
    validator = _interactive_validator(root) if interactive else None
    if not interactive:
        for folder in ("output_validators", "output_validator"):
            if (root / folder).exists():
                raise ProblemFormatError(
                    root / folder,
                    "custom Kattis output validators are supported for interactive problems only"
                    " (use a TPS package with a CMS or testlib checker)",
                    "output_validators",
                )
        if words[0] != "default":
            raise ProblemFormatError(
                meta_path, f"validation {validation!r} is not supported (only 'default' and 'custom interactive')",
                "validation"
            )

    limits = get_field(meta, "limits", dict, meta_path, default={}, type_name="a mapping")
    memory_mib = get_field(
        limits, "memory", (int, float), meta_path, default=DEFAULT_MEMORY_MIB, type_name="a number"
    )
    if not (memory_mib > 0 and math.isfinite(memory_mib)):
        raise ProblemFormatError(
            meta_path, f"must be a positive number of MiB, got {memory_mib!r}", "limits.memory"
        )
    package_time = _time_limit(limits, root, meta_path)
    checker = Checker(
        kind="token_diff", flags=_flags(meta.get("validator_flags"), meta_path, "validator_flags")
    )

    data_dir = root / "data"
    if not data_dir.is_dir():
        raise ProblemFormatError(data_dir, "missing data folder (data/sample, data/secret)", "data")
    collector = _TestCollector(root, strict)
    subtasks: list[Subtask] = []

    sample_dir = data_dir / "sample"
    if sample_dir.is_dir():
        tests = collector.group("sample", sample_dir, recursive=True)
        if tests:
            # Samples are judged as one block worth their accept_score (IOI: 0 points).
            points = _accept_score(_settings(data_dir, sample_dir), sample_dir, default=0.0)
            subtasks.append(
                Subtask(name="sample", points=points, tests=tuple(tests), score_type="GroupMin")
            )

    secret_dir = data_dir / "secret"
    if not secret_dir.is_dir():
        raise ProblemFormatError(secret_dir, "missing data/secret", "data")
    groups: list[tuple[str, Path, bool]] = []
    if any(p.suffix == ".in" for p in secret_dir.iterdir()):
        groups.append(("secret", secret_dir, False))
    subdirs = sorted((p for p in secret_dir.iterdir() if p.is_dir()), key=lambda p: natural_key(p.name))
    groups.extend((p.name, p, True) for p in subdirs)
    if not groups:
        raise ProblemFormatError(secret_dir, "no tests and no test groups", "data")

    for group, folder, recursive in groups:
        tests = collector.group(group, folder, recursive)
        if not tests:
            raise ProblemFormatError(folder, f"test group {group!r} has no tests", "data")
        settings = _settings(data_dir, folder)
        # Kattis' default accept_score is 1 per accepted test.
        accept = _accept_score(settings, folder, default=1.0)
        flags = _flags(settings.get("grader_flags"), folder / "testdata.yaml", "grader_flags")
        if "min" in flags:
            subtask = Subtask(name=group, points=accept, tests=tuple(tests), score_type="GroupMin")
        else:
            # The default grader sums its tests' scores: each accepted test is worth accept_score.
            subtask = Subtask(
                name=group, points=accept * len(tests), tests=tuple(tests), score_type="Sum"
            )
        subtasks.append(subtask)

    if collector.dropped:
        shown = ", ".join(collector.dropped[:10]) + (" ..." if len(collector.dropped) > 10 else "")
        warnings.warn(
            f"{root}: {len(collector.dropped)} test file(s) dropped, "
            f"they link to data missing from the package: {shown}",
            ProblemDataWarning,
            stacklevel=2,
        )

    include = root / "include" / "cpp"
    graders = source_files(include, GRADER_SUFFIXES)
    compilation = "grader" if any(f.name == "grader.cpp" for f in graders) else "alone"
    max_score = sum(s.points for s in subtasks)
    task_params: dict[str, Any] = {"compilation": compilation}
    if validator is not None:
        main, support = validator
        task_params = {"protocol": "kattis", "interactor": main, "support": support}

    problem = build_problem(
        meta_path,
        id=problem_id,
        name=name,
        task_type="Interactive" if validator is not None else "Batch",
        time_limit=package_time,
        memory_limit=int(round(memory_mib * MIB)),
        subtasks=tuple(subtasks),
        tests=collector.tests,
        task_params=task_params,
        graders=graders,
        checker=checker,
        solutions=reference_solutions(root / "submissions", max_score),
        origin=str(root),
    )
    return override_limits(problem, time_limit, memory_limit)
