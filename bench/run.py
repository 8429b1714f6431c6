"""`ioi-grader bench` / `python -m ioi_grader.bench`: ours against the floor and the anchor's
method, on fixed workloads, in one run; ratios are what matters, seconds are context.

Run from a checkout (it grades the shared tasks and the test fixtures). `--quick` is a smoke
run for CI (a few minutes); the full run is the one the issue note quotes; `--only WORKLOAD`
measures only the workloads named (the compile probes need reward and fish). Other
subcommands: `bench load` (many clients against `serve`), `bench soak` (the crash soak),
`bench acceptance` (what accepting a submission costs in Redis).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..grading.grader import Grader
from ..languages._gcc import CMS_LINK_FLAGS
from ..sandbox import SandboxPool, SandboxSettings
from .serve_process import ServeProcess
from . import baselines, ours, workloads

REPO = Path(__file__).resolve().parents[1]
WORKLOADS = ("fish", "reward", "many-small", "codeforces", "reward-batch")


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


# many-small takes about a second a run, less than the machine's speed takes to drift by tens
# of percent: the full run measures it this many times, floor and ours in turn, and keeps medians.
SHORT_REPEATS = 7


def median_run(runs: list[baselines.Measure]) -> baselines.Measure:
    """The run of median wall time, noted as such when there are several."""
    chosen = sorted(runs, key=lambda run: run.wall)[len(runs) // 2]
    if len(runs) > 1:
        walls = ", ".join(f"{run.wall:.2f}" for run in runs)
        chosen.note = f"median of {len(runs)} interleaved runs ({walls} s)"
    return chosen


def interleaved(workload: workloads.Workload, boxes: int, work: Path,
                grader: Grader) -> tuple[baselines.Measure, baselines.Measure]:
    """The floor and ours (core) job by job, in turn, the one that goes first alternating: this
    machine's speed drifts by tens of percent within a minute, and a workload of many jobs
    takes a minute or more per mode. Each job is graded alone by either, as when the modes run
    the whole workload one after the other, so the sums are the same measure."""
    floors, cores = [], []
    for index, job in enumerate(workload.jobs):
        single = dataclasses.replace(workload, jobs=[job])
        pair = [lambda: floors.append(baselines.floor(single, boxes, work)),
                lambda: cores.append(ours.core(single, grader))]
        for measure in pair if index % 2 == 0 else pair[::-1]:
            measure()
    note = f"interleaved with the other mode, job by job ({len(workload.jobs)} jobs)" if len(workload.jobs) > 1 else ""
    return baselines.merged(floors, "floor", note), baselines.merged(cores, "ours (core)", note)


def summarize(workload: workloads.Workload, rows: list[baselines.Measure], overhead: float | None) -> dict:
    by_mode = {row.mode: row for row in rows}
    floor, core, anchor = by_mode["floor"], by_mode.get("ours (core)"), by_mode.get("anchor")
    ours = core or next(row for row in rows if row.mode.startswith("ours"))
    comparable = [row.scores for row in rows if row.scores]
    summary = {
        "name": workload.name,
        "description": workload.description,
        "submissions": len(workload.jobs),
        "tests_run": ours.tests,
        "ours_over_floor": _ratio(ours.wall, floor.wall),
        "anchor_over_ours": _ratio(anchor.wall, ours.wall) if anchor else None,
        "per_test_overhead_ms": overhead,
        "wasted_cpu_fraction": ours.wasted_cpu_fraction,
        "floor_wasted_cpu_fraction": floor.wasted_cpu_fraction,
        "scores_agree": all(scores == comparable[0] for scores in comparable),
        # Set: the per-job figures compared are this mode's rewards, not the problem's scores.
        "reward_mode": workload.codeforces_mode.value if workload.codeforces_mode else None,
        "rows": [dict(dataclasses.asdict(row), wasted_cpu_fraction=row.wasted_cpu_fraction) for row in rows],
    }
    for row in rows:
        if row.mode.startswith("ours (service"):
            key = "service_" + row.mode[len("ours (service, "):-1].replace(" workers", "w").replace(
                " worker", "w").replace(" x ", "x").replace(" boxes", "b").replace(" box", "b")
            if core:
                summary[f"{key}_over_core"] = _ratio(row.wall, core.wall)
            summary[f"{key}_over_floor"] = _ratio(row.wall, floor.wall)
            if row.core_busy is not None:
                summary[f"{key}_completions_per_second"] = round(len(workload.jobs) / row.wall, 2)
                summary[f"{key}_core_busy"] = row.core_busy
                summary[f"{key}_our_cpu_share"] = round(row.cpu / ((os.cpu_count() or 1) * row.wall), 3)
    return summary


def table(summary: dict) -> Table:
    floor = next(r for r in summary["rows"] if r["mode"] == "floor")
    title = (f"{summary['name']}: {summary['description']} — ours/floor {summary['ours_over_floor']}, "
             f"anchor/ours {summary['anchor_over_ours']}, per-test overhead {summary['per_test_overhead_ms']} ms, "
             f"wasted CPU {summary['wasted_cpu_fraction']}")
    result = Table(title=title, title_justify="left")
    for column in ("mode", "wall s", "CPU s", "solution CPU s", "wasted", "tests", "compile s", "÷ floor",
                   "anchor ÷ this", "note"):
        result.add_column(column, justify="left" if column in ("mode", "note") else "right")
    anchor = next((r for r in summary["rows"] if r["mode"] == "anchor"), None)
    for row in summary["rows"]:
        note = row["note"]
        if row.get("core_busy") is not None:
            note = (note + f" {summary['submissions'] / row['wall']:.1f} completions/s, cores busy "
                    f"{row['core_busy']}").strip()
        result.add_row(
            row["mode"], f"{row['wall']:.2f}", "-" if row["cpu"] is None else f"{row['cpu']:.2f}",
            f"{row['solution_cpu']:.2f}",
            "-" if row["wasted_cpu_fraction"] is None else f"{row['wasted_cpu_fraction']:.1%}",
            str(row["tests"]), f"{row['compile']:.2f}",
            f"{row['wall'] / floor['wall']:.2f}", f"{anchor['wall'] / row['wall']:.1f}" if anchor else "-", note,
        )
    return result


def main(argv: list[str] | None = None) -> int:
    argv = list(argv) if argv is not None else sys.argv[1:]
    if argv and argv[0] == "load":
        from .load import main as load_main

        return load_main(argv[1:])
    if argv and argv[0] == "hosts":
        from .hosts import main as hosts_main

        return hosts_main(argv[1:])
    if argv and argv[0] == "soak":
        from .soak import main as soak_main

        return soak_main(argv[1:])
    if argv and argv[0] == "acceptance":
        from .acceptance import main as acceptance_main

        return acceptance_main(argv[1:])
    parser = argparse.ArgumentParser(prog="ioi-grader bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke run: small workloads, sampled anchor")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON ('-' for stdout)")
    parser.add_argument("--boxes", type=int, default=os.cpu_count() or 1, help="sandboxes = floor parallelism")
    parser.add_argument("--shared", default=str(REPO.parent / "shared" / "data"), help="the shared task data")
    parser.add_argument("--no-anchor", action="store_true")
    parser.add_argument("--no-service", action="store_true")
    parser.add_argument("--only", action="append", choices=WORKLOADS, metavar="WORKLOAD",
                        help=f"measure only this workload (repeatable; one of {', '.join(WORKLOADS)}); "
                             "the compile probes run only when reward and fish are among them")
    args = parser.parse_args(argv)
    console = Console(stderr=args.json == "-", width=150)
    work = Path(tempfile.mkdtemp(prefix="ioig-bench-"))
    boxes = args.boxes
    try:
        def wanted(name: str) -> bool:
            return not args.only or name in args.only

        single_problem = {
            "fish": lambda: workloads.fish(REPO, Path(args.shared), work, args.quick),
            "reward": lambda: workloads.reward(REPO, work, 8 if args.quick else 64),
            "many-small": lambda: workloads.many_small(work, 240),
            "codeforces": lambda: workloads.codeforces(REPO, work, 8 if args.quick else 64),
        }
        chosen = [build() for name, build in single_problem.items() if wanted(name)]
        by_name = {w.name: w for w in chosen}
        batches = [workloads.reward_batch(REPO, Path(args.shared), work, 16 if args.quick else 256)] \
            if wanted("reward-batch") else []
        settings = SandboxSettings(state_dir=work / "state", run_boxes=boxes)
        results: dict[str, list[baselines.Measure]] = {w.name: [] for w in [*chosen, *batches]}
        probes = "reward" in by_name and "fish" in by_name  # the probes compile for their problems
        compile_seconds: dict[str, float] = {}
        stages: dict[str, dict[str, float]] = {}
        with SandboxPool(settings) as pool:
            grader = Grader(pool)
            image = settings.image
            if probes:
                aplusb, fish_problem = by_name["reward"].problem, by_name["fish"].problem
                # A bits/stdc++.h solution with the task grader (open-r1's patching puts that header first).
                small, dp = workloads.compile_probes(REPO, aplusb, fish_problem)
                compile_seconds = {
                    "plain": round(baselines.container_compile_seconds(image, aplusb, small, work, pch=False), 3),
                    "pch": round(baselines.container_compile_seconds(image, aplusb, small, work, pch=True), 3),
                    "fish_dp_plain": round(baselines.container_compile_seconds(image, fish_problem, dp, work, False), 3),
                    "fish_dp_pch": round(baselines.container_compile_seconds(image, fish_problem, dp, work, True), 3),
                    "pch_bfd_linker": round(baselines.container_compile_seconds(
                        image, aplusb, small, work, pch=True, link_flags=CMS_LINK_FLAGS), 3),
                }
                stages = baselines.compile_stages(image, aplusb, small, work)
            overheads: dict[str, float | None] = {w.name: None for w in [*chosen, *batches]}
            in_task_order = Grader(pool, order="task")
            for workload in chosen:
                console.print(f"[bold]{workload.name}[/bold]: {workload.description}")
                if workload.name == "many-small":
                    floors, cores = [], []
                    for _ in range(1 if args.quick else SHORT_REPEATS):  # a drift hits both alike
                        floors.append(baselines.floor(workload, boxes, work))
                        cores.append(ours.core(workload, grader))
                    results[workload.name] += [median_run(floors), median_run(cores)]
                else:
                    results[workload.name] += list(interleaved(workload, boxes, work, grader))
                if not args.quick and workload.name != "many-small":
                    # What ordering the tests by input size buys, against the task's own order.
                    results[workload.name].append(ours.core(workload, in_task_order, "ours (core, task order)"))
                if not args.no_anchor:
                    sample = None
                    if args.quick:
                        sample = 3
                    elif workload.name != "fish":
                        sample = 2  # every test would take minutes: the per-test cost is what we need
                    results[workload.name].append(baselines.anchor(workload, image, boxes, work, sample))
            if probes:
                compile_seconds["ours_in_sandbox"] = round(ours.compile_seconds(grader, aplusb, small), 3)
            in_task_order.close()
            grader.close()
        for batch in batches:
            # The batch's floor: plain processes, one job per core at a time (each compiles, then
            # runs its tests one after the other): all cores busy, and no test run in parallel
            # with one that decides its subtask.
            console.print(f"[bold]{batch.name}[/bold]: {batch.description}")
            results[batch.name].append(baselines.floor(batch, 1, work, jobs_at_once=boxes))
        if "many-small" in by_name:
            # Per-test overhead as issue 2 defines it: one box, tests one after the other; the time
            # to grade N tests minus the solution's own CPU time (as the floor measures it), over N.
            small_tests = by_name["many-small"]
            with SandboxPool(SandboxSettings(state_dir=work / "state-1", run_boxes=1)) as single:
                sequential = Grader(single)
                per_test = []
                for _ in range(1 if args.quick else SHORT_REPEATS):
                    floor_one = baselines.floor(small_tests, 1, work)
                    ours_one = ours.core(small_tests, sequential)
                    per_test.append((ours_one.wall - ours_one.compile - floor_one.solution_cpu) / ours_one.tests * 1000)
                sequential.close()
            overheads[small_tests.name] = round(statistics.median(per_test), 2)
        if not args.no_service:
            # (workers, boxes per worker, workloads): one worker with every core; two workers with
            # half each (what `serve --workers 2` does); two workers with every core each.
            configs = [(1, boxes, chosen)]
            if args.quick:
                configs.append((2, max(1, boxes // 2), batches))
            else:
                configs += [(2, max(1, boxes // 2), [*chosen, *batches]), (2, boxes, [*chosen, *batches])]
            for workers, per_worker, measured in configs:
                if not measured:
                    continue
                name = f"serve-{workers}x{per_worker}"
                with ServeProcess([work / "problems"], work / name, workers, per_worker) as running:
                    for workload in measured:
                        row = ours.service(workload, running)
                        if workers > 1:
                            row.mode = row.mode[:-1] + f" x {per_worker} box{'es' if per_worker > 1 else ''})"
                        results[workload.name].append(row)
        summaries = [summarize(w, results[w.name], overheads[w.name]) for w in [*chosen, *batches]]
        for summary in summaries:
            console.print(table(summary))
            if not summary["scores_agree"]:
                console.print("[red]scores differ between modes: see the JSON rows[/red]")
        if probes:
            print_compile_probes(console, compile_seconds, stages)
        report = {"workloads": summaries, "compile_seconds": compile_seconds, "compile_stages": stages, "boxes": boxes, "quick": args.quick,
                  "cpu_count": os.cpu_count()}
        if args.json == "-":
            print(json.dumps(report))
        elif args.json:
            Path(args.json).write_text(json.dumps(report, indent=1))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_compile_probes(console: Console, compile_seconds: dict[str, float],
                         stages: dict[str, dict[str, float]]) -> None:
    console.print(
        f"compile of a bits/stdc++.h solution with the aplusb grader: plain g++ {compile_seconds['plain']} s, "
        f"with the precompiled header {compile_seconds['pch']} s ({compile_seconds['pch_bfd_linker']} s with the "
        f"BFD linker instead of gold), through our sandbox "
        f"{compile_seconds['ours_in_sandbox']} s; fish DP solution: {compile_seconds['fish_dp_plain']} s plain, "
        f"{compile_seconds['fish_dp_pch']} s with the header")
    stage_table = Table(title="compile of the aplusb probe, stage by stage, inside the image (median of 5)",
                        title_justify="left")
    for column in ("stage", "wall s", "CPU s"):
        stage_table.add_column(column, justify="left" if column == "stage" else "right")
    for stage, figures in stages.items():
        stage_table.add_row(stage, f"{figures['wall']:.3f}", f"{figures['cpu']:.3f}")
    console.print(stage_table)
