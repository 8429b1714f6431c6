"""Clients of the ioi-grader service: a typed HTTP client (sync and async), TRL reward
functions, and the batch evaluation and contest simulation behind `ioi-grader batch` /
`ioi-grader simulate`."""

from .api import AsyncClient, Client, GraderError, ServiceBusy
from .reward import (
    cf_reward, cf_reward_async, ioi_reward, ioi_reward_async, make_cf_reward, make_cf_reward_async, make_ioi_reward,
    make_ioi_reward_async,
)

__all__ = [
    "AsyncClient", "Client", "GraderError", "ServiceBusy", "cf_reward", "cf_reward_async", "ioi_reward",
    "ioi_reward_async", "make_cf_reward", "make_cf_reward_async", "make_ioi_reward", "make_ioi_reward_async",
]
