"""TRL-ready reward functions backed by the ioi-grader service.

    from ioi_grader.client import ioi_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[ioi_reward], train_dataset=open_r1_ioi_rows, ...)

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

from .api import AsyncClient, Client, GraderError, ServiceBusy

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


def make_ioi_reward(url: str | None = None, api_key: str | None = None, mode: str = "subtask",
                    timeout: float | None = None) -> Callable[..., list[float | None]]:
    """A reward function bound to a service and a reward mode ("subtask", "problem", "tests")."""

    def ioi_reward(completions: Sequence[Any], prompts: Any = None, completion_ids: Any = None,
                   **columns: Any) -> list[float | None]:
        items = reward_items(completions, columns)
        try:
            with Client(url, api_key) as client:
                return client.reward(items, mode=mode, timeout=timeout).rewards
        except (httpx.TransportError, ServiceBusy) as error:
            return _unscorable(len(items), error)
        except GraderError as error:
            if error.status >= 500:
                return _unscorable(len(items), error)
            raise  # a 4xx is a bug in the dataset or the call: surface it

    ioi_reward.__name__ = "ioi_reward" if mode == "subtask" else f"ioi_reward_{mode}"
    return ioi_reward


def make_ioi_reward_async(url: str | None = None, api_key: str | None = None, mode: str = "subtask",
                          timeout: float | None = None) -> Callable[..., Any]:
    """The coroutine twin of `make_ioi_reward` (TRL awaits async reward functions concurrently)."""

    async def ioi_reward_async(completions: Sequence[Any], prompts: Any = None, completion_ids: Any = None,
                               **columns: Any) -> list[float | None]:
        items = reward_items(completions, columns)
        try:
            async with AsyncClient(url, api_key) as client:
                return (await client.reward(items, mode=mode, timeout=timeout)).rewards
        except (httpx.TransportError, ServiceBusy) as error:
            return _unscorable(len(items), error)
        except GraderError as error:
            if error.status >= 500:
                return _unscorable(len(items), error)
            raise

    ioi_reward_async.__name__ = "ioi_reward_async" if mode == "subtask" else f"ioi_reward_async_{mode}"
    return ioi_reward_async


ioi_reward = make_ioi_reward()
ioi_reward_async = make_ioi_reward_async()
