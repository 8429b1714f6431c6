"""CMS Batch: the program reads the test input on stdin and writes its output on stdout,
compiled alone or together with the task's grader.cpp; the checker judges the output.

As in CMS, either side may be a file instead (`input_file` / `output_file`, e.g. Codeforces'
`input.txt` and `output.txt`): the input is then copied into the program's empty scratch folder
under that name (stdin is empty), and the output is the file of that name it leaves there
(stdout is discarded). The scratch is wiped after every test, so nothing a test writes there
reaches the next one."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from ..grading.outcomes import Executed, Program, TestLimits, classify, failed
from ..problems.model import Problem, ProblemFormatError, TestCase
from ..sandbox.protocol import Limits, ProcessSpec, RunRequest, Stream, user_slot
from .base import USER_PIDS, SelfTest, TaskType, TestRun

_FILE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class BatchParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # "grader": the contestant file is compiled together with graders/grader.cpp; "alone": by itself.
    compilation: Literal["grader", "alone"] = "alone"
    # "" for stdin / stdout; else the file the program reads / writes in its working folder.
    input_file: str = ""
    output_file: str = ""

    @field_validator("input_file", "output_file")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if name and (not _FILE_NAME.match(name) or name in (".", "..")):
            raise ValueError(f"must be a plain file name such as input.txt, got {name!r}")
        return name


class Batch(TaskType):
    name = "Batch"
    summary = "stdin to stdout, compiled alone or with the task's grader.cpp; a checker judges the output"
    Params = BatchParams
    batched = True
    self_test = SelfTest(
        files={
            "problem.json": '{"code": "addition", "name": "Addition", "time_limit": 2, "memory_limit": 268435456,'
                            ' "task_type": "Batch"}',
            "subtasks/01-all.json": '{"score": 100, "testcases": ["1", "2"]}',
            "tests/1.in": "1 2\n", "tests/1.out": "3\n",
            "tests/2.in": "40 2\n", "tests/2.out": "42\n",
        },
        solutions={
            "correct.py": ("python", "a, b = map(int, input().split())\nprint(a + b)\n", 100.0),
            "wrong.py": ("python", "a, b = map(int, input().split())\nprint(a - b)\n", 0.0),
        },
    )

    def __init__(self) -> None:
        self._templates: dict[tuple, dict] = {}

    def read_cms_params(self, params: Mapping[str, Any], graders: Path, where: Path) -> BatchParams:
        parsed = super().read_cms_params(params, graders, where)
        if parsed.compilation == "grader" and not (graders / "grader.cpp").is_file():
            raise ProblemFormatError(
                graders / "grader.cpp",
                "task_type_params declares compilation 'grader' but graders/grader.cpp is missing",
                "task_type_params",
            )
        return parsed

    def cms_params(self, params: BatchParams) -> dict[str, Any]:
        """CMS-style keys; the file names only when the task reads or writes a file."""
        return {key: value for key, value in super().cms_params(params).items() if value != ""}

    def validate(self, problem: Problem) -> None:
        if problem.task_params.compilation == "grader" and problem.grader_source("grader.cpp") is None:
            raise ValueError("compilation 'grader' needs graders/grader.cpp")

    def link_unit(self, problem: Problem) -> str | None:
        return "grader.cpp" if problem.task_params.compilation == "grader" else None

    def template(self, program: Program, program_path: str, limits: TestLimits) -> dict:
        """The run request of every test of a submission, validated once, as a dict: per test
        only the input and output paths change (the hot path of many short tests)."""
        key = (program.key, program_path, limits)
        template = self._templates.get(key)
        if template is None:
            request = RunRequest(processes=[ProcessSpec(
                slot=user_slot(0), argv=program.argv(program_path), stdin=Stream(file="/io/in/-"),
                stdout=Stream(capture=True),
                limits=Limits(cpu=limits.time, wall=limits.wall, memory=limits.memory, pids=USER_PIDS,
                              fsize=limits.output, max_line=limits.max_line, max_tokens=limits.max_tokens),
            )])
            template = request.model_dump(exclude_none=True)
            if len(self._templates) > 64:
                self._templates.clear()
            self._templates[key] = template
        return template

    def evaluate(self, run: TestRun, tests: Sequence[TestCase]) -> list[Executed]:
        """Run `tests` in order in one round trip; stops after the first failure. Each run is
        tagged with its test's name, for the grader to cancel."""
        box, limits = run.sandbox, run.limits
        params: BatchParams = run.problem.task_params
        template = self.template(run.program, run.program_path, limits)
        slot = template["processes"][0]["slot"]
        # Named output files are collected into the box's folder; stdout is captured in memory.
        outputs = [box.output() for _ in tests] if params.output_file else []
        runs = []
        for index, test in enumerate(tests):
            process = dict(template["processes"][0])
            request = dict(template, processes=[process])
            if params.input_file:
                request["files"] = {slot: [{"name": params.input_file, "src": box.put(test.input)}]}
                process.pop("stdin", None)
            else:
                process["stdin"] = {"file": box.put(test.input)}
            if params.output_file:
                request["collect"] = [{"slot": slot, "name": params.output_file, "dest": outputs[index].inside,
                                       "max_bytes": limits.output}]
                process.pop("stdout", None)
            runs.append(dict(request, tag=test.name))
        try:
            response = box.run_many(runs)
            executed = []
            for index, (test, ran) in enumerate(zip(tests, response.results)):
                captured = ran.capture(0, "stdout")
                if ran.cancelled:
                    if captured is not None:
                        captured.unlink()
                    used = ran.processes[0] if ran.processes else None
                    executed.append(Executed(cancelled=True, time=used.cpu if used else 0.0,
                                             wall=used.wall if used else 0.0))
                    continue
                result = ran.processes[0]
                failure = classify(result, limits)
                if failure is not None:
                    if captured is not None:
                        captured.unlink()
                    executed.append(Executed(result=failed(test.name, *failure, result.cpu, result.wall,
                                                           result.memory)))
                    continue
                if params.output_file:
                    # Keep the output beyond the box's lifetime: the box may be recycled before judging.
                    output = outputs[index]
                    kept = Path(run.work_dir) / (os.path.basename(output.inside) + ".out")
                    if output.exists():
                        output.take(kept)
                    else:
                        # It wrote no regular file of that name (none at all, a link, a FIFO...): its
                        # output is empty, and the checker says what that is worth.
                        kept.write_bytes(b"")
                else:
                    kept = captured  # in memory, the worker's own: it outlives the box
                executed.append(Executed(output=kept, time=result.cpu, wall=result.wall, memory=result.memory))
            return executed
        finally:
            for output in outputs:
                output.unlink()
