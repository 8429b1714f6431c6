"""The benchmark's fixed workloads.

(a) fish: the real IOI 2022 task from ../shared/data, a correct and a quadratic solution.
(b) reward: 64 completions for one subtask of aplusb, a realistic RL mix (a third correct,
    a third wrong, some compile errors, some too slow).
(c) many-small: a generated task of 240 tests that each take about a millisecond, where
    per-test overhead is all there is to measure.
(d) codeforces: 64 completions, half C++ and half Python, for an open-r1/codeforces problem of
    50 tests with a Python checker, rewarded as open-r1's cf_code_reward does by default.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from ..grading.results import GradeResult
from ..grading.submission import GradeOptions
from ..problems.loader import load_problem
from ..problems.model import Problem
from ..schemas import RewardMode
from ..server.reward import prepare_code, reward_of


@dataclass
class Job:
    label: str
    code: str  # what is graded
    language: str = "cpp"
    options: GradeOptions = field(default_factory=GradeOptions)
    completion: str | None = None  # reward jobs: the model output `code` was extracted from
    problem: Problem | None = None  # None: the workload's problem


@dataclass
class Workload:
    name: str
    description: str
    problem: Problem
    folder: Path  # the task folder, as the service loads it
    jobs: list[Job]
    reward_subtask: str | None = None  # set: the service runs it through POST /v1/reward
    # Set: POST /v1/reward in this Codeforces mode, and what modes compare per job is the reward
    # (it also says how many tests passed, which the problem's score does not).
    codeforces_mode: RewardMode | None = None

    def problem_of(self, job: Job) -> Problem:
        return job.problem or self.problem

    def score_of(self, result: GradeResult) -> float | None:
        """The per-job figure every mode must agree on."""
        return result.score if self.codeforces_mode is None else reward_of(result, self.codeforces_mode)

    @property
    def problems(self) -> list[Problem]:
        found = {self.problem.id: self.problem}
        for job in self.jobs:
            found.setdefault(self.problem_of(job).id, self.problem_of(job))
        return list(found.values())

    @property
    def rewarded(self) -> bool:
        """Through the service, its jobs go to POST /v1/reward (each job's first subtask)."""
        return self.reward_subtask is not None or any(j.completion is not None for j in self.jobs)


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        os.symlink(target, link)


def fish(repo: Path, shared: Path, work: Path, quick: bool) -> Workload:
    """The shared Kattis package plus our include/cpp graders (the data is read in place)."""
    folder = work / "problems" / "ioi2022-fish"
    _link(shared / "ioi2022-fish" / "problem.yaml", folder / "problem.yaml")
    _link(shared / "ioi2022-fish" / "data", folder / "data")
    _link(repo / "tests" / "fixtures" / "tasks" / "fish" / "include", folder / "include")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package's dangling group8 links
        problem = load_problem(folder, time_limit=1.0)
    solutions = repo / "tests" / "fixtures" / "solutions" / "fish"
    # Early stop as the anchor does (huggingface/ioi stops a subtask at its first zero).
    options = GradeOptions(early_stop=True)
    if quick:
        options = GradeOptions(subtasks=["sample", "group1", "group2", "group3", "group4"], early_stop=True)
    jobs = [Job("correct", (solutions / "correct.cpp").read_text(), options=options)]
    if not quick:
        jobs.append(Job("quadratic", (solutions / "slow_quadratic.cpp").read_text(), options=options))
    return Workload("fish", "ioi2022-fish: correct + quadratic solution", problem, folder, jobs)


def reward(repo: Path, work: Path, count: int) -> Workload:
    folder = work / "problems" / "aplusb"
    _link(repo / "examples" / "problems" / "aplusb", folder)
    problem = load_problem(folder)
    solutions = repo / "tests" / "fixtures" / "solutions" / "aplusb"
    mix = [("correct", "correct.cpp"), ("correct", "correct.cpp"), ("wrong", "wrong_return_a.cpp"),
           ("wrong", "wrong_large_sum.cpp"), ("compile-error", "compile_error.cpp"), ("slow", "slow_large.cpp")]
    subtask = "03-full"
    jobs = []
    for index in range(count):
        label, name = mix[index % len(mix)]
        # Each completion differs (a comment), as sampled completions do: no caching helps.
        completion = f"Here is my solution.\n```cpp\n// completion {index}\n{(solutions / name).read_text()}```\n"
        code = prepare_code(completion, problem)  # what the reward endpoint grades
        jobs.append(Job(label, code, options=GradeOptions(subtasks=[subtask], early_stop=True),
                        completion=completion))
    return Workload("reward", f"{count} completions for aplusb/{subtask} (1/3 correct, 1/3 wrong, CE, TLE)",
                    problem, folder, jobs, reward_subtask=subtask)


def codeforces(repo: Path, work: Path, count: int) -> Workload:
    """`count` completions for one Codeforces problem, alternately C++ and Python, each language
    cycling through correct, wrong, too slow and non-compiling solutions. Graded the way open-r1's
    `cf_code_reward` grades by default (weighted_sum): every test runs, none is skipped."""
    from .codeforces_problem import write_and_load  # noqa: PLC0415

    problem = write_and_load(work, work / "problems")
    solutions = repo / "tests" / "fixtures" / "solutions" / "codeforces"
    # Per language, a third correct, a third wrong, a sixth each too slow and not compiling. The
    # quick run takes the first four of each: both languages' compile errors and C++'s time-outs;
    # Python's too slow one (15 tests over the limit: 15 s of CPU per mode) waits for the full run.
    mixes = {
        "cpp": [("correct", "twosum.cpp"), ("wrong", "twosum_sorted_positions.cpp"), ("slow", "twosum_quadratic.cpp"),
                ("compile-error", "sum_compile_error.cpp"), ("correct", "twosum.cpp"),
                ("wrong", "twosum_sorted_positions.cpp")],
        "python": [("correct", "twosum.py"), ("wrong", "twosum_same_index.py"), ("compile-error", "sum_syntax_error.py"),
                   ("correct", "twosum.py"), ("slow", "twosum_quadratic.py"), ("wrong", "twosum_same_index.py")],
    }
    mode = RewardMode.WEIGHTED_SUM
    jobs = []
    for index in range(count):
        language = "cpp" if index % 2 == 0 else "python"
        label, name = mixes[language][(index // 2) % len(mixes[language])]
        completion = _completion(index, (solutions / name).read_text(), language)
        jobs.append(Job(f"{language} {label}", prepare_code(completion, problem, language, mode), language=language,
                        options=GradeOptions(), completion=completion))
    return Workload("codeforces", f"{count} completions (1/2 C++, 1/2 Python) for {problem.id} {problem.name!r}: "
                    f"{len(problem.tests)} tests, Python checker, {mode.value}", problem,
                    work / "problems" / problem.id, jobs, codeforces_mode=mode)


SUM_SOLUTION = """#include <cstdio>
int main() { long long n, x, s = 0; if (std::scanf("%lld", &n) != 1) return 1;
  for (long long i = 0; i < n; i++) { std::scanf("%lld", &x); s += x; } std::printf("%lld\\n", s); }
"""


def many_small(work: Path, count: int = 240) -> Workload:
    """A generated stdin/stdout task: `count` tests whose own run time is about a millisecond
    (reading and summing some ten thousand numbers)."""
    folder = work / "problems" / "manysmall"
    (folder / "tests").mkdir(parents=True, exist_ok=True)
    (folder / "subtasks").mkdir(exist_ok=True)
    rng = random.Random(7)
    names = []
    for index in range(count):
        name = f"t{index:03d}"
        numbers = [rng.randint(-10**9, 10**9) for _ in range(rng.randint(8000, 12000))]
        (folder / "tests" / f"{name}.in").write_text(f"{len(numbers)}\n{' '.join(map(str, numbers))}\n")
        (folder / "tests" / f"{name}.out").write_text(f"{sum(numbers)}\n")
        names.append(name)
    (folder / "problem.json").write_text(
        '{"code": "manysmall", "name": "Many small tests", "time_limit": 1.0, "memory_limit": 268435456,'
        ' "score_precision": 2, "task_type": "Batch",'
        ' "task_type_params": "{\\"task_type_parameters_Batch_compilation\\": \\"alone\\"}"}'
    )
    quoted = ", ".join(f'"{n}"' for n in names)
    (folder / "subtasks" / "01-all.json").write_text(f'{{"score": 100, "testcases": [{quoted}]}}')
    problem = load_problem(folder)
    return Workload("many-small", f"{count} tests of ~1 ms each", problem, folder, [Job("sum", SUM_SOLUTION)])


def compile_probes(repo: Path, aplusb: Problem, fish_problem: Problem) -> tuple[str, str]:
    """Two sources as a model's completion reaches the grader (bits/stdc++.h first): a small
    aplusb solution, and the fish DP, whose -O2 code generation costs more than its headers."""
    fixtures = repo / "tests" / "fixtures" / "solutions"
    small = prepare_code(f"```cpp\n{(fixtures / 'aplusb' / 'correct.cpp').read_text()}```", aplusb)
    dp = prepare_code(f"```cpp\n{(fixtures / 'fish' / 'correct.cpp').read_text()}```", fish_problem)
    return small, dp


def _completion(index: int, code: str, fence: str) -> str:
    # Each completion differs (a comment), as sampled completions do: no caching helps.
    comment = "#" if fence == "python" else "//"
    return f"Here is my solution.\n```{fence}\n{comment} completion {index}\n{code}```\n"


def reward_batch(repo: Path, shared: Path, work: Path, count: int = 256) -> Workload:
    """`count` completions over 8 Batch problems, for POST /v1/reward in one request (what a
    GRPO step sends): aplusb, sumlines (testlib checker, Python and C++), fish (quick
    subtasks), many-small and four generated tasks; each completion targets one of its
    problem's scoring subtasks in turn, with a mix of correct, wrong, slow, crashing and
    non-compiling solutions."""
    from .generated import TASKS, write_task  # noqa: PLC0415

    fixtures = repo / "tests" / "fixtures" / "solutions"
    problems: list[tuple[Problem, list[tuple[str, str, str]]]] = []  # problem, [(label, language, code)]
    aplusb = reward(repo, work, 1).problem
    problems.append((aplusb, [
        (label, "cpp", (fixtures / "aplusb" / name).read_text()) for label, name in (
            ("correct", "correct.cpp"), ("wrong", "wrong_return_a.cpp"), ("wrong", "wrong_large_sum.cpp"),
            ("ce", "compile_error.cpp"), ("slow", "slow_large.cpp"), ("re", "re_div_by_b.cpp"))]))
    sumlines_dir = work / "problems" / "sumlines"
    _link(repo / "examples" / "problems" / "sumlines", sumlines_dir)
    problems.append((load_problem(sumlines_dir), [
        (label, language, (fixtures / "sumlines" / name).read_text()) for label, language, name in (
            ("correct", "cpp", "correct.cpp"), ("correct", "python", "correct.py"),
            ("wrong", "python", "wrong_int32.py"), ("ce", "python", "syntax_error.py"),
            ("re", "python", "raises.py"), ("slow", "python", "slow_quadratic.py"))]))
    fish_problem = fish(repo, shared, work, quick=True).problem
    problems.append((fish_problem, [
        (label, "cpp", (fixtures / "fish" / name).read_text()) for label, name in (
            ("correct", "correct.cpp"), ("wrong", "wrong_sum_all.cpp"), ("wrong", "wrong_single_mountain.cpp"),
            ("partial", "partial_special_cases.cpp"), ("slow", "slow_quadratic.cpp"))]))
    problems.append((many_small(work, 240).problem, [
        ("correct", "cpp", SUM_SOLUTION), ("wrong", "cpp", SUM_SOLUTION.replace("s);", "s + 1);")),
        ("ce", "cpp", SUM_SOLUTION.replace("long long n", "long long n n"))]))
    for task in TASKS:
        folder = write_task(task, work / "problems")
        problems.append((load_problem(folder), [(label, "cpp", code) for label, code in task.solutions.items()]))
    quick_fish = {"group1", "group2", "group3", "group4"}  # fish's larger groups take seconds per solution
    jobs = []
    for index in range(count):
        problem, mix = problems[index % len(problems)]
        turn = index // len(problems)
        label, language, code = mix[turn % len(mix)]
        scoring = [s for s in problem.subtasks if s.points > 0 and (problem is not fish_problem or s.name in quick_fish)]
        subtask = scoring[turn % len(scoring)].name
        fence = "python" if language == "python" else "cpp"
        completion = _completion(index, code, fence)
        jobs.append(Job(label, prepare_code(completion, problem, language), language=language,
                        options=GradeOptions(subtasks=[subtask], early_stop=True), completion=completion,
                        problem=problem))
    return Workload("reward-batch", f"{count} completions over {len(problems)} problems through /v1/reward",
                    aplusb, work / "problems" / "aplusb", jobs)
