"""`ioi-grader batch`: grade a file of model generations through the service.

INPUT is JSONL, parquet, a `datasets` folder saved to disk, or a Hugging Face dataset name.
Each row names its problem (`problem_id`, `problem` or `id`), optionally the `subtask` it
targets, and its `code` or a `generation` the code is extracted from (last ```cpp fence, with
open-r1's include patching). Every row is graded on the whole problem (with early stop,
which never changes a subtask's score), so that the contest simulation can use it.

Results are appended to RESULTS (JSONL) as they arrive; rerunning the same command skips
every row already done there, so an interrupted run resumes where it stopped.

With `codeforces=True` (`--codeforces`, e.g. over `open-r1/codeforces-cots`) rows are read the
way open-r1 reads Codeforces generations: the problem is the row's `id` ("2063/A", joined with the
problems the service imported from `open-r1/codeforces`), the language is the row's `language`,
else the subset's (`solutions_py*` is Python, any other C++), else the last code fence's tag, and
the code is the last fence tagged exactly with that language, unpatched unless asked. Grading
stops at a problem's first failed test (accepted or not is what a generation is worth there).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, \
    TimeRemainingColumn
from rich.table import Table

from ..grading import scoring
from ..completions import cf_extract_code, cf_patch_code, completion_text, task_header
from ..languages import languages
from .api import AsyncClient, GraderError


def read_rows(source: str, split: str = "train", subset: str | None = None) -> list[dict]:
    path = Path(source)
    if path.is_file() and path.suffix in (".jsonl", ".json", ".ndjson"):
        with open(path) as handle:
            return [json.loads(line) for line in handle if line.strip()]
    import datasets  # noqa: PLC0415 - only for parquet and dataset inputs

    if path.is_file() and path.suffix == ".parquet":
        return list(datasets.load_dataset("parquet", data_files=str(path), split="train"))
    if path.is_dir() and (path / "dataset_info.json").exists():
        return list(datasets.load_from_disk(str(path)))
    if path.is_dir():
        files = sorted(str(p) for p in path.rglob("*.parquet"))
        if files:
            return list(datasets.load_dataset("parquet", data_files=files, split="train"))
    return list(datasets.load_dataset(source, name=subset, split=split))


def subset_language(source: str, subset: str | None) -> str | None:
    """open-r1/codeforces-cots: the `solutions_py*` subsets hold Python, the others C++. The
    subset is the one named, or a folder of a local copy's path."""
    names = [subset] if subset else [part for part in Path(source).parts if part.startswith("solutions")]
    for name in names:
        return "python" if name.startswith("solutions_py") else "cpp"
    return None


_FENCE = re.compile(r"```([A-Za-z0-9+#_-]*)[ \t]*\n")


def fence_language(text: str) -> str | None:
    """The language of the last code fence's tag ("python", "cpp"...), if we grade it."""
    tags = [tag for tag in _FENCE.findall(text) if tag]
    for tag in reversed(tags):
        for language in languages:
            if tag.lower() in language.fence_tags:
                return tag.lower() if tag.lower() in languages else language.name
    return None


@dataclass
class Row:
    index: int
    problem_id: str
    subtask: str | None
    language: str
    code: str | None  # None: extract from `generation` once the problem's headers are known
    generation: str
    key: str = field(init=False)

    def __post_init__(self) -> None:
        content = self.code if self.code is not None else self.generation
        digest = hashlib.sha256(f"{self.problem_id}\0{self.subtask}\0{content}".encode()).hexdigest()[:16]
        self.key = f"{self.index}:{digest}"  # resume needs the same row at the same place


def to_row(index: int, raw: dict[str, Any], default_language: str | None, subset_default: str | None = None,
           codeforces: bool = False) -> Row:
    """A row of the input. Its language: its `language` column, else `default_language` (the
    --language given), else the subset's, else its last code fence's, else C++. Its problem: with
    `codeforces`, its `id` only (`problem` in such rows would be a statement, not an id)."""
    if codeforces:
        problem = raw.get("id") or raw.get("problem_id")
    else:
        problem = raw.get("problem_id") or raw.get("problem") or raw.get("id")
    if not problem:
        columns = "id / problem_id" if codeforces else "problem_id / problem / id"
        raise ValueError(f"row {index}: no {columns} column")
    subtask = raw.get("subtask")
    code = raw.get("code")
    generation = raw.get("generation", raw.get("completion", ""))
    if code is None and not generation:
        raise ValueError(f"row {index}: neither `code` nor `generation`")
    text = completion_text(generation) if generation else ""
    language = (raw.get("language") or default_language or subset_default or fence_language(text)
                or "cpp")
    return Row(index=index, problem_id=str(problem), subtask=None if subtask is None else str(subtask),
               language=language, code=code, generation=text)


@dataclass
class NotGraded:
    """A row the service refused (unknown problem, bad language): recorded, retried on resume."""

    error: str
    id: None = None
    state: str = "failed"
    result: None = None


def done_keys(results: Path) -> set[str]:
    keys: set[str] = set()
    if results.exists():
        with open(results) as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by the interruption
                if record.get("state") == "done":
                    keys.add(record["key"])
    return keys


def result_line(row: Row, view, code: str) -> dict:
    line: dict[str, Any] = {
        "key": row.key, "row": row.index, "problem_id": row.problem_id, "subtask": row.subtask,
        "language": row.language, "code_length": len(code), "generation_length": len(row.generation or code),
        "submission_id": getattr(view, "id", None), "state": getattr(view, "state", "failed"),
    }
    if view is None or view.result is None:
        line.update(error=getattr(view, "error", None) or "no code", score=0.0)
        if not code.strip():
            line.update(state="done", compile="EMPTY", subtasks=[], max_score=None)
        return line
    result = view.result
    tests = list(result.tests.values())
    line.update(
        score=result.score, max_score=result.max_score, compile=result.compile.status.value,
        tests_passed=sum(1 for t in tests if t.status.value == "AC"), tests_total=len(tests),
        subtasks=[{"name": s.name, "points": s.points, "score": s.score, "status": s.status.value,
                   "fraction": min((t.score for t in s.tests), default=0.0)} for s in result.subtasks],
    )
    return line


async def run_batch(rows: list[Row], results: Path, *, url: str | None, api_key: str | None, concurrency: int,
                    console: Console, codeforces: bool = False, patch_code: bool = False) -> list[dict]:
    finished = done_keys(results)
    todo = [row for row in rows if row.key not in finished]
    console.print(f"{len(rows)} rows, {len(rows) - len(todo)} already in {results}, {len(todo)} to grade")
    headers: dict[str, str | None] = {}
    header_lock = asyncio.Lock()
    semaphore = asyncio.Semaphore(concurrency)
    results.parent.mkdir(parents=True, exist_ok=True)
    async with AsyncClient(url, api_key, max_connections=concurrency + 4) as client:

        async def header_for(problem_id: str) -> str | None:
            async with header_lock:
                if problem_id not in headers:
                    detail = await client.problem(problem_id)
                    headers[problem_id] = task_header([h.name for h in detail.headers], problem_id)
                return headers[problem_id]

        async def grade(row: Row, out, progress, task) -> None:
            async with semaphore:
                code = row.code
                if code is None and codeforces:
                    code = cf_extract_code(row.generation, row.language)
                    code = cf_patch_code(code, row.language) if patch_code and row.language in languages else code
                elif code is None:
                    language = languages.get(row.language)
                    code = language.extract_code(row.generation)
                    if code.strip():
                        code = language.prepare_completion(code, await header_for(row.problem_id))
                view = None
                if code.strip() and codeforces and row.language not in languages:
                    view = NotGraded(error=f"language {row.language!r} is not one we grade")
                elif code.strip():
                    options = {"stop_on_first_failure": True} if codeforces else {"early_stop": True}
                    try:
                        view = await client.grade(row.problem_id, code, row.language, options)
                    except GraderError as error:
                        view = NotGraded(error=error.message)
                line = result_line(row, view, code)
                out.write(json.dumps(line) + "\n")
                out.flush()
                progress.advance(task)

        columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
        with open(results, "a") as out, Progress(*columns, console=console, speed_estimate_period=60) as progress:
            task = progress.add_task("grading", total=len(todo), rate="")

            async def rate_ticker() -> None:
                while True:
                    await asyncio.sleep(1)
                    speed = progress.tasks[0].speed
                    progress.update(task, rate=f"{speed:.1f} rows/s" if speed else "")

            ticker = asyncio.create_task(rate_ticker())
            try:
                await asyncio.gather(*(grade(row, out, progress, task) for row in todo))
            finally:
                ticker.cancel()
    return load_results(results)


def load_results(results: Path) -> list[dict]:
    """The last line written for each row (a rerun may have re-graded a failed row)."""
    latest: dict[str, dict] = {}
    with open(results) as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            latest[record["key"]] = record
    return sorted(latest.values(), key=lambda r: r["row"])


def summary_table(records: Iterable[dict]) -> Table:
    by_problem: dict[str, list[dict]] = {}
    for record in records:
        by_problem.setdefault(record["problem_id"], []).append(record)
    table = Table(title="per problem")
    for column in ("problem", "rows", "graded", "failed", "no code", "CE", "accepted", "mean score", "best",
                   "IOI task score"):
        table.add_column(column, justify="left" if column == "problem" else "right")
    for problem_id, group in sorted(by_problem.items()):
        graded = [r for r in group if r.get("subtasks")]
        failed = sum(1 for r in group if r.get("state") == "failed")
        empty = sum(1 for r in group if r.get("compile") == "EMPTY")
        ce = sum(1 for r in group if r.get("compile") == "CE")
        mean = sum(r["score"] for r in graded) / len(graded) if graded else 0.0
        best = max((r["score"] for r in graded), default=0.0)
        task = scoring.task_score([[s["score"] for s in r["subtasks"]] for r in graded])
        accepted = sum(1 for r in graded if r.get("max_score") and r["score"] >= r["max_score"])
        rate = f" ({accepted / len(group):.0%})" if group else ""
        table.add_row(problem_id, str(len(group)), str(len(graded)), str(failed), str(empty), str(ce),
                      f"{accepted}{rate}", f"{mean:.2f}", f"{best:g}", f"{task:g}")
    return table
