"""The `ioi-grader` command.

Exit codes: 0 when the command did its job (a low score is a job done), 2 for usage errors
(bad arguments, unreadable or malformed problem, a missing optional extra), 3 for
infrastructure errors (no Docker, sandbox failure, unreachable server).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

EXIT_USAGE = 2
EXIT_INFRASTRUCTURE = 3
MIB = 1 << 20


# The optional extra that provides each third-party module a command may need.
EXTRA_OF_MODULE = {
    "fastapi": "server", "starlette": "server", "uvicorn": "server", "rq": "server", "redis": "server",
    "httpx": "client", "datasets": "datasets", "pyarrow": "datasets", "pandas": "datasets",
    "trl": "grpo", "torch": "grpo", "transformers": "grpo", "accelerate": "grpo",
}


class UsageError(Exception):
    pass


def _language_for(path: Path, explicit: str | None) -> str:
    from .languages import language_for_file

    return explicit or language_for_file(path.name).name


def _language_choices() -> list[str]:
    from .languages import languages

    return languages.choices()


def cmd_grade(args: argparse.Namespace) -> int:
    from .grading.grader import Grader
    from .grading.report import render
    from .grading.submission import GradeOptions, Submission
    from .problems.loader import load_problem
    from .sandbox import SandboxPool, SandboxSettings

    source = Path(args.file)
    try:
        code = source.read_text()
    except OSError as error:
        raise UsageError(f"cannot read {source}: {error.strerror}") from error
    problem = load_problem(Path(args.problem))
    submission = Submission(language=_language_for(source, args.language), code=code)
    options = GradeOptions(
        time_limit=args.time_limit,
        memory_limit=int(args.memory_limit * MIB) if args.memory_limit else None,
        subtasks=args.subtask or None,
        early_stop=args.early_stop,
    )
    settings = SandboxSettings(**({"run_boxes": args.boxes} if args.boxes else {}))
    with SandboxPool(settings) as pool:
        grader = Grader(pool)
        try:
            result = grader.grade(problem, submission, options)
        finally:
            grader.close()
    if args.json:
        print(json.dumps(result.model_dump(mode="json")))
    else:
        render(result, show_tests=not args.summary)
    return 0


def _years(values: list[str] | None) -> list[int] | None:
    if not values:
        return None
    years = []
    for value in values:
        for part in value.split(","):
            if not part.strip().isdigit():
                raise UsageError(f"--years: not a year: {part!r}")
            years.append(int(part))
    return years


def _peak_rss_mib() -> float:
    """This program's peak resident memory. VmHWM, not getrusage: after exec, ru_maxrss still
    counts the memory of the (large) parent the process was forked from."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cmd_problems_import(args: argparse.Namespace) -> int:
    import time

    from .problems.importing import DatasetImportError, Progress, import_datasets

    started = time.monotonic()
    progress = Progress()
    try:
        outcomes = import_datasets(args.source, args.out, tests=args.tests, years=_years(args.years),
                                   split=args.split, problem_ids=args.problem, kind=args.kind, progress=progress)
    except DatasetImportError as error:
        raise UsageError(str(error)) from error
    peak = _peak_rss_mib()
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items())) or "nothing to import"
    progress.note(f"done in {time.monotonic() - started:.1f} s: {summary}; peak memory {peak:.0f} MiB; "
                  f"serve them with: ioi-grader serve --problems {args.out}")
    return EXIT_USAGE if outcomes.get("failed") else 0


def cmd_sandbox_build(args: argparse.Namespace) -> int:
    from .sandbox import SandboxSettings, docker_client
    from .sandbox.build import ensure_image

    settings = SandboxSettings()
    image_id = ensure_image(docker_client(), args.tag or settings.image, force=args.force)
    print(f"{args.tag or settings.image} {image_id[:19]}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .server.serve import DatasetSpec, ServeError, serve

    from .problems.importing import DatasetImportError

    try:
        serve(host=args.host, port=args.port, workers=args.workers, problem_dirs=[Path(p) for p in args.problems],
              data_dir=Path(args.data_dir) if args.data_dir else None, boxes_per_worker=args.boxes_per_worker,
              results_dir=Path(args.results_dir) if args.results_dir else None,
              datasets=[DatasetSpec(source=d, tests=args.dataset_tests, years=_years(args.years))
                        for d in args.dataset],
              refresh_datasets=args.refresh_datasets)
    except (ServeError, DatasetImportError) as error:
        raise UsageError(str(error)) from error
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from .workers.runtime import WorkerConfig, run_worker

    from .workers.problem_cache import parse_size

    try:
        cache_bytes = parse_size(args.cache_size)
    except ValueError as error:
        raise UsageError(f"--cache-size: {error}") from error
    config = WorkerConfig(
        redis_url=args.redis_url, problem_dirs=[Path(p) for p in args.problems],
        upload_dir=Path(args.upload_dir) if args.upload_dir else None,
        results_dir=Path(args.results_dir) if args.results_dir else None, boxes=args.boxes,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None, cache_bytes=cache_bytes,
        **({"name": args.name} if args.name else {}),
    )
    run_worker(config, burst=args.burst)
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    import uvicorn

    from .server.app import create_app
    from .server.config import ServiceConfig

    config = ServiceConfig(redis_url=args.redis_url, problem_dirs=[Path(p) for p in args.problems],
                           upload_dir=Path(args.upload_dir) if args.upload_dir else None,
                           results_dir=Path(args.results_dir) if args.results_dir else None)
    if config.open_access and args.host not in ("127.0.0.1", "localhost", "::1") \
            and os.environ.get("IOI_GRADER_ALLOW_OPEN") != "1":
        raise UsageError(f"refusing to listen on {args.host} without API keys: set IOI_GRADER_API_KEYS "
                         "(or IOI_GRADER_ALLOW_OPEN=1 behind a loopback-only port, as docker-compose.yml does)")
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .client import Client
    from .grading.report import render

    source = Path(args.file)
    try:
        code = source.read_text()
    except OSError as error:
        raise UsageError(f"cannot read {source}: {error.strerror}") from error
    options = {}
    if args.subtask:
        options["subtasks"] = args.subtask
    with Client(args.url, args.api_key) as client:
        view = client.grade(args.problem, code, _language_for(source, args.language), options, timeout=args.timeout)
    if args.json:
        print(view.model_dump_json())
    elif view.result is not None:
        render(view.result, Console())
    else:
        print(f"submission {view.id}: {view.state.value} {view.error or ''}".strip())
    return 0 if view.state.value == "done" else EXIT_INFRASTRUCTURE


def status_view(view, url: str):
    """The terminal view of `GET /v1/status`: a summary line, the workers and the last errors."""
    import datetime

    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from .problems.importing import human_bytes

    queue = view.queue
    headline = Text.assemble(
        ("ioi-grader ", "bold"), f"{url}  {datetime.datetime.fromtimestamp(view.time):%H:%M:%S}\n",
        ("queue ", "bold"), f"{queue.depth} waiting (oldest {queue.oldest_age_seconds:.1f} s), {queue.running} running   ",
        ("boxes ", "bold"), f"{view.boxes_busy}/{view.boxes} busy   ",
        ("throughput ", "bold"), f"{view.tests_per_second:.1f} tests/s   ",
        ("submissions ", "bold"), f"{view.submissions_done:.0f} done, {view.submissions_failed:.0f} failed",
    )
    workers = Table(title=f"{len(view.workers)} worker(s)", title_justify="left", expand=False)
    for column in ("worker", "host", "boxes busy", "tests/s", "jobs", "tests", "compile s (avg)", "cache hit/miss",
                   "fetched", "grading"):
        workers.add_column(column, justify="left" if column in ("worker", "host", "grading") else "right")
    for worker in view.workers:
        average = worker.compile_seconds / worker.compiles if worker.compiles else 0.0
        workers.add_row(worker.name, worker.host, f"{worker.boxes_busy}/{worker.boxes}",
                        f"{worker.tests_per_second:.1f}", f"{worker.jobs:.0f}", f"{worker.tests:.0f}",
                        f"{worker.compile_seconds:.1f} ({average:.2f})",
                        f"{worker.cache_hits:.0f}/{worker.cache_misses:.0f}", human_bytes(worker.fetch_bytes),
                        (worker.current or "-")[:12])
    errors = Table(title="last errors", title_justify="left", expand=False)
    for column in ("when", "worker", "submission", "error"):
        errors.add_column(column)
    for entry in view.errors:
        errors.add_row(f"{datetime.datetime.fromtimestamp(entry.at):%H:%M:%S}", entry.worker,
                       (entry.submission_id or "-")[:12], entry.error.splitlines()[0][:120] if entry.error else "")
    if not view.errors:
        errors.add_row("-", "-", "-", "none")
    return Group(headline, workers, errors)


def cmd_status(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console
    from rich.live import Live

    from .client import Client

    console = Console()
    with Client(args.url, args.api_key, timeout=30) as client:
        url = str(client._http.base_url)
        if args.once:
            console.print(status_view(client.status(), url))
            return 0
        with Live(status_view(client.status(), url), console=console, refresh_per_second=4, screen=False) as live:
            try:
                while True:
                    time.sleep(args.interval)
                    live.update(status_view(client.status(), url))
            except KeyboardInterrupt:
                return 0


def cmd_batch(args: argparse.Namespace) -> int:
    import asyncio

    from rich.console import Console

    from .client.batch import read_rows, run_batch, subset_language, summary_table, to_row

    console = Console(stderr=True)
    raw = read_rows(args.input, args.split, args.subset)
    if args.limit:
        raw = raw[: args.limit]
    by_subset = subset_language(args.input, args.subset) if args.codeforces else None
    default = args.language or (None if args.codeforces else "cpp")
    rows = [to_row(index, item, default, by_subset, codeforces=args.codeforces)
            for index, item in enumerate(raw)]
    records = asyncio.run(run_batch(rows, Path(args.out), url=args.url, api_key=args.api_key,
                                    concurrency=args.concurrency, console=console, codeforces=args.codeforces,
                                    patch_code=args.patch_code))
    console.print(summary_table(records))
    return 0


def cmd_import_codeforces(args: argparse.Namespace) -> int:
    from .problems.codeforces import load_codeforces

    flags = json.loads(Path(args.checker_flags).read_text()) if args.checker_flags else None
    loaded = load_codeforces(args.source, args.tests, config=args.config, split=args.split, cache_dir=args.out,
                             problem_ids=args.id or None, checker_flags=flags)
    print(f"{len(loaded.problems)} problem(s) written to {args.out}")
    if loaded.refused:
        print(f"{len(loaded.refused)} refused (cannot be graded):")
        for problem_id, reason in list(loaded.refused.items())[:20]:
            print(f"  {problem_id}: {reason}")
        if len(loaded.refused) > 20:
            print(f"  ... and {len(loaded.refused) - 20} more")
    if loaded.notes:
        print(f"{len(loaded.notes)} graded on fewer tests than the dataset describes:")
        for problem_id, note in list(loaded.notes.items())[:10]:
            print(f"  {problem_id}: {note}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .client.batch import load_results
    from .client.simulate import simulate, simulation_table

    outcome = simulate(load_results(Path(args.results)), limit=args.limit)
    if args.json:
        print(json.dumps(outcome))
    else:
        Console().print(simulation_table(outcome))
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    from .checkers import conventions
    from .languages import languages
    from .scoretypes import scoretypes
    from .tasktypes import tasktypes

    for title, registry in (("languages", languages), ("checker conventions", conventions),
                            ("task types", tasktypes), ("score types", scoretypes)):
        print(f"{title}:")
        for plugin in registry:
            aliases = f" (also {', '.join(plugin.aliases)})" if plugin.aliases else ""
            print(f"  {plugin.name}{aliases}: {plugin.summary}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ioi-grader", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the grader does")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grade = commands.add_parser("grade", help="grade one source file against a task folder, locally")
    grade.add_argument("file", help="the submission's source file")
    grade.add_argument("--problem", required=True, help="task folder (TPS export or Kattis package)")
    grade.add_argument("--language", choices=_language_choices(),
                       help="default: from the file extension (.py is python, anything else C++17)")
    grade.add_argument("--time-limit", type=float, metavar="S", help="CPU seconds per test (default: the task's)")
    grade.add_argument("--memory-limit", type=float, metavar="MIB", help="MiB per test (default: the task's)")
    grade.add_argument("--subtask", action="append", metavar="NAME", help="grade only this subtask (repeatable)")
    grade.add_argument("--early-stop", action="store_true", help="skip tests of subtasks that already scored 0")
    grade.add_argument("--boxes", type=int, help="tests run at once (default: CPU count)")
    grade.add_argument("--json", action="store_true", help="print the result as one JSON object")
    grade.add_argument("--summary", action="store_true", help="subtasks only, no per-test rows")
    grade.set_defaults(handler=cmd_grade)

    serve = commands.add_parser("serve", help="run the whole service here: Redis, API and workers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--problems", action="append", default=[], metavar="DIR",
                       help="folder of task folders, each loaded at start (repeatable)")
    serve.add_argument("--boxes-per-worker", type=int, help="sandboxes per worker (default: CPUs / workers)")
    serve.add_argument("--data-dir", help="Redis data, uploads and logs (default: ~/.local/state/ioi-grader/service)")
    serve.add_argument("--results-dir", help="also write every finished submission here as JSON")
    serve.add_argument("--dataset", action="append", default=[], metavar="SOURCE",
                       help="also serve this dataset (e.g. open-r1/ioi, or local parquet): imported into the data "
                       "folder on first start, served from there afterwards (repeatable)")
    serve.add_argument("--dataset-tests", metavar="SOURCE", help="its tests (default: open-r1/ioi-test-cases)")
    serve.add_argument("--years", action="append", metavar="YEAR[,YEAR]", help="only these years of --dataset")
    serve.add_argument("--refresh-datasets", action="store_true",
                       help="check --dataset for changes even though it was imported before")
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run one grading worker (RQ) with its own warm sandboxes")
    worker.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    worker.add_argument("--problems", action="append", default=[], metavar="DIR")
    worker.add_argument("--upload-dir", help="where the API stores uploaded problems (shared folder)")
    worker.add_argument("--results-dir")
    worker.add_argument("--boxes", type=int, help="sandboxes, i.e. tests run at once (default: CPU count)")
    worker.add_argument("--name")
    worker.add_argument("--cache-dir", help="problem versions fetched from Redis (default: <state dir>/packages)")
    worker.add_argument("--cache-size", default=os.environ.get("IOI_GRADER_CACHE_SIZE", "20GiB"),
                        help="bound of the problem cache on disk, least recently used first out "
                        "(default: $IOI_GRADER_CACHE_SIZE or 20GiB)")
    worker.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    worker.set_defaults(handler=cmd_worker)

    api = commands.add_parser("api", help="run the HTTP API alone (workers run elsewhere)")
    api.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    api.add_argument("--problems", action="append", default=[], metavar="DIR")
    api.add_argument("--upload-dir")
    api.add_argument("--results-dir")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.set_defaults(handler=cmd_api)

    def client_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--url", default=None, help="service URL (default: $IOI_GRADER_URL or http://127.0.0.1:8000)")
        command.add_argument("--api-key", default=None, help="API key (default: $IOI_GRADER_API_KEY)")

    submit = commands.add_parser("submit", help="submit a file to the service and print its result")
    submit.add_argument("file")
    submit.add_argument("--problem", required=True, help="problem id on the server")
    submit.add_argument("--language", choices=_language_choices())
    submit.add_argument("--subtask", action="append", metavar="NAME")
    submit.add_argument("--timeout", type=float, default=3600)
    submit.add_argument("--json", action="store_true")
    client_options(submit)
    submit.set_defaults(handler=cmd_submit)

    status = commands.add_parser("status", help="live view of the service: workers, boxes, queue, throughput, errors")
    status.add_argument("--interval", type=float, default=2.0, help="seconds between refreshes")
    status.add_argument("--once", action="store_true", help="print one view and exit")
    client_options(status)
    status.set_defaults(handler=cmd_status)

    batch = commands.add_parser("batch", help="grade a dataset of generations through the service, resumably")
    batch.add_argument("input", help="JSONL, parquet, a saved dataset folder or a Hugging Face dataset name")
    batch.add_argument("--out", required=True, help="results JSONL (rows already done there are skipped)")
    batch.add_argument("--split", default="train", help="split of a Hugging Face dataset")
    batch.add_argument("--language", default=None, choices=_language_choices(),
                       help="language of rows without a `language` column (default: C++; with --codeforces: "
                            "the subset's, else the last code fence's)")
    batch.add_argument("--subset", help="the Hugging Face dataset's config, e.g. solutions_py for codeforces-cots")
    batch.add_argument("--codeforces", action="store_true",
                       help="Codeforces generations (open-r1/codeforces-cots): problems by `id`, the code in the "
                            "fence tagged exactly with the row's language, accepted or not")
    batch.add_argument("--patch-code", action="store_true", help="with --codeforces: open-r1's patch_code")
    batch.add_argument("--concurrency", type=int, default=16, help="submissions in flight at once")
    batch.add_argument("--limit", type=int, help="only the first N rows")
    client_options(batch)
    batch.set_defaults(handler=cmd_batch)

    imports = commands.add_parser("import-codeforces",
                                  help="write open-r1/codeforces problems as task folders for `serve --problems`")
    imports.add_argument("source", nargs="?", default="open-r1/codeforces",
                         help="Hugging Face dataset id, or a local .parquet file / folder (default open-r1/codeforces)")
    imports.add_argument("--tests", metavar="DIR",
                         help="folder of the generated tests (test_cases_NNNN.parquet, one file per contest)")
    imports.add_argument("--out", required=True, help="problem folder to write (one task folder per problem)")
    imports.add_argument("--config", help="dataset config (default, verifiable, verifiable-prompts)")
    imports.add_argument("--split", default="train")
    imports.add_argument("--id", action="append", metavar="ID", help="only this problem, e.g. 2063/A (repeatable)")
    imports.add_argument("--checker-flags", metavar="JSON",
                         help="a JSON file {id: [flags]} of token-comparison options overriding the statements'")
    imports.set_defaults(handler=cmd_import_codeforces)

    simulate = commands.add_parser("simulate", help="IOI contest simulation (50 submissions per problem)")
    simulate.add_argument("results", help="results JSONL written by `ioi-grader batch`")
    simulate.add_argument("--limit", type=int, default=50, help="submissions per problem")
    simulate.add_argument("--json", action="store_true")
    simulate.set_defaults(handler=cmd_simulate)

    plugins = commands.add_parser("plugins", help="list the languages, checkers, task types and score types")
    plugins.set_defaults(handler=cmd_plugins)

    # `bench` parses its own options (see ioi_grader.bench.run); listed here for --help.
    commands.add_parser("bench", help="benchmark against the floor and the anchor (`bench --help`)", add_help=False)

    problems = commands.add_parser("problems", help="import datasets as task folders")
    problems_commands = problems.add_subparsers(dest="problems_command", required=True, metavar="ACTION")
    importing = problems_commands.add_parser(
        "import", help="import a dataset (hub id or local parquet) into a folder of task folders: streamed, "
        "resumable, skipping problems already imported with the same content")
    importing.add_argument("source", help="problems dataset: a hub id (open-r1/ioi, open-r1/codeforces) or a local "
                           ".parquet file/folder")
    importing.add_argument("--tests", help="tests: for open-r1/ioi a hub id or local folder of <year>.parquet "
                           "(default: open-r1/ioi-test-cases); for open-r1/codeforces the folder of "
                           "test_cases_NNNN.parquet (default: official tests only)")
    importing.add_argument("--years", action="append", metavar="YEAR[,YEAR]", help="only these years (repeatable)")
    importing.add_argument("--split", help="only this split of the problems dataset (default: all)")
    importing.add_argument("--problem", action="append", metavar="ID",
                           help="only this problem (id, YEAR-ID for open-r1/ioi, e.g. 2063/A for codeforces)")
    importing.add_argument("--kind", help="dataset kind when it cannot be told from the source (open-r1/ioi, "
                           "open-r1/codeforces)")
    importing.add_argument("--out", required=True, metavar="DIR", help="folder of task folders to write")
    importing.set_defaults(handler=cmd_problems_import)

    sandbox = commands.add_parser("sandbox", help="manage the sandbox image")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True, metavar="ACTION")
    build = sandbox_commands.add_parser("build", help="build the sandbox image (skipped when up to date)")
    build.add_argument("--tag", help="image tag (default: $IOI_GRADER_IMAGE or ioi-grader-sandbox:latest)")
    build.add_argument("--force", action="store_true", help="rebuild even when up to date")
    build.set_defaults(handler=cmd_sandbox_build)
    return parser


def missing_extra(error: ModuleNotFoundError) -> str | None:
    """The one line to print when an optional dependency is missing (None: not an extra's)."""
    module = (error.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    if extra is None:
        return None
    return f"this command needs the [{extra}] extra ({module} is not installed): pip install 'ioi-grader[{extra}]'"


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    from .errors import GradingFailure, Transient
    from .problems.model import ProblemFormatError

    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["bench"]:
            from .bench.run import main as bench_main

            return bench_main(argv[1:])
        parser = build_parser()
        args = parser.parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        return args.handler(args)
    except ModuleNotFoundError as error:
        line = missing_extra(error)
        if line is None:
            raise
        print(f"ioi-grader: {line}", file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, ProblemFormatError, FileNotFoundError) as error:
        print(f"ioi-grader: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in error.errors())
        print(f"ioi-grader: invalid input: {problems}", file=sys.stderr)
        return EXIT_USAGE
    except Transient as error:
        print(f"ioi-grader: infrastructure error: {error}", file=sys.stderr)
        return EXIT_INFRASTRUCTURE
    except GradingFailure as error:  # Rejected (the submission's fault) or TaskBroken (the task's)
        print(f"ioi-grader: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:
        print(f"ioi-grader: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - the client's errors, without a traceback in the user's face
        # Look the client's types up only if the client was imported: importing it here would
        # need httpx, and on an install without the [client] extra mask the real error.
        api = sys.modules.get("ioi_grader.client.api")
        httpx = sys.modules.get("httpx")
        if api is not None and isinstance(error, api.GraderError):
            print(f"ioi-grader: {error}", file=sys.stderr)
            return EXIT_USAGE if 400 <= error.status < 500 else EXIT_INFRASTRUCTURE
        if httpx is not None and isinstance(error, httpx.TransportError):
            print(f"ioi-grader: cannot reach the service: {error}", file=sys.stderr)
            return EXIT_INFRASTRUCTURE
        raise


if __name__ == "__main__":
    sys.exit(main())
