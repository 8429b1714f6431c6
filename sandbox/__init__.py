"""The Docker sandbox: warm locked-down boxes, each run by an in-container supervisor.

- `SandboxPool`: a worker's boxes (run boxes for submissions, one judge box for checkers).
- `Box`: one container and the connection to its supervisor.
- `protocol`: the typed request/response messages.
- `image`: building the image from the Dockerfile in `image/`.
"""

from .box import Box, SandboxError, SandboxUnavailable
from .pool import SandboxPool, docker_client
from .settings import SandboxSettings

__all__ = ["Box", "SandboxError", "SandboxPool", "SandboxSettings", "SandboxUnavailable", "docker_client"]
