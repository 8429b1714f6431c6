"""An open-r1 `ioi` row (one subtask) graded end to end: the task travels as parquet files
with the datasets' exact columns, is loaded through `datasets`, and one subtask row is graded
through the sandbox as open-r1's reward would (subtask fraction)."""

from __future__ import annotations

import datasets
import pyarrow.parquet as pq
import pytest

from ioi_grader.grading.submission import GradeOptions, Submission
from ioi_grader.problems.openr1 import PROBLEM_COLUMNS, TEST_COLUMNS, load_openr1, openr1_rows
from ioi_grader.problems.tps import load_tps
from ioi_grader.server.reward import RewardMode, prepare_code, reward_of
from paths import EXAMPLES
from tasks import solution

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def openr1_task(tmp_path_factory):
    root = tmp_path_factory.mktemp("openr1")
    problem_rows, test_rows = openr1_rows(load_tps(EXAMPLES / "aplusb"), year=2024, day=0)
    datasets.Dataset.from_list(problem_rows).to_parquet(str(root / "ioi.parquet"))
    (root / "tests").mkdir()
    datasets.Dataset.from_list(test_rows).to_parquet(str(root / "tests" / "2024.parquet"))
    assert tuple(pq.read_schema(root / "ioi.parquet").names) == PROBLEM_COLUMNS
    assert tuple(pq.read_schema(root / "tests" / "2024.parquet").names) == TEST_COLUMNS
    loaded = load_openr1(str(root / "ioi.parquet"), str(root / "tests"), cache_dir=root / "cache")
    return loaded["aplusb"], problem_rows


def test_one_subtask_row_is_graded(grader, openr1_task):
    problem, rows = openr1_task
    row = rows[1]  # "01-smallAB", 20 points
    assert (row["year"], row["id"], row["subtask"], row["score"]) == (2024, "aplusb", "01-smallAB", 20)
    completion = [{"role": "assistant", "content": "```cpp\nint sum(int A, int B) { return A + B; }\n```"}]
    code = prepare_code(completion, problem)  # open-r1's extraction and include patching
    result = grader.grade(problem, Submission(code=code), GradeOptions(subtasks=[row["subtask"]], early_stop=True))
    assert [s.name for s in result.subtasks] == ["01-smallAB"]
    assert result.score == 20 and reward_of(result, RewardMode.SUBTASK) == 1.0
    assert len(result.tests) == len(row["test_names"])
    wrong = grader.grade(problem, Submission(code=solution("aplusb", "wrong_large_sum.cpp")),
                         GradeOptions(subtasks=["02-bZero"], early_stop=True))
    assert reward_of(wrong, RewardMode.SUBTASK) == 0.0
