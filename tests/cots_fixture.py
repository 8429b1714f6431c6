"""An `open-r1/codeforces-cots`-shaped fixture: a subset's parquet file with the dataset's exact
columns (and types), each row one generation for a problem of the `open-r1/codeforces` fixture
(tests/codeforces_fixture.py), which the row repeats the way the hub's rows do. The generation is
the model's whole answer (reasoning, then a fenced program); `messages` is the conversation."""

from __future__ import annotations

from pathlib import Path

import datasets

from codeforces_fixture import problem_rows

# The columns of open-r1/codeforces-cots (solutions, solutions_py, ... subsets), in the hub's order.
COTS_COLUMNS = (
    "id", "aliases", "contest_id", "contest_name", "contest_type", "contest_start", "contest_start_year", "index",
    "time_limit", "memory_limit", "title", "description", "input_format", "output_format", "interaction_format",
    "note", "examples", "editorial", "prompt", "generation", "finish_reason", "api_metadata", "messages",
)


def _features() -> datasets.Features:
    text, integer, real = (datasets.Value(t) for t in ("string", "int64", "float64"))
    types = {
        "id": text, "aliases": [text], "contest_id": text, "contest_name": text, "contest_type": text,
        "contest_start": integer, "contest_start_year": integer, "index": text, "time_limit": real,
        "memory_limit": real, "title": text, "description": text, "input_format": text, "output_format": text,
        "interaction_format": text, "note": text, "examples": [{"input": text, "output": text}], "editorial": text,
        "prompt": text, "generation": text, "finish_reason": text,
        "api_metadata": {"completion_tokens": integer, "prompt_tokens": integer, "total_tokens": integer},
        "messages": [{"content": text, "role": text}],
    }
    assert tuple(types) == COTS_COLUMNS
    return datasets.Features(types)


def cots_row(problem_id: str, generation: str, finish_reason: str = "stop") -> dict:
    """A generation for a problem of the fixture; an `id` the fixture does not have gets a row
    of its own (a problem the service never imported)."""
    problems = {row["id"]: row for row in problem_rows()[0]}
    contest, index = problem_id.split("/")
    problem = problems.get(problem_id) or {
        "id": problem_id, "aliases": [], "contest_id": contest, "contest_name": f"Unknown Round {contest}",
        "contest_type": "CF", "contest_start": 1700000000, "contest_start_year": 2023, "index": index,
        "time_limit": 1.0, "memory_limit": 256.0, "title": "Unknown", "description": "", "input_format": "",
        "output_format": "", "examples": [], "note": None, "editorial": None, "interaction_format": None,
    }
    # The prompt the model was given: it holds the statement, never the problem's id.
    prompt = (f"You will be given a competitive programming problem.\n\n# Problem\n\n{problem['description']}\n\n"
              f"## Input Format\n{problem['input_format']}\n\n## Output Format\n{problem['output_format']}")
    row = {column: problem[column] for column in COTS_COLUMNS if column in problem}
    row.update(
        prompt=prompt, generation=generation, finish_reason=finish_reason,
        api_metadata={"completion_tokens": len(generation) // 4, "prompt_tokens": len(prompt) // 4,
                      "total_tokens": (len(generation) + len(prompt)) // 4},
        messages=[{"content": prompt, "role": "user"}, {"content": generation, "role": "assistant"}],
    )
    return {column: row[column] for column in COTS_COLUMNS}


def write_cots_subset(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_list(rows, features=_features()).to_parquet(str(path))
    return path
