"""Typed Python client for the ioi-grader HTTP API, sync and async, over httpx.

    from ioi_grader.client import Client
    with Client("http://127.0.0.1:8000", api_key=None) as grader:
        view = grader.grade("aplusb", open("aplusb.cpp").read())   # submit + wait
        print(view.result.score)

Errors are `GraderError` with the server's message (which names the offending field);
`ServiceBusy` (503) carries the server's Retry-After and is retried automatically by
`grade`, `submit` and `reward`.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import httpx

from ..grading.submission import GradeOptions
from ..schemas import (
    ProblemDetail, ProblemSummary, RewardResponse, StatusView, SubmissionCreated, SubmissionView,
)

DEFAULT_URL = "http://127.0.0.1:8000"


class GraderError(RuntimeError):
    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class ServiceBusy(GraderError):
    def __init__(self, message: str, retry_after: float):
        super().__init__(503, message)
        self.retry_after = retry_after


def _raise_for(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        message = response.json().get("error", response.text)
    except ValueError:
        message = response.text
    if response.status_code == 503:
        raise ServiceBusy(message, float(response.headers.get("retry-after", "5") or 5))
    raise GraderError(response.status_code, message)


def _headers(api_key: str | None) -> dict[str, str]:
    key = api_key if api_key is not None else os.environ.get("IOI_GRADER_API_KEY")
    return {"Authorization": f"Bearer {key}"} if key else {}


def _submission_body(problem_id: str, code: str, language: str, options: GradeOptions | dict | None) -> dict:
    if isinstance(options, GradeOptions):
        options = options.model_dump(exclude_defaults=True)
    return {"problem_id": problem_id, "language": language, "code": code, "options": options or {}}


class Client:
    """Synchronous client. `base_url` defaults to $IOI_GRADER_URL, `api_key` to $IOI_GRADER_API_KEY."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, timeout: float = 60.0,
                 busy_retries: int = 20):
        self.busy_retries = busy_retries
        self._http = httpx.Client(base_url=base_url or os.environ.get("IOI_GRADER_URL", DEFAULT_URL),
                                  headers=_headers(api_key), timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, *, retry_busy: bool = False, **kwargs: Any) -> httpx.Response:
        for attempt in range(self.busy_retries + 1):
            response = self._http.request(method, path, **kwargs)
            try:
                _raise_for(response)
                return response
            except ServiceBusy as busy:
                if not retry_busy or attempt == self.busy_retries:
                    raise
                time.sleep(busy.retry_after)
        raise AssertionError("unreachable")

    def submit(self, problem_id: str, code: str, language: str = "cpp",
               options: GradeOptions | dict | None = None) -> str:
        """Queue a submission; returns its id."""
        body = _submission_body(problem_id, code, language, options)
        response = self._request("POST", "/v1/submissions", json=body, retry_busy=True)
        return SubmissionCreated.model_validate(response.json()).id

    def submission(self, submission_id: str, wait: float = 0) -> SubmissionView:
        """Fetch a submission; with `wait`, long-poll up to that many seconds for it to finish."""
        response = self._request("GET", f"/v1/submissions/{submission_id}", params={"wait": wait} if wait else None,
                                 timeout=wait + 30)
        return SubmissionView.model_validate(response.json())

    def wait(self, submission_id: str, timeout: float = 3600, poll: float = 60) -> SubmissionView:
        deadline = time.monotonic() + timeout
        while True:
            view = self.submission(submission_id, wait=min(poll, max(0.0, deadline - time.monotonic())))
            if view.state.final or time.monotonic() >= deadline:
                return view

    def grade(self, problem_id: str, code: str, language: str = "cpp", options: GradeOptions | dict | None = None,
              timeout: float = 3600) -> SubmissionView:
        """Submit and wait for the result."""
        return self.wait(self.submit(problem_id, code, language, options), timeout)

    def reward(self, items: list[dict], mode: str = "subtask", timeout: float | None = None) -> RewardResponse:
        body: dict[str, Any] = {"items": items, "mode": mode}
        if timeout:
            body["timeout"] = timeout
        response = self._request("POST", "/v1/reward", json=body, retry_busy=True, timeout=(timeout or 900) + 60)
        return RewardResponse.model_validate(response.json())

    def problems(self) -> list[ProblemSummary]:
        return [ProblemSummary.model_validate(p) for p in self._request("GET", "/v1/problems").json()]

    def problem(self, problem_id: str) -> ProblemDetail:
        return ProblemDetail.model_validate(self._request("GET", f"/v1/problems/{problem_id}").json())

    def upload_problem(self, archive: bytes, content_type: str = "application/zip",
                       replace: bool = False) -> ProblemSummary:
        response = self._request("POST", "/v1/problems", content=archive, headers={"content-type": content_type},
                                 params={"replace": "true"} if replace else None)
        return ProblemSummary.model_validate(response.json())

    def health(self) -> dict:
        response = self._http.get("/healthz")
        return response.json()

    def status(self) -> StatusView:
        """Workers, boxes, queue, throughput and the last errors (what `ioi-grader status` shows)."""
        return StatusView.model_validate(self._request("GET", "/v1/status").json())


class AsyncClient:
    """The same API for asyncio code (e.g. concurrent reward calls from a training loop)."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, timeout: float = 60.0,
                 busy_retries: int = 20, max_connections: int = 100):
        self.busy_retries = busy_retries
        self._http = httpx.AsyncClient(base_url=base_url or os.environ.get("IOI_GRADER_URL", DEFAULT_URL),
                                       headers=_headers(api_key), timeout=timeout,
                                       limits=httpx.Limits(max_connections=max_connections))

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, *, retry_busy: bool = False, **kwargs: Any) -> httpx.Response:
        for attempt in range(self.busy_retries + 1):
            response = await self._http.request(method, path, **kwargs)
            try:
                _raise_for(response)
                return response
            except ServiceBusy as busy:
                if not retry_busy or attempt == self.busy_retries:
                    raise
                await asyncio.sleep(busy.retry_after)
        raise AssertionError("unreachable")

    async def submit(self, problem_id: str, code: str, language: str = "cpp",
                     options: GradeOptions | dict | None = None) -> str:
        body = _submission_body(problem_id, code, language, options)
        response = await self._request("POST", "/v1/submissions", json=body, retry_busy=True)
        return SubmissionCreated.model_validate(response.json()).id

    async def submission(self, submission_id: str, wait: float = 0) -> SubmissionView:
        response = await self._request("GET", f"/v1/submissions/{submission_id}",
                                       params={"wait": wait} if wait else None, timeout=wait + 30)
        return SubmissionView.model_validate(response.json())

    async def wait(self, submission_id: str, timeout: float = 3600, poll: float = 60) -> SubmissionView:
        deadline = time.monotonic() + timeout
        while True:
            view = await self.submission(submission_id, wait=min(poll, max(0.0, deadline - time.monotonic())))
            if view.state.final or time.monotonic() >= deadline:
                return view

    async def grade(self, problem_id: str, code: str, language: str = "cpp",
                    options: GradeOptions | dict | None = None, timeout: float = 3600) -> SubmissionView:
        return await self.wait(await self.submit(problem_id, code, language, options), timeout)

    async def problem(self, problem_id: str) -> ProblemDetail:
        return ProblemDetail.model_validate((await self._request("GET", f"/v1/problems/{problem_id}")).json())

    async def reward(self, items: list[dict], mode: str = "subtask", timeout: float | None = None) -> RewardResponse:
        body: dict[str, Any] = {"items": items, "mode": mode}
        if timeout:
            body["timeout"] = timeout
        response = await self._request("POST", "/v1/reward", json=body, retry_busy=True,
                                       timeout=(timeout or 900) + 60)
        return RewardResponse.model_validate(response.json())
