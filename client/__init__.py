"""Clients of the ioi-grader service: a typed HTTP client (sync and async), TRL reward
functions, and the batch evaluation and contest simulation behind `ioi-grader batch` /
`ioi-grader simulate`."""

from .api import AsyncClient, Client, GraderError, ServiceBusy
from .reward import ioi_reward, ioi_reward_async, make_ioi_reward, make_ioi_reward_async

__all__ = [
    "AsyncClient", "Client", "GraderError", "ServiceBusy", "ioi_reward", "ioi_reward_async", "make_ioi_reward",
    "make_ioi_reward_async",
]
