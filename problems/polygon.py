"""Load a Polygon package (what Codeforces problem setters export) into a `Problem`.

Layout (the parts the grader reads)::

    problem.xml   <judging input-file output-file>  ("" or stdin/stdout, else e.g. input.txt)
                    <testset name="tests">  time-limit (ms), memory-limit (bytes),
                      input-path-pattern tests/%02d, answer-path-pattern tests/%02d.a,
                      <tests><test [group] [points] [sample] [method cmd]/>...
                      <groups><group name points points-policy><dependencies>...
                  <assets>
                    <checker name="std::ncmp.cpp" | type="testlib"> <source path>, <copy path="check.cpp">
                    <interactor> <source path>
                    <solutions> <solution tag="main|accepted|rejected|wrong-answer|..."> <source path type>
    tests/NN, tests/NN.a
    files/testlib.h ... (resources: headers the checker and interactor include)

Scoring: without groups the package is one subtask worth 100 that every test must pass (how
Codeforces judges it); with groups each group is a subtask worth its points, `complete-group`
scored as GroupMin (its tests include those of the groups it depends on), `each-test` as the
sum of its tests' points. Submissions are compiled with `-DONLINE_JUDGE`, as on Codeforces.

Checkers: the package's own (`check.cpp`), or for a `std::` standard checker whose source the
package leaves out, our own implementation of it (`checkers/standard/`). Generated tests must be
in the package (Polygon writes them there when it builds the package); a missing one is an error
that names its generator command.
"""

from __future__ import annotations

import math
import os
import re
import warnings
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from ..checkers.testlib import standard_checker_source
from .model import Checker, Problem, ProblemFormatError, ReferenceSolution, SourceFile, Subtask, TestCase
from .tps import build_problem, check_id, override_limits, read_source

__all__ = ["CODEFORCES_DEFINES", "PolygonWarning", "language_of_type", "load_polygon"]

CODEFORCES_DEFINES = ("ONLINE_JUDGE",)
TESTSET = "tests"  # the testset Codeforces judges with (others, e.g. "pretests", are subsets)
# Solution tags whose solutions pass every test; and those that fail some test.
ACCEPTED_TAGS = {"main", "accepted"}
FAILING_TAGS = {"rejected", "wrong-answer", "presentation-error", "time-limit-exceeded", "memory-limit-exceeded",
                "failed"}
_PATTERN = re.compile(r"%0?\d*d")


class PolygonWarning(UserWarning):
    """The package loaded, but some of what problem.xml names is not in it (e.g. a solution)."""


def language_of_type(source_type: str) -> str | None:
    """Our language for a Polygon source type ("cpp.g++17" -> cpp17, "python.3" -> python); None
    for languages we do not grade (Java, Pascal...)."""
    kind = source_type.lower()
    if kind.startswith("cpp."):
        return "cpp20" if "20" in kind or "23" in kind else "cpp17"
    if kind.startswith("python.pypy"):
        return "pypy3"
    if kind.startswith("python.3") or kind == "python":
        return "python"
    return None


def _element(parent: ElementTree.Element, path: str, where: Path, field: str) -> ElementTree.Element:
    found = parent.find(path)
    if found is None:
        raise ProblemFormatError(where, f"missing <{path}>", field)
    return found


def _number(text: str | None, where: Path, field: str, kind=float) -> float:
    try:
        value = kind((text or "").strip())
    except ValueError:
        raise ProblemFormatError(where, f"must be a number, got {text!r}", field) from None
    if not (math.isfinite(value) and value > 0):
        raise ProblemFormatError(where, f"must be a positive number, got {text!r}", field)
    return value


def _package_file(root: Path, relative: str, where: Path, field: str) -> Path:
    """A file of the package named by problem.xml; it may not leave the package."""
    path = Path(os.path.normpath(root / relative))
    if os.path.commonpath([str(root), str(path)]) != str(root):
        raise ProblemFormatError(where, f"{relative!r} points outside the package", field)
    return path


def _file_mode(value: str | None) -> str:
    name = (value or "").strip()
    return "" if name in ("", "stdin", "stdout") else name


def _resources(root: Path, problem_xml: ElementTree.Element, where: Path) -> tuple[SourceFile, ...]:
    """Headers among the package's resources (testlib.h...), which checkers and interactors include."""
    found = []
    for item in problem_xml.findall("files/resources/file"):
        relative = item.get("path", "")
        path = _package_file(root, relative, where, "files.resources")
        if path.suffix in (".h", ".hpp") and path.is_file():
            found.append(read_source(path))
    return tuple(found)


def _source_of(root: Path, asset: ElementTree.Element, where: Path, what: str) -> Path | None:
    """The source file of a checker or interactor: its <copy> (check.cpp), else its <source>."""
    candidates = [item.get("path", "") for item in (asset.find("copy"), asset.find("source")) if item is not None]
    for relative in candidates:
        path = _package_file(root, relative, where, what)
        if path.is_file():
            return path
    return None


def _checker(root: Path, assets: ElementTree.Element | None, support: tuple[SourceFile, ...], where: Path) -> Checker:
    checker = assets.find("checker") if assets is not None else None
    if checker is None:
        raise ProblemFormatError(where, "no <checker> in <assets>", "assets.checker")
    kind = checker.get("type", "testlib")
    if kind != "testlib":
        raise ProblemFormatError(where, f"checker type {kind!r} is not supported (only testlib)", "assets.checker")
    source = _source_of(root, checker, where, "assets.checker")
    name = checker.get("name", "")
    if source is not None:
        content = read_source(source, "checker.cpp").content
    elif name.startswith("std::"):
        try:
            content = standard_checker_source(name)
        except ValueError as error:
            raise ProblemFormatError(where, str(error), "assets.checker.name") from None
    else:
        named = [item.get("path") for item in (checker.find("copy"), checker.find("source")) if item is not None]
        raise ProblemFormatError(where, f"the checker's source is not in the package (looked for "
                                        f"{', '.join(map(str, named)) or 'nothing: no <source>'})", "assets.checker")
    return Checker(kind="testlib", source=SourceFile(name="checker.cpp", content=content), support=support)


def _tests(root: Path, testset: ElementTree.Element, where: Path) -> tuple[list[dict], dict[str, TestCase]]:
    input_pattern = _element(testset, "input-path-pattern", where, "testset.input-path-pattern").text or ""
    answer_pattern = _element(testset, "answer-path-pattern", where, "testset.answer-path-pattern").text or ""
    for field, pattern in (("input-path-pattern", input_pattern), ("answer-path-pattern", answer_pattern)):
        if len(_PATTERN.findall(pattern)) != 1:
            raise ProblemFormatError(where, f"must hold one %d-style number, got {pattern!r}", f"testset.{field}")
    described = testset.findall("tests/test")
    count_text = testset.findtext("test-count")
    count = int(_number(count_text, where, "testset.test-count", int)) if count_text and count_text.strip() != "0" \
        else len(described)
    if described and len(described) != count:
        raise ProblemFormatError(where, f"test-count is {count} but <tests> lists {len(described)}", "testset.tests")
    rows: list[dict] = []
    tests: dict[str, TestCase] = {}
    for index in range(1, count + 1):
        info = described[index - 1].attrib if described else {}
        input_path = _package_file(root, input_pattern % index, where, "testset.input-path-pattern")
        answer_path = _package_file(root, answer_pattern % index, where, "testset.answer-path-pattern")
        name = input_path.name
        for path, what in ((input_path, "input"), (answer_path, "answer")):
            if not path.is_file():
                how = f" (generated by `{info['cmd']}`: build the package with its tests)" if info.get("cmd") else ""
                raise ProblemFormatError(path, f"test {index}'s {what} is missing{how}", "tests")
        tests[name] = TestCase(name=name, input=input_path, answer=answer_path)
        points = info.get("points")
        rows.append({"name": name, "group": info.get("group"), "sample": info.get("sample") == "true",
                     "points": float(points) if points not in (None, "") else None})
    return rows, tests


def _subtasks(testset: ElementTree.Element, rows: list[dict], where: Path) -> list[Subtask]:
    grouped = any(row["group"] is not None for row in rows)
    if not grouped:
        pointed = [row for row in rows if row["points"]]
        if pointed:  # points per test and no groups: each test is worth its own points
            return [Subtask(name=row["name"], points=row["points"] or 0.0, tests=(row["name"],)) for row in rows]
        # Codeforces' own rule: the problem is accepted when every test passes.
        return [Subtask(name=TESTSET, points=100.0, tests=tuple(row["name"] for row in rows))]
    members: dict[str, list[str]] = {}
    for row in rows:
        if row["group"] is None:
            raise ProblemFormatError(where, f"test {row['name']} has no group while others have one", "tests.group")
        members.setdefault(row["group"], []).append(row["name"])
    declared = {group.get("name"): group for group in testset.findall("groups/group")}
    unknown = sorted(set(declared) - set(members))
    if unknown:
        raise ProblemFormatError(where, f"group(s) without tests: {', '.join(unknown)}", "groups")
    points_of = {row["name"]: row["points"] or 0.0 for row in rows}
    subtasks = []

    def with_dependencies(group: str, seen: tuple[str, ...] = ()) -> list[str]:
        if group in seen:
            raise ProblemFormatError(where, f"groups depend on each other in a cycle: {' -> '.join(seen + (group,))}",
                                     "groups.dependencies")
        tests = list(members[group])
        element = declared.get(group)
        for dependency in (element.findall("dependencies/dependency") if element is not None else []):
            name = dependency.get("group")
            if name not in members:
                raise ProblemFormatError(where, f"group {group} depends on unknown group {name!r}", "groups")
            tests += [t for t in with_dependencies(name, seen + (group,)) if t not in tests]
        return tests

    for group, tests in members.items():
        element = declared.get(group)
        policy = element.get("points-policy", "complete-group") if element is not None else "complete-group"
        own_points = sum(points_of[t] for t in tests)
        stated = element.get("points") if element is not None else None
        points = float(stated) if stated not in (None, "") else own_points
        if policy == "complete-group":
            subtasks.append(Subtask(name=group, points=points, tests=tuple(with_dependencies(group))))
        elif policy == "each-test":
            values = {points_of[t] for t in tests}
            if len(values) == 1:
                subtasks.append(Subtask(name=group, points=own_points, tests=tuple(tests), score_type="Sum"))
            else:  # unequal points per test: one subtask per test keeps each test's own worth
                subtasks += [Subtask(name=f"{group}/{t}", points=points_of[t], tests=(t,)) for t in tests]
        else:
            raise ProblemFormatError(where, f"group {group}: unknown points-policy {policy!r}", "groups.points-policy")
    return subtasks


def _solutions(root: Path, assets: ElementTree.Element | None, pass_fail: bool, max_score: float,
               where: Path) -> tuple[ReferenceSolution, ...]:
    found = []
    missing = []
    for solution in (assets.findall("solutions/solution") if assets is not None else []):
        tag = solution.get("tag", "")
        source = solution.find("source")
        if source is None:
            continue
        language = language_of_type(source.get("type", ""))
        path = _package_file(root, source.get("path", ""), where, "assets.solutions")
        if language is None:
            continue  # Java, Pascal...: not a language we grade
        if not path.is_file():
            missing.append(source.get("path", ""))
            continue
        expected = max_score if tag in ACCEPTED_TAGS else 0.0 if tag in FAILING_TAGS and pass_fail else None
        found.append(ReferenceSolution(path=path, language=language, verdict=tag, expected_score=expected))
    if missing:
        warnings.warn(f"{root}: solution(s) named in problem.xml but absent: {', '.join(missing)}", PolygonWarning,
                      stacklevel=3)
    return tuple(found)


def load_polygon(path: str | os.PathLike[str], time_limit: float | None = None,
                 memory_limit: int | None = None) -> Problem:
    """Load a Polygon package folder (with its tests built); explicit limits win over its own."""
    root = Path(os.path.abspath(path))
    if not root.is_dir():
        raise ProblemFormatError(root, "not a directory")
    where = root / "problem.xml"
    if not where.is_file():
        raise ProblemFormatError(where, "missing problem.xml")
    try:
        problem_xml = ElementTree.parse(where).getroot()
    except ElementTree.ParseError as error:
        raise ProblemFormatError(where, f"invalid XML: {error}") from None
    if problem_xml.tag != "problem":
        raise ProblemFormatError(where, f"the root element is <{problem_xml.tag}>, not <problem>")
    problem_id = check_id(problem_xml.get("short-name") or root.name, where, "short-name")
    names = problem_xml.findall("names/name")
    english = [n.get("value") for n in names if n.get("language") == "english" and n.get("value")]
    name = (english or [n.get("value") for n in names if n.get("value")] or [problem_id])[0]

    judging = _element(problem_xml, "judging", where, "judging")
    testset = next((t for t in judging.findall("testset") if t.get("name") == TESTSET), None)
    if testset is None:
        raise ProblemFormatError(where, f"no <testset name=\"{TESTSET}\">", "judging.testset")
    seconds = _number(testset.findtext("time-limit"), where, "testset.time-limit") / 1000
    memory = int(_number(testset.findtext("memory-limit"), where, "testset.memory-limit", int))
    rows, tests = _tests(root, testset, where)
    subtasks = _subtasks(testset, rows, where)

    assets = problem_xml.find("assets")
    support = _resources(root, problem_xml, where)
    checker = _checker(root, assets, support, where)
    interactor = assets.find("interactor") if assets is not None else None
    if interactor is not None:
        source = _source_of(root, interactor, where, "assets.interactor")
        if source is None:
            raise ProblemFormatError(where, "the interactor's source is not in the package", "assets.interactor")
        task_type = "Interactive"
        task_params = {"protocol": "testlib", "interactor": read_source(source, "interactor" + source.suffix),
                       "support": support}
    else:
        task_type = "Batch"
        task_params = {"input_file": _file_mode(judging.get("input-file")),
                       "output_file": _file_mode(judging.get("output-file"))}
    max_score = sum(s.points for s in subtasks)
    pass_fail = len(subtasks) == 1 and subtasks[0].score_type.value == "GroupMin"
    problem = build_problem(
        where, id=problem_id, name=name, task_type=task_type, task_params=task_params, time_limit=seconds,
        memory_limit=memory, subtasks=tuple(subtasks), tests=tests, checker=checker,
        solutions=_solutions(root, assets, pass_fail, max_score, where), compile_defines=CODEFORCES_DEFINES,
        origin=str(root),
    )
    return override_limits(problem, time_limit, memory_limit)
