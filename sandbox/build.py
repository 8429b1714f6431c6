"""Building the sandbox image from the Dockerfile shipped in this package.

The image carries a label with the hash of its build context, so a worker always runs the
supervisor that matches its own code: `ensure_image` rebuilds when they differ.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import docker
import docker.errors

from .box import SandboxUnavailable

log = logging.getLogger(__name__)

CONTEXT_DIR = Path(__file__).resolve().parent / "image"
CONTEXT_LABEL = "ioi-grader.context"
BASE_IMAGE = "debian:bookworm-slim"


def build_args() -> dict[str, str]:
    """The image's build arguments, from the plugin registries."""
    from ..languages import image_packages  # noqa: PLC0415

    return {"LANGUAGE_PACKAGES": " ".join(sorted(image_packages()))}


def context_hash() -> str:
    digest = hashlib.sha256(repr(sorted(build_args().items())).encode())
    for path in sorted(CONTEXT_DIR.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def image_is_current(client: docker.DockerClient, tag: str) -> bool:
    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return (image.labels or {}).get(CONTEXT_LABEL) == context_hash()


def ensure_image(client: docker.DockerClient, tag: str, force: bool = False) -> str:
    """Build the sandbox image unless an image with the same build context is tagged already."""
    if not force and image_is_current(client, tag):
        return client.images.get(tag).id
    try:
        client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        try:
            log.info("pulling %s", BASE_IMAGE)
            client.images.pull(BASE_IMAGE)
        except docker.errors.APIError as error:
            raise SandboxUnavailable(
                f"base image {BASE_IMAGE} is missing and cannot be pulled ({error}); "
                "scripts/bootstrap builds it offline with debootstrap"
            ) from error
    log.info("building sandbox image %s (this takes a minute the first time)", tag)
    try:
        image, _ = client.images.build(
            path=str(CONTEXT_DIR), tag=tag, labels={CONTEXT_LABEL: context_hash()}, rm=True, pull=False,
            buildargs=build_args(),
        )
    except docker.errors.BuildError as error:
        tail = "".join(str(line.get("stream", line.get("error", ""))) for line in list(error.build_log)[-15:])
        raise SandboxUnavailable(f"building the sandbox image failed: {error}\n{tail}") from error
    return image.id
