"""Service configuration: arguments of `ioi-grader serve` / `api`, and the environment."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field


def _keys(variable: str) -> frozenset[str]:
    return frozenset(k.strip() for k in os.environ.get(variable, "").split(",") if k.strip())


class ServiceConfig(BaseModel):
    redis_url: str
    problem_dirs: list[Path] = Field(default_factory=list)
    upload_dir: Path | None = None
    results_dir: Path | None = None
    api_keys: frozenset[str] = Field(default_factory=lambda: _keys("IOI_GRADER_API_KEYS"))
    admin_keys: frozenset[str] = Field(default_factory=lambda: _keys("IOI_GRADER_ADMIN_KEYS"))
    max_body_bytes: int = 32 << 20
    max_upload_bytes: int = 1 << 30
    max_queue: int = Field(default_factory=lambda: int(os.environ.get("IOI_GRADER_MAX_QUEUE", "10000")))
    result_ttl: int = 7 * 24 * 3600
    reward_ttl: int = 3600
    reward_timeout: float = 900.0
    max_wait: float = 120.0
    recovery_interval: float = 2.0

    @property
    def open_access(self) -> bool:
        """No key configured: the API accepts anyone, so `serve` binds to loopback only."""
        return not (self.api_keys or self.admin_keys)
