"""The HTTP API (FastAPI, versioned under /v1, OpenAPI at /docs).

Requests are validated into models, turned into submission records and queued; workers do
the grading. Anything a client sends wrong gets a 4xx naming the field; infrastructure
trouble gets a 503 with Retry-After; a 500 is always a bug of ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator

import redis.asyncio as aredis
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.concurrency import run_in_threadpool
from redis.exceptions import RedisError
from rq.registry import StartedJobRegistry

from ..grading.grader import select_subtasks, unsupported_reason
from ..grading.submission import GradeOptions, Submission
from ..languages import languages
from ..problems.model import Problem, ProblemFormatError
from ..problems.store import ProblemExists, ProblemStore, UnknownProblem
from ..schemas import (
    ErrorBody, Health, LanguageInfo, ProblemDetail, ProblemSummary, RewardDetail, RewardMode, RewardRequest,
    RewardResponse, SourceFileView, State, StatusView, SubmissionCreated, SubmissionRequest, SubmissionView,
    SubtaskSummary,
)
from ..workers.metrics import Metrics
from ..workers.packages import PackageChanged, PackageUnavailable, RedisPackages
from ..workers.reconcile import Reconciler
from ..workers.records import SubmissionRecord
from ..workers.runtime import WORKER_KEY
from ..workers.store import STATE_KEY, QueueFull, SubmissionStore, connect, durability
from ..workers.telemetry import queue_age, render_worker_series, worker_stats
from .config import ServiceConfig
from .publish import ProblemPublisher
from .reward import prepare_code, reward_of
from .status import collect_status

log = logging.getLogger(__name__)


class ApiError(HTTPException):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(status_code=status, detail=message, headers=headers)


class BodyLimit:
    """ASGI middleware: refuse bodies over the limit with 413, before reading them whole."""

    def __init__(self, app, default_limit: int, upload_limit: int):
        self.app, self.default_limit, self.upload_limit = app, default_limit, upload_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.upload_limit if scope["path"].rstrip("/") == "/v1/problems" else self.default_limit
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await _too_large(send, limit)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(send, limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send, limit: int) -> None:
    body = ErrorBody(error=f"request body too large (limit {limit} bytes)").model_dump_json().encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _field_errors(error: RequestValidationError) -> tuple[str, list[dict]]:
    details = []
    parts = []
    for item in error.errors():
        location = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "body"
        details.append({"field": location, "message": item.get("msg", ""), "type": item.get("type", "")})
        parts.append(f"{location}: {item.get('msg', '')}")
    return "invalid request: " + "; ".join(parts[:10]), details


def _problem_summary(problem: Problem, version: str | None = None) -> dict:
    return dict(
        id=problem.id, name=problem.name, task_type=problem.task_type.value, time_limit=problem.time_limit,
        memory_limit=problem.memory_limit, score_precision=problem.score_precision, max_score=problem.max_score,
        year=problem.year, version=version, test_count=len(problem.tests),
        subtasks=[SubtaskSummary(name=s.name, points=s.points, tests=len(s.tests)) for s in problem.subtasks],
    )


def create_app(config: ServiceConfig, problems: ProblemStore | None = None) -> FastAPI:
    state: dict = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["problems"] = problems or ProblemStore(config.problem_dirs, config.upload_dir)
        state["redis"] = connect(config.redis_url)
        state["aredis"] = aredis.Redis.from_url(config.redis_url, socket_timeout=30, socket_connect_timeout=5)
        state["store"] = SubmissionStore(
            state["redis"], result_ttl=config.result_ttl, results_dir=config.results_dir, max_queue=config.max_queue
        )
        state["metrics"] = Metrics(state["redis"])
        state["publisher"] = ProblemPublisher(state["problems"], RedisPackages(state["redis"]))
        with contextlib.suppress(RedisError):
            risk = await run_in_threadpool(durability, state["redis"])
            if risk:
                log.warning("accepted submissions may not survive a crash of Redis: %s", risk)
        reaper = asyncio.create_task(_reconcile())
        try:
            yield
        finally:
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
            await state["aredis"].aclose()
            state["redis"].close()

    async def _reconcile() -> None:
        """On start and then every `recovery_interval`: a worker killed mid-job stops
        heartbeating, and a job lost to a crash leaves its record pending with nothing behind
        it; requeue either (or fail it once its attempts are spent) within seconds, whether or
        not any worker is alive to notice. See `workers.reconcile`."""
        reconciler = Reconciler(state["store"], min_interval=config.recovery_interval)
        while True:
            try:
                done = await run_in_threadpool(reconciler.run_once)
                if done and done.abandoned:
                    log.warning("recovered %d abandoned grading jobs", done.abandoned)
            except RedisError as error:
                log.warning("reconciliation skipped: %s", error)
            except Exception:  # noqa: BLE001 - keep the reconciler alive
                log.exception("reconciliation failed")
            await asyncio.sleep(config.recovery_interval)

    app = FastAPI(
        title="ioi-grader",
        version="1",
        description="IOI-style grading: submissions, GRPO rewards, problems. Authenticate with "
        "`Authorization: Bearer <key>` when the server has keys configured.",
        lifespan=lifespan,
        responses={401: {"model": ErrorBody}, 413: {"model": ErrorBody}, 422: {"model": ErrorBody},
                   503: {"model": ErrorBody}},
    )
    app.add_middleware(BodyLimit, default_limit=config.max_body_bytes, upload_limit=config.max_upload_bytes)

    # -- errors --------------------------------------------------------------------------------

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, error: HTTPException):
        return JSONResponse(ErrorBody(error=str(error.detail)).model_dump(exclude_none=True),
                            status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError):
        message, details = _field_errors(error)
        return JSONResponse(ErrorBody(error=message, detail=details).model_dump(), status_code=422)

    @app.exception_handler(RedisError)
    async def _redis_down(request: Request, error: RedisError):
        log.warning("redis unavailable: %s", error)
        return JSONResponse(ErrorBody(error="the queue (Redis) is unavailable; retry shortly").model_dump(
            exclude_none=True), status_code=503, headers={"Retry-After": "5"})

    # -- auth ----------------------------------------------------------------------------------

    def _key(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def _known(key: str | None, keys: frozenset[str]) -> bool:
        return key is not None and any(secrets.compare_digest(key, k) for k in keys)

    def authenticated(request: Request) -> bool:
        """True for an admin key. With no key configured, everyone is let in (loopback only)."""
        if config.open_access:
            return True
        key = _key(request)
        if _known(key, config.admin_keys):
            return True
        if _known(key, config.api_keys):
            return False
        raise ApiError(401, "missing or unknown API key: send `Authorization: Bearer <key>`",
                       {"WWW-Authenticate": "Bearer"})

    def admin(is_admin: bool = Depends(authenticated)) -> None:
        if not is_admin:
            raise ApiError(403, "this needs an admin key")

    def problem_or_404(problem_id: str, field: str = "problem_id") -> Problem:
        try:
            return state["problems"].get(problem_id)
        except UnknownProblem:
            raise ApiError(404, f"{field}: unknown problem {problem_id!r}") from None

    # -- submissions ---------------------------------------------------------------------------

    @app.post("/v1/submissions", status_code=202, response_model=SubmissionCreated,
              responses={404: {"model": ErrorBody}})
    async def submit(body: SubmissionRequest, _: bool = Depends(authenticated)) -> SubmissionCreated:
        problem = problem_or_404(body.problem_id)
        reason = unsupported_reason(problem, body.language)
        if reason:
            raise ApiError(422, f"language: {reason}")
        _check_subtasks(problem, body.options, "options.subtasks")
        record = SubmissionRecord(
            problem_id=problem.id, submission=Submission(language=body.language, code=body.code), options=body.options
        )
        store: SubmissionStore = state["store"]
        try:
            await run_in_threadpool(store.admit, 1)
        except QueueFull as error:
            raise ApiError(503, str(error), {"Retry-After": str(error.retry_after)}) from None
        await _name_versions([record], {problem.id: problem})
        await run_in_threadpool(store.enqueue, [record])
        return SubmissionCreated(id=record.id, state=record.state)

    @app.get("/v1/submissions/{submission_id}", response_model=SubmissionView, responses={404: {"model": ErrorBody}})
    async def get_submission(
        submission_id: str,
        wait: float = Query(default=0, ge=0, le=config.max_wait,
                            description="Seconds to wait for the submission to finish (long poll)."),
        _: bool = Depends(authenticated),
    ) -> SubmissionView:
        if len(submission_id) > 64 or not submission_id.isalnum():
            raise ApiError(404, f"unknown submission {submission_id[:64]!r}")
        if wait:
            await _wait_final([submission_id], wait)
        record = await run_in_threadpool(state["store"].get, submission_id)
        if record is None:
            raise ApiError(404, f"unknown submission {submission_id!r} (never created, or expired)")
        return SubmissionView(
            id=record.id, problem_id=record.problem_id, language=record.submission.language, state=record.state,
            created_at=record.created_at, updated_at=record.updated_at, attempts=record.attempts,
            result=record.result, error=record.error,
        )

    async def _wait_final(ids: list[str], timeout: float) -> None:
        """Until every id is final (or gone) or `timeout` passes, whichever is first. Redis
        restarting meanwhile is waited out; if it is still unreachable at the deadline, the
        RedisError propagates (503 with Retry-After)."""
        deadline = time.monotonic() + timeout
        delay = 0.01
        keys = [STATE_KEY.format(i) for i in ids]
        pending = list(range(len(ids)))
        while pending:
            remaining = deadline - time.monotonic()
            try:
                raws = await asyncio.wait_for(state["aredis"].mget([keys[i] for i in pending]),
                                              max(0.05, remaining))
            except (RedisError, asyncio.TimeoutError) as error:
                if time.monotonic() >= deadline:
                    raise error if isinstance(error, RedisError) else RedisError("Redis did not answer in time")
                await asyncio.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
                continue
            pending = [i for i, raw in zip(pending, raws) if raw is not None and not State(raw.decode()).final]
            remaining = deadline - time.monotonic()
            if not pending or remaining <= 0:
                return
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 1.5, 0.2)

    async def _name_versions(records: list[SubmissionRecord], problems: dict[str, Problem]) -> None:
        """Publish each problem's current version and stamp it on the records, so the workers
        grade exactly that version wherever they run."""
        versions: dict[str, str] = {}
        for problem_id, problem in problems.items():
            try:
                versions[problem_id] = await run_in_threadpool(state["publisher"].ensure, problem)
            except (PackageChanged, PackageUnavailable) as error:
                raise ApiError(503, f"problem {problem_id!r} could not be published: {error}",
                               {"Retry-After": "5"}) from None
        for record in records:
            record.problem_version = versions[record.problem_id]

    def _check_subtasks(problem: Problem, options: GradeOptions, field: str) -> None:
        try:
            select_subtasks(problem, options.subtasks)
        except KeyError as error:
            raise ApiError(422, f"{field}: {error.args[0]}") from None

    # -- rewards -------------------------------------------------------------------------------

    @app.post("/v1/reward", response_model=RewardResponse, responses={404: {"model": ErrorBody}})
    async def reward(body: RewardRequest, _: bool = Depends(authenticated)) -> RewardResponse:
        store: SubmissionStore = state["store"]
        details: list[RewardDetail | None] = [None] * len(body.items)
        records: dict[int, SubmissionRecord] = {}
        used: dict[str, Problem] = {}
        for index, item in enumerate(body.items):
            where = f"items.{index}"
            try:
                problem = state["problems"].find(item.problem_id, item.year, item.id)
            except UnknownProblem:
                name = item.problem_id or (f"{item.year}-{item.id}" if item.year else item.id)
                raise ApiError(404, f"{where}: unknown problem {name!r}") from None
            reason = unsupported_reason(problem, item.language)
            if reason:
                raise ApiError(422, f"{where}.language: {reason}")
            subtask = None
            if item.subtask is not None:
                try:
                    subtask = problem.subtask(item.subtask)
                except KeyError as error:
                    raise ApiError(422, f"{where}.subtask: {error.args[0]}") from None
            code = prepare_code(
                [m.model_dump() for m in item.completion] if isinstance(item.completion, list) else item.completion,
                problem, item.language,
            )
            if not code.strip():
                details[index] = RewardDetail(reward=0.0, status="no_code", problem_id=problem.id,
                                              subtask=subtask.name if subtask else None,
                                              reason=f"no ```{item.language} code block in the completion")
                continue
            try:
                submission = Submission(language=item.language, code=code)
            except ValueError as error:
                raise ApiError(422, f"{where}.completion: {error}") from None
            graded = [subtask.name] if subtask is not None and body.mode is not RewardMode.PROBLEM else None
            options = GradeOptions(subtasks=graded, early_stop=body.mode is not RewardMode.TESTS)
            records[index] = SubmissionRecord(problem_id=problem.id, submission=submission, options=options)
            used[problem.id] = problem
        if records:
            try:
                await run_in_threadpool(store.admit, len(records))
            except QueueFull as error:
                raise ApiError(503, str(error), {"Retry-After": str(error.retry_after)}) from None
            await _name_versions(list(records.values()), used)
            await run_in_threadpool(store.enqueue, list(records.values()), config.reward_ttl)
            await _wait_final([r.id for r in records.values()], body.timeout or config.reward_timeout)
            finished = await run_in_threadpool(store.get_many, [r.id for r in records.values()])
            for (index, record), done in zip(records.items(), finished):
                details[index] = _reward_detail(record, done, body.mode)
        for detail in details:
            state["metrics"].count("ioi_grader_reward_items_total", status=detail.status)
        return RewardResponse(rewards=[d.reward for d in details], details=details)

    def _reward_detail(sent: SubmissionRecord, record: SubmissionRecord | None, mode: RewardMode) -> RewardDetail:
        subtask = sent.options.subtasks[0] if sent.options.subtasks else None
        base = dict(problem_id=sent.problem_id, subtask=subtask, submission_id=sent.id)
        if record is None:
            return RewardDetail(reward=None, status="error", reason="the submission record expired", **base)
        if record.state is State.DONE and record.result is not None:
            value = reward_of(record.result, mode)
            reason = "compilation failed" if record.result.compile.status.value == "CE" else ""
            return RewardDetail(reward=value, status="scored", reason=reason, score=record.result.score,
                                max_score=record.result.max_score, **base)
        if record.state is State.FAILED:
            # An infrastructure failure is not a zero: TRL leaves out samples whose reward is None.
            return RewardDetail(reward=None, status="error", reason=record.error or "grading failed", **base)
        return RewardDetail(reward=None, status="timeout", reason=f"not graded in time (still {record.state.value})",
                            **base)

    # -- languages and problems ----------------------------------------------------------------

    @app.get("/v1/languages", response_model=list[LanguageInfo])
    async def list_languages(_: bool = Depends(authenticated)) -> list[LanguageInfo]:
        """Every language a submission may name (aliases included)."""
        return [LanguageInfo(name=lang.name, aliases=list(lang.aliases), summary=lang.summary,
                             extensions=list(lang.extensions), links_task_code=lang.links_task_code)
                for lang in languages]


    @app.get("/v1/problems", response_model=list[ProblemSummary])
    async def list_problems(_: bool = Depends(authenticated)) -> list[ProblemSummary]:
        def summaries() -> list[ProblemSummary]:
            return [ProblemSummary(**_problem_summary(p, _version(p))) for p in state["problems"].all()]

        return await run_in_threadpool(summaries)

    def _version(problem: Problem) -> str | None:
        try:
            return state["publisher"].version(problem)
        except (OSError, ProblemFormatError, UnknownProblem) as error:
            log.warning("no content hash for %s: %s", problem.id, error)
            return None

    @app.get("/v1/problems/{problem_id}", response_model=ProblemDetail, responses={404: {"model": ErrorBody}})
    async def get_problem(problem_id: str, is_admin: bool = Depends(authenticated)) -> ProblemDetail:
        problem = problem_or_404(problem_id)
        usable = [name for name in languages.choices() if not unsupported_reason(problem, name)]
        private = {}
        if is_admin and not config.open_access:
            private = dict(checker=problem.checker.kind.value, tests=list(problem.tests))
        return ProblemDetail(
            **_problem_summary(problem, await run_in_threadpool(_version, problem)), languages=usable,
            headers=[SourceFileView(name=h.name, content=h.content) for h in problem.headers], **private,
        )

    @app.post("/v1/problems", status_code=201, response_model=ProblemSummary,
              responses={403: {"model": ErrorBody}, 409: {"model": ErrorBody}},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/zip": {"schema": {"type": "string", "format": "binary"}},
                  "application/gzip": {"schema": {"type": "string", "format": "binary"}},
                  "application/x-tar": {"schema": {"type": "string", "format": "binary"}}}}})
    async def upload_problem(
        request: Request, _: None = Depends(admin),
        replace: bool = Query(default=False, description="Replace an uploaded problem of the same id (a new version)."),
    ) -> ProblemSummary:
        """Upload a TPS or Kattis package as a .zip or .tar(.gz) body; it is loaded and
        validated before it is accepted."""
        data = await request.body()
        if not data:
            raise ApiError(422, "body: empty; send the package archive as the request body")
        try:
            problem = await run_in_threadpool(state["problems"].add_archive, data, "upload", replace)
        except ProblemExists as error:
            raise ApiError(409, str(error)) from None
        except ProblemFormatError as error:
            raise ApiError(422, f"package: {error}") from None
        return ProblemSummary(**_problem_summary(problem, await run_in_threadpool(_version, problem)))

    # -- operations ----------------------------------------------------------------------------

    @app.get("/healthz", response_model=Health, responses={503: {"model": Health}})
    async def healthz():
        redis_ok, workers, images, depth = True, 0, set(), None
        try:
            client = state["aredis"]
            await client.ping()
            depth = await run_in_threadpool(state["store"].depth)
            async for key in client.scan_iter(match=WORKER_KEY.format("*"), count=100):
                raw = await client.get(key)
                if raw:
                    workers += 1
                    images.add(json.loads(raw).get("image", ""))
        except RedisError:
            redis_ok = False
        health = Health(status="ok" if redis_ok and workers else "degraded", redis=redis_ok, workers=workers,
                        sandbox_images=sorted(images), queue_depth=depth)
        return JSONResponse(health.model_dump(), status_code=200 if health.status == "ok" else 503)

    @app.get("/v1/status", response_model=StatusView)
    async def status(_: bool = Depends(authenticated)) -> StatusView:
        """Workers (boxes, throughput, problem cache), the queue and the last errors."""
        return await run_in_threadpool(collect_status, state["redis"], state["store"])

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        store: SubmissionStore = state["store"]

        def collect() -> str:
            started = StartedJobRegistry(queue=store.queue).count
            workers = sum(1 for _ in state["redis"].scan_iter(match=WORKER_KEY.format("*"), count=100))
            return state["metrics"].render({
                "ioi_grader_queue_depth": ("Submissions waiting for a worker.", store.depth()),
                "ioi_grader_queue_age_seconds": ("Seconds the oldest queued submission has waited.",
                                                 round(queue_age(store.queue), 3)),
                "ioi_grader_jobs_running": ("Submissions being graded now.", started),
                "ioi_grader_workers": ("Workers alive.", workers),
            }) + render_worker_series(worker_stats(state["redis"]))

        return PlainTextResponse(await run_in_threadpool(collect), media_type="text/plain; version=0.0.4")

    return app


__all__ = ["create_app"]
