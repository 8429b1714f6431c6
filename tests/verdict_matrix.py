"""The verdict matrix: with IOI_GRADER_VERDICT_MATRIX naming a file, every grading a test does
is appended to it as one JSON line (the test's node id, the problem, the compile status and
each test's status). CI writes one on the host and one per Docker cgroup driver in the cgroup
v2 VM, and `scripts/verdict-matrix` checks that they are identical."""

from __future__ import annotations

import json
import os
from collections import Counter

PATH = os.environ.get("IOI_GRADER_VERDICT_MATRIX")
current_test = ""
_calls: Counter[str] = Counter()


def recording(grader):
    """`grader`, with its `grade` recording each result while PATH is set."""
    if not PATH:
        return grader
    grade = grader.grade

    def grade_and_record(problem, *args, **kwargs):
        result = grade(problem, *args, **kwargs)
        _calls[current_test] += 1
        row = {
            "test": current_test, "call": _calls[current_test], "problem": problem.id,
            "compile": result.compile.status.value,
            "tests": {name: test.status.value for name, test in sorted(result.tests.items())},
        }
        with open(PATH, "a") as handle:
            handle.write(json.dumps(row) + "\n")
        return result

    grader.grade = grade_and_record
    return grader
