"""The HTTP service: the FastAPI app (submissions, rewards, problems), reward logic, and `serve` (Redis, API and workers in one command)."""
