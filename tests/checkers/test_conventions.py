"""Every registered checker convention judges its own examples: comparisons in the worker,
checker programs compiled and run through the plain-process test double (no Docker). And the
rule that whatever a contestant's output does to a checker is the contestant's doing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ioi_grader.checkers import CheckerFailure, Comparison, JudgeContext, ProgramChecker, conventions
from ioi_grader.languages import languages
from ioi_grader.problems.model import Checker, Problem, SourceFile, Subtask, TestCase

COMPARISONS = [c.name for c in conventions if isinstance(c, Comparison)]
PROGRAMS = [c.name for c in conventions if isinstance(c, ProgramChecker)]


def test_the_built_in_conventions_are_registered():
    assert {"white_diff", "token_diff", "tokens", "cms", "testlib", "python_checker"} <= set(conventions.names())


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparison_examples(name):
    plugin = conventions.get(name)
    assert plugin.examples, f"{name} has no examples"
    for example in plugin.examples:
        assert plugin.compare(example.output, example.answer, example.flags).outcome == example.outcome, example


def problem_with_checker(tmp_path: Path, kind: str, source: str, answers: list[tuple[bytes, bytes]],
                         source_name: str = "checker.cpp") -> Problem:
    tests = {}
    for index, (given, answer) in enumerate(answers):
        (tmp_path / f"{index}.in").write_bytes(given)
        (tmp_path / f"{index}.ans").write_bytes(answer)
        tests[str(index)] = TestCase(name=str(index), input=tmp_path / f"{index}.in", answer=tmp_path / f"{index}.ans")
    return Problem(
        id="checked", name="checked", time_limit=1, memory_limit=256 << 20,
        subtasks=(Subtask(name="all", points=100, tests=tuple(tests)),), tests=tests,
        checker=Checker(kind=kind, source=SourceFile(name=source_name, content=source)),
    )


def judge_all(fake_grader, problem: Problem, outputs: list[bytes], tmp_path: Path):
    programs = fake_grader.programs.programs(problem, languages.get("cpp"))
    context = JudgeContext(problem=problem, checker=programs.checker, judge_box=fake_grader.pool.judge_box)
    convention = conventions.get(problem.checker.kind)
    verdicts = []
    for index, output in enumerate(outputs):
        path = tmp_path / f"{index}.out"
        path.write_bytes(output)
        verdicts.append(convention.judge(context, problem.tests[str(index)], path))
    return verdicts


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_checker_examples(fake_grader, tmp_path, name):
    plugin = conventions.get(name)
    assert plugin.examples and plugin.source_examples, f"{name} has no examples"
    problem = problem_with_checker(tmp_path, name, plugin.source_examples,
                                   [(e.input, e.answer) for e in plugin.examples], plugin.source_name)
    verdicts = judge_all(fake_grader, problem, [e.output for e in plugin.examples], tmp_path)
    assert [v.outcome for v in verdicts] == [e.outcome for e in plugin.examples]


CRASHES_ON_BOOM = r"""
#include <cstdio>
#include <cstdlib>
#include <cstring>
int main(int argc, char **argv) {
    char got[64] = {0}, want[64] = {0};
    FILE *answer = fopen(argv[2], "r"), *output = fopen(argv[3], "r");
    if (fscanf(answer, "%63s", want) != 1) abort();
    if (fscanf(output, "%63s", got) == 1 && strcmp(got, "boom") == 0) abort();
    printf("%d\n", strcmp(got, want) == 0 ? 1 : 0);
}
"""


def test_a_checker_crashed_by_the_output_gives_the_output_zero(fake_grader, tmp_path):
    problem = problem_with_checker(tmp_path, "cms", CRASHES_ON_BOOM, [(b"", b"fine\n"), (b"", b"fine\n")])
    good, crashed = judge_all(fake_grader, problem, [b"fine\n", b"boom\n"], tmp_path)
    assert good.outcome == 1
    assert crashed.outcome == 0 and "could not judge" in crashed.message


def test_a_checker_that_fails_on_the_reference_is_a_task_error(fake_grader, tmp_path):
    problem = problem_with_checker(tmp_path, "cms", CRASHES_ON_BOOM, [(b"", b"boom\n")])
    with pytest.raises(CheckerFailure):  # the reference answer itself crashes it: the task is broken
        judge_all(fake_grader, problem, [b"boom\n"], tmp_path)


def test_the_cms_convention_also_reads_managers():
    # A Communication manager reports the CMS way; the task type reuses this convention for it.
    verdict = conventions.get("cms").parse(0, b"0.5\n", b"translate:partial\n")
    assert verdict.outcome == 0.5 and verdict.message == "Output is partially correct"


def judge_together(fake_grader, problem: Problem, outputs: list[bytes], tmp_path: Path):
    programs = fake_grader.programs.programs(problem, languages.get("cpp"))
    context = JudgeContext(problem=problem, checker=programs.checker, judge_box=fake_grader.pool.judge_box)
    items = []
    for index, output in enumerate(outputs):
        path = tmp_path / f"together-{index}.out"
        path.write_bytes(output)
        items.append((problem.tests[str(index)], path))
    return conventions.get(problem.checker.kind).judge_many(context, items)


@pytest.mark.parametrize("name", PROGRAMS)
def test_a_batch_judged_together_gets_the_verdicts_judged_one_by_one(fake_grader, tmp_path, name):
    plugin = conventions.get(name)
    problem = problem_with_checker(tmp_path, name, plugin.source_examples,
                                   [(e.input, e.answer) for e in plugin.examples])
    together = judge_together(fake_grader, problem, [e.output for e in plugin.examples], tmp_path)
    assert together == judge_all(fake_grader, problem, [e.output for e in plugin.examples], tmp_path)


def test_in_a_batch_a_checker_crashed_by_one_output_zeroes_only_that_output(fake_grader, tmp_path):
    problem = problem_with_checker(tmp_path, "cms", CRASHES_ON_BOOM, [(b"", b"fine\n")] * 3)
    first, crashed, last = judge_together(fake_grader, problem, [b"fine\n", b"boom\n", b"fine\n"], tmp_path)
    assert first.outcome == last.outcome == 1
    assert crashed.outcome == 0 and "could not judge" in crashed.message


CRASHES_ON_EMPTY_OR_BOOM = CRASHES_ON_BOOM.replace(
    'if (fscanf(output, "%63s", got) == 1 && strcmp(got, "boom") == 0) abort();',
    'if (fscanf(output, "%63s", got) != 1 || strcmp(got, "boom") == 0) abort();')


def test_a_checker_that_fails_on_an_empty_output_is_a_task_error(fake_grader, tmp_path):
    # A working checker judges an empty output (as wrong); one that crashes on it is broken.
    problem = problem_with_checker(tmp_path, "cms", CRASHES_ON_EMPTY_OR_BOOM, [(b"", b"fine\n"), (b"", b"fine\n")])
    assert judge_all(fake_grader, problem, [b"fine\n"], tmp_path)[0].outcome == 1
    with pytest.raises(CheckerFailure, match="an empty output"):
        judge_all(fake_grader, problem, [b"fine\n", b"boom\n"], tmp_path)
