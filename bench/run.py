"""`ioi-grader bench` / `python -m ioi_grader.bench`: ours against the floor and the anchor's
method, on fixed workloads, in one run; ratios are what matters, seconds are context.

Run from a checkout (it grades the shared tasks and the test fixtures). `--quick` is a smoke
run for CI (well under two minutes); the full run is the one the issue note quotes. Other
subcommands: `bench load` (many clients against `serve`), `bench soak` (the crash soak),
`bench acceptance` (what accepting a submission costs in Redis).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..grading.grader import Grader
from ..sandbox import SandboxPool, SandboxSettings
from .serve_process import ServeProcess
from . import baselines, ours, workloads

REPO = Path(__file__).resolve().parents[1]


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def summarize(workload: workloads.Workload, rows: list[baselines.Measure], overhead: float | None) -> dict:
    by_mode = {row.mode: row for row in rows}
    floor, core, anchor = by_mode["floor"], by_mode["ours (core)"], by_mode.get("anchor")
    comparable = [row.scores for row in rows if row.scores]
    summary = {
        "name": workload.name,
        "description": workload.description,
        "submissions": len(workload.jobs),
        "tests_run": core.tests,
        "ours_over_floor": _ratio(core.wall, floor.wall),
        "anchor_over_ours": _ratio(anchor.wall, core.wall) if anchor else None,
        "per_test_overhead_ms": overhead,
        "scores_agree": all(scores == comparable[0] for scores in comparable),
        "rows": [dataclasses.asdict(row) for row in rows],
    }
    for row in rows:
        if row.mode.startswith("ours (service"):
            workers = row.mode.split(", ")[1].split()[0]
            summary[f"service_{workers}w_over_core"] = _ratio(row.wall, core.wall)
            summary[f"service_{workers}w_over_floor"] = _ratio(row.wall, floor.wall)
    return summary


def table(summary: dict) -> Table:
    floor = next(r for r in summary["rows"] if r["mode"] == "floor")
    core = next(r for r in summary["rows"] if r["mode"] == "ours (core)")
    title = (f"{summary['name']}: {summary['description']} — ours/floor {summary['ours_over_floor']}, "
             f"anchor/ours {summary['anchor_over_ours']}, per-test overhead {summary['per_test_overhead_ms']} ms")
    result = Table(title=title, title_justify="left")
    for column in ("mode", "wall s", "CPU s", "solution CPU s", "tests", "compile s", "÷ floor", "anchor ÷ this",
                   "note"):
        result.add_column(column, justify="left" if column in ("mode", "note") else "right")
    anchor = next((r for r in summary["rows"] if r["mode"] == "anchor"), None)
    for row in summary["rows"]:
        result.add_row(
            row["mode"], f"{row['wall']:.2f}", "-" if row["cpu"] is None else f"{row['cpu']:.2f}",
            f"{row['solution_cpu']:.2f}", str(row["tests"]), f"{row['compile']:.2f}",
            f"{row['wall'] / floor['wall']:.2f}", f"{anchor['wall'] / row['wall']:.1f}" if anchor else "-",
            row["note"] + ("" if summary["scores_agree"] or row is core else ""),
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
    args = parser.parse_args(argv)
    console = Console(stderr=args.json == "-", width=150)
    work = Path(tempfile.mkdtemp(prefix="ioig-bench-"))
    boxes = args.boxes
    try:
        chosen = [
            workloads.fish(REPO, Path(args.shared), work, args.quick),
            workloads.reward(REPO, work, 8 if args.quick else 64),
            workloads.many_small(work, 240),
        ]
        settings = SandboxSettings(state_dir=work / "state", run_boxes=boxes)
        results: dict[str, list[baselines.Measure]] = {w.name: [] for w in chosen}
        with SandboxPool(settings) as pool:
            grader = Grader(pool)
            image = settings.image
            # A bits/stdc++.h solution with the task grader (open-r1's patching puts that header first).
            small, dp = workloads.compile_probes(REPO, chosen[1].problem, chosen[0].problem)
            compile_seconds = {
                "plain": round(baselines.container_compile_seconds(image, chosen[1].problem, small, work, pch=False), 3),
                "pch": round(baselines.container_compile_seconds(image, chosen[1].problem, small, work, pch=True), 3),
                "fish_dp_plain": round(baselines.container_compile_seconds(image, chosen[0].problem, dp, work, False), 3),
                "fish_dp_pch": round(baselines.container_compile_seconds(image, chosen[0].problem, dp, work, True), 3),
            }
            overheads: dict[str, float | None] = {w.name: None for w in chosen}
            for workload in chosen:
                console.print(f"[bold]{workload.name}[/bold]: {workload.description}")
                task = baselines.prepare_host_task(workload.problem, work)
                results[workload.name].append(baselines.floor(workload, task, boxes, work))
                results[workload.name].append(ours.core(workload, grader))
                if not args.no_anchor:
                    sample = None
                    if args.quick:
                        sample = 3
                    elif workload.name != "fish":
                        sample = 2  # every test would take minutes: the per-test cost is what we need
                    results[workload.name].append(baselines.anchor(workload, image, boxes, work, sample))
            compile_seconds["ours_in_sandbox"] = round(ours.compile_seconds(grader, chosen[1].problem, small), 3)
            grader.close()
        # Per-test overhead as issue 2 defines it: one box, tests one after the other; the time to
        # grade N tests minus the solution's own CPU time (as the floor measures it), over N.
        small_tests = chosen[2]
        with SandboxPool(SandboxSettings(state_dir=work / "state-1", run_boxes=1)) as single:
            sequential = Grader(single)
            floor_one = baselines.floor(small_tests, baselines.prepare_host_task(small_tests.problem, work), 1, work)
            ours_one = ours.core(small_tests, sequential)
            sequential.close()
        overheads[small_tests.name] = round(
            (ours_one.wall - ours_one.compile - floor_one.solution_cpu) / ours_one.tests * 1000, 2)
        if not args.no_service:
            for workers in ([1] if args.quick else [1, 2]):
                per_worker = max(1, boxes // workers)
                with ServeProcess([work / "problems"], work / f"serve-{workers}", workers, per_worker) as running:
                    for workload in chosen:
                        results[workload.name].append(ours.service(workload, running))
        summaries = [summarize(w, results[w.name], overheads[w.name]) for w in chosen]
        for summary in summaries:
            console.print(table(summary))
            if not summary["scores_agree"]:
                console.print("[red]scores differ between modes: see the JSON rows[/red]")
        console.print(
            f"compile of a bits/stdc++.h solution with the aplusb grader: plain g++ {compile_seconds['plain']} s, "
            f"with the precompiled header {compile_seconds['pch']} s, through our sandbox "
            f"{compile_seconds['ours_in_sandbox']} s; fish DP solution: {compile_seconds['fish_dp_plain']} s plain, "
            f"{compile_seconds['fish_dp_pch']} s with the header")
        report = {"workloads": summaries, "compile_seconds": compile_seconds, "boxes": boxes, "quick": args.quick,
                  "cpu_count": os.cpu_count()}
        if args.json == "-":
            print(json.dumps(report))
        elif args.json:
            Path(args.json).write_text(json.dumps(report, indent=1))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
