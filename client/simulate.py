"""`ioi-grader simulate`: the IOI contest simulation of huggingface/ioi, from
the results of `ioi-grader batch`.

Per problem at most 50 submissions are chosen: empty and non-compiling ones are dropped;
the rest are bucketed by the subtask they target and each bucket sorted by (sample score,
generation length), best first; picks go round-robin from the hardest (last) subtask down,
skipping subtasks some picked submission already solved; the remaining picks are filled from
what is left. The problem scores the IOI way: the best score on each subtask among picks.

Unlike the anchor, "solved" is tracked by subtask name only (it mixed names and indices and
spent picks on solved subtasks).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table

from ..grading import scoring

MAX_SUBMISSIONS = 50


def _sample_score(record: dict) -> float:
    """Fraction of the samples subtask (the first subtask worth 0 points), 0 if none."""
    for subtask in record.get("subtasks", []):
        if subtask["points"] == 0:
            return subtask.get("fraction", 0.0)
    return 0.0


def _solved(record: dict) -> set[str]:
    return {s["name"] for s in record.get("subtasks", []) if s["points"] > 0 and s["score"] >= s["points"]}


def choose(records: list[dict], limit: int = MAX_SUBMISSIONS) -> list[dict]:
    """The submissions a contestant would have sent for one problem."""
    usable = [r for r in records if r.get("compile") == "OK" and r.get("subtasks")]
    if not usable:
        return []
    order = [s["name"] for s in usable[0]["subtasks"]]
    buckets: dict[str, list[dict]] = {name: [] for name in order}
    unbucketed: list[dict] = []
    for record in usable:
        target = record.get("subtask")
        if target is not None and target not in buckets and str(target).isdigit() and int(target) < len(order):
            target = order[int(target)]  # an index: normalised to the name once, here
        (buckets[target] if target in buckets else unbucketed).append(record)
    for bucket in buckets.values():
        bucket.sort(key=lambda r: (_sample_score(r), r.get("generation_length", 0)), reverse=True)
    picked: list[dict] = []
    solved: set[str] = set()
    hardest_first = [name for name in reversed(order) if buckets[name]]
    while len(picked) < limit:
        progressed = False
        for name in hardest_first:
            if len(picked) >= limit:
                break
            if name in solved or not buckets[name]:
                continue
            record = buckets[name].pop(0)
            picked.append(record)
            solved |= _solved(record)
            progressed = True
        if not progressed:
            break
    rest = [r for name in order for r in buckets[name]] + unbucketed
    picked += rest[: max(0, limit - len(picked))]
    return picked


def simulate(records: Iterable[dict], limit: int = MAX_SUBMISSIONS) -> dict[str, dict]:
    by_problem: dict[str, list[dict]] = {}
    for record in records:
        by_problem.setdefault(record["problem_id"], []).append(record)
    outcome = {}
    for problem_id, group in sorted(by_problem.items()):
        picked = choose(group, limit)
        score = scoring.task_score([[s["score"] for s in r["subtasks"]] for r in picked])
        max_score = sum(s["points"] for s in picked[0]["subtasks"]) if picked else None
        outcome[problem_id] = {"submissions": len(group), "picked": len(picked), "score": score, "max_score": max_score}
    return outcome


def simulation_table(outcome: dict[str, dict]) -> Table:
    table = Table(title=f"IOI contest simulation (at most {MAX_SUBMISSIONS} submissions per problem)")
    for column in ("problem", "generations", "submitted", "score", "max"):
        table.add_column(column, justify="left" if column == "problem" else "right")
    total = 0.0
    for problem_id, row in outcome.items():
        total += row["score"]
        table.add_row(problem_id, str(row["submissions"]), str(row["picked"]), f"{row['score']:g}",
                      "-" if row["max_score"] is None else f"{row['max_score']:g}")
    table.add_row("total", "", "", f"{total:g}", "", style="bold")
    return table
