"""TRL-ready reward functions backed by the ioi-grader service.

    from ioi_grader.client import ioi_reward, cf_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[ioi_reward], train_dataset=open_r1_ioi_rows, ...)
    trainer = GRPOTrainer(model=..., reward_funcs=[cf_reward], train_dataset=codeforces_verifiable_prompts, ...)

TRL calls `ioi_reward(prompts=..., completions=..., completion_ids=..., **columns)` with the
dataset's columns as lists (one entry per completion); an open-r1 `ioi` row's `year`, `id`
and `subtask` (or a `problem_id` column) say what to grade. One float per completion comes
back, or None where the service could not grade it (TRL then leaves that sample out,
instead of learning from a fake zero). The service URL and key come from
$IOI_GRADER_URL / $IOI_GRADER_API_KEY, or use `make_ioi_reward(url=..., mode=...)`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from .api import AsyncClient, Client, GraderError

log = logging.getLogger(__name__)

_ROW_FIELDS = ("problem_id", "year", "id", "subtask", "language")


def reward_items(completions: Sequence[Any], columns: dict[str, Any]) -> list[dict]:
    """One /v1/reward item per completion, from TRL's dataset-column kwargs."""
    items = []
    for index, completion in enumerate(completions):
        item: dict[str, Any] = {"completion": completion}
        for field in _ROW_FIELDS:
            values = columns.get(field)
            if values is None:
                continue
            value = values[index] if isinstance(values, (list, tuple)) else values
            if value is not None:
                item[field] = value.item() if hasattr(value, "item") else value  # numpy scalars from datasets
        if "problem_id" not in item and "id" not in item:
            raise ValueError("each row needs a `problem_id` column, or open-r1's `year` and `id` columns")
        items.append(item)
    return items


def _unscorable(count: int, error: Exception) -> list[float | None]:
    log.warning("ioi-grader could not grade this batch (%s): returning None rewards", error)
    return [None] * count


def _failed(items: list[dict], error: Exception) -> list[float | None]:
    """None for every item when the service could not grade them (TRL drops those); a 4xx, which
    the caller can fix, is raised."""
    if isinstance(error, GraderError) and error.status < 500:
        raise error
    return _unscorable(len(items), error)


def _rewards(url: str | None, api_key: str | None, items: list[dict], mode: str, timeout: float | None,
             options: dict | None = None) -> list[float | None]:
    try:
        with Client(url, api_key) as client:
            return client.reward(items, mode=mode, timeout=timeout, **(options or {})).rewards
    except (httpx.TransportError, GraderError) as error:
        return _failed(items, error)


async def _rewards_async(url: str | None, api_key: str | None, items: list[dict], mode: str,
                         timeout: float | None, options: dict | None = None) -> list[float | None]:
    try:
        async with AsyncClient(url, api_key) as client:
            return (await client.reward(items, mode=mode, timeout=timeout, **(options or {}))).rewards
    except (httpx.TransportError, GraderError) as error:
        return _failed(items, error)


def make_ioi_reward(url: str | None = None, api_key: str | None = None, mode: str = "subtask",
                    timeout: float | None = None) -> Callable[..., list[float | None]]:
    """A reward function bound to a service and a reward mode ("subtask", "problem", "tests")."""

    def ioi_reward(completions: Sequence[Any], prompts: Any = None, completion_ids: Any = None,
                   **columns: Any) -> list[float | None]:
        items = reward_items(completions, columns)
        return _rewards(url, api_key, items, mode, timeout)

    ioi_reward.__name__ = "ioi_reward" if mode == "subtask" else f"ioi_reward_{mode}"
    return ioi_reward


def make_ioi_reward_async(url: str | None = None, api_key: str | None = None, mode: str = "subtask",
                          timeout: float | None = None) -> Callable[..., Any]:
    """The coroutine twin of `make_ioi_reward` (TRL awaits async reward functions concurrently)."""

    async def ioi_reward_async(completions: Sequence[Any], prompts: Any = None, completion_ids: Any = None,
                               **columns: Any) -> list[float | None]:
        items = reward_items(completions, columns)
        return await _rewards_async(url, api_key, items, mode, timeout)

    ioi_reward_async.__name__ = "ioi_reward_async" if mode == "subtask" else f"ioi_reward_async_{mode}"
    return ioi_reward_async


ioi_reward = make_ioi_reward()
ioi_reward_async = make_ioi_reward_async()


# -- open-r1's cf_code_reward ---------------------------------------------------------------------

CF_MODES = ("pass_fail", "partial", "weighted_sum")


def cf_reward_items(completions: Sequence[Any], columns: dict[str, Any], language: str | None) -> list[dict]:
    """One item per completion from the `open-r1/codeforces` `verifiable-prompts` columns: `id`
    names the problem, `language` ("python" | "cpp") the fence the code is taken from."""
    ids = columns.get("id", columns.get("problem_id"))
    if ids is None:
        raise ValueError("cf_reward needs the rows' `id` column (open-r1/codeforces: \"2063/A\")")
    languages_column = columns.get("language")
    if languages_column is None and language is None:
        # The anchor silently scores every completion None then; say what is missing instead.
        raise ValueError("cf_reward needs the rows' `language` column (verifiable-prompts has one), "
                         "or make_cf_reward(language=...)")
    items = []
    for index, completion in enumerate(completions):
        problem = ids[index] if isinstance(ids, (list, tuple)) else ids
        row_language = languages_column[index] if isinstance(languages_column, (list, tuple)) else languages_column
        value = row_language if row_language is not None else language
        items.append({"id": problem.item() if hasattr(problem, "item") else problem, "completion": completion,
                      "language": str(value)})
    return items


def make_cf_reward(url: str | None = None, api_key: str | None = None, mode: str = "weighted_sum",
                   patch_code: bool = False, time_multipliers: dict[str, float] | None = None,
                   timeout: float | None = None, language: str | None = None) -> Callable[..., list[float | None]]:
    """open-r1's `cf_code_reward(completions, scoring_mode=mode, patch_code=...)` as a service
    call: -1.0 without code, -0.1 for a compilation error, else pass_fail (1.0 / 0.0), partial
    (passed / total) or weighted_sum (pass_fail + 0.1 * passed / total); None where the row
    cannot be scored (a language we do not grade) or the service could not grade it."""
    if mode not in CF_MODES:
        raise ValueError(f"mode must be one of {', '.join(CF_MODES)}, got {mode!r}")
    options = dict(patch_code=patch_code or None, time_multipliers=time_multipliers)

    def cf_reward(completions: Sequence[Any], prompts: Any = None, completion_ids: Any = None,
                  **columns: Any) -> list[float | None]:
        items = cf_reward_items(completions, columns, language)
        return _rewards(url, api_key, items, mode, timeout, options)

    cf_reward.__name__ = "cf_reward" if mode == "weighted_sum" else f"cf_reward_{mode}"
    return cf_reward


def make_cf_reward_async(url: str | None = None, api_key: str | None = None, mode: str = "weighted_sum",
                         patch_code: bool = False, time_multipliers: dict[str, float] | None = None,
                         timeout: float | None = None, language: str | None = None) -> Callable[..., Any]:
    """The coroutine twin of `make_cf_reward` (TRL awaits async reward functions concurrently)."""
    if mode not in CF_MODES:
        raise ValueError(f"mode must be one of {', '.join(CF_MODES)}, got {mode!r}")
    options = dict(patch_code=patch_code or None, time_multipliers=time_multipliers)

    async def cf_reward_async(completions: Sequence[Any], prompts: Any = None, completion_ids: Any = None,
                              **columns: Any) -> list[float | None]:
        items = cf_reward_items(completions, columns, language)
        return await _rewards_async(url, api_key, items, mode, timeout, options)

    cf_reward_async.__name__ = "cf_reward_async" if mode == "weighted_sum" else f"cf_reward_async_{mode}"
    return cf_reward_async


cf_reward = make_cf_reward()
cf_reward_async = make_cf_reward_async()
