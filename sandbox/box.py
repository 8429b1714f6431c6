"""A box: one warm, locked-down container and the worker's connection to its supervisor.

Every restriction is applied here, at `docker run` time, so the image stays a plain image:
no network, read-only root, every capability dropped except the supervisor's, no new
privileges, private IPC without /dev/shm or /dev/mqueue, pids and memory caps, tmpfs scratch space, and
a cgroup subtree of the box's own delegated to the supervisor for per-test accounting
(`CgroupHost` says how, for cgroup v1 and v2 and either Docker cgroup driver).
"""

from __future__ import annotations

import array
import hashlib
import json
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from ..errors import Transient
from .base import BoxFile, CapturedFile
from .cpus import LABEL_CPU, placement
from .image.wire import IO_MOUNT, PROTOCOL_VERSION, SOCKET_NAME
from .image.cgroups import DELEGATION_ERROR
from .protocol import RunManyResponse, RunRequest, RunResponse
from .settings import SandboxSettings

log = logging.getLogger(__name__)

SUPERVISOR_CAPABILITIES = ["SETUID", "SETGID", "KILL", "CHOWN", "FOWNER", "DAC_OVERRIDE"]
CGROUP_CONTROLLERS = ("memory", "cpuacct", "pids", "cpu", "freezer")
CGROUP_PARENT = "ioi-grader"
CGROUP_MOUNT = "/sandbox/cgroup"  # where the supervisor finds its delegated cgroups
HOST_CGROUP_FS = "/sys/fs/cgroup"  # the daemon's view: bind sources are host paths
SYSTEMD_SLICE = "ioi_grader"  # systemd driver, cgroup v2: ioi_grader.slice/ioi_grader-<box>.slice
SUPERVISOR_PIDS = 64  # the supervisor and the slots' spawners (v1: the container's --pids-limit)
LABEL_BOX = "ioi-grader.box"
LABEL_ROLE = "ioi-grader.role"
LABEL_OWNER = "ioi-grader.owner"


class SandboxError(Transient):
    """The sandbox failed (not the submission). The caller may retry on another box."""


class SandboxUnavailable(SandboxError):
    """The sandbox cannot work on this host at all; the message says what to do."""


def _process_start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_token() -> str:
    """Identifies this worker process, robustly against pid reuse (pid + its start time)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start_time(pid)}"


def owner_alive(token: str) -> bool:
    host, _, rest = token.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname():
        return True  # another host's worker: not ours to judge
    try:
        return _process_start_time(int(pid_text)) == started
    except ValueError:
        return False


@dataclass(frozen=True)
class CgroupHost:
    """How this Docker engine runs containers' cgroups, and so how a box gets a subtree of its own.

    cgroup v1 (cgroupfs driver): the box's directory in each controller,
    /sys/fs/cgroup/<controller>/ioi-grader/<box>, is the container's --cgroup-parent (so the
    daemon creates it, as the bind source) and is bind-mounted at /sandbox/cgroup/<controller>.

    cgroup v2 (either driver): the container runs in a private cgroup namespace with a per-box
    parent, /sys/fs/cgroup/ioi-grader/<box> (cgroupfs) or
    /sys/fs/cgroup/ioi_grader.slice/ioi_grader-<box>.slice (systemd), which is bind-mounted
    read-write at /sandbox/cgroup. The container's own cgroup is its only child there; the
    supervisor moves itself into a leaf of it and makes the slots beside that leaf. The
    namespace makes the migration rules hold: a process can only be moved between cgroups
    inside the container's own one, so nothing can be moved out of the box or into it.
    """

    version: int
    driver: str  # "cgroupfs" or "systemd"

    @staticmethod
    def detect(client: docker.DockerClient) -> CgroupHost:
        try:
            info = client.info()
        except docker.errors.APIError as error:
            raise SandboxError(f"docker info failed: {error}") from error
        version = int(info.get("CgroupVersion") or 1)  # engines before 20.10 know only v1
        driver = info.get("CgroupDriver") or "cgroupfs"
        options = " ".join(info.get("SecurityOptions") or [])
        if "rootless" in options:
            raise SandboxUnavailable(
                "the Docker engine runs rootless, and a rootless engine cannot hand a container a "
                "writable cgroup of its own: run the workers against a rootful dockerd (the default "
                "system service) or point DOCKER_HOST at one"
            )
        if version == 1 and driver != "cgroupfs":
            raise SandboxUnavailable(
                f"on cgroup v1 the sandbox needs Docker's cgroupfs driver, and this engine uses {driver!r}: "
                'set "exec-opts": ["native.cgroupdriver=cgroupfs"] in /etc/docker/daemon.json and '
                "restart docker, or boot the host on cgroup v2 (systemd.unified_cgroup_hierarchy=1)"
            )
        if version == 2 and driver not in ("cgroupfs", "systemd"):
            raise SandboxUnavailable(f"unknown Docker cgroup driver {driver!r}")
        if version not in (1, 2):
            raise SandboxUnavailable(f"unknown cgroup version {version} reported by the Docker engine")
        return CgroupHost(version, driver)

    # -- where a box's cgroups live -------------------------------------------------------------

    @staticmethod
    def slice_name(box: str) -> str:
        # systemd reads "-" in a slice name as nesting: keep the box name a single level.
        return f"{SYSTEMD_SLICE}-{box.replace('-', '_')}.slice"

    def parent(self, box: str) -> str:
        """The container's --cgroup-parent."""
        if self.version == 2 and self.driver == "systemd":
            return self.slice_name(box)
        return f"/{CGROUP_PARENT}/{box}"

    def box_dirs(self, box: str, root: Path | str = HOST_CGROUP_FS) -> list[Path]:
        """The box's delegated directories, under `root` (the host's cgroup fs, as the daemon
        sees it for bind sources or as the worker sees it for clean-up)."""
        root = Path(root)
        if self.version == 1:
            return [root / c / CGROUP_PARENT / box for c in CGROUP_CONTROLLERS if (root / c).is_dir()]
        if self.driver == "systemd":
            return [root / f"{SYSTEMD_SLICE}.slice" / self.slice_name(box)]
        return [root / CGROUP_PARENT / box]

    def run_options(self, settings: SandboxSettings, box: str) -> dict:
        """The `docker run` options that give the box its cgroups."""
        if self.version == 1:
            for required in ("memory", "cpuacct", "pids"):
                if not (settings.cgroup_root / required).is_dir():
                    raise SandboxUnavailable(
                        f"cgroup v1 controller {required!r} not found under {settings.cgroup_root}: "
                        "the sandbox needs the memory, cpuacct and pids controllers mounted"
                    )
            volumes = {}
            for source in self.box_dirs(box, settings.cgroup_root):
                # The daemon creates the bind source: the box's own cgroup directory, which is
                # also the container's --cgroup-parent. The supervisor makes one child per slot.
                controller = source.parent.parent.name
                volumes[f"{HOST_CGROUP_FS}/{controller}/{CGROUP_PARENT}/{box}"] = {
                    "bind": f"{CGROUP_MOUNT}/{controller}", "mode": "rw"}
            memory = f"{settings.supervisor_memory_mib}m"
            return {"cgroup_parent": self.parent(box), "volumes": volumes, "pids_limit": SUPERVISOR_PIDS,
                    "mem_limit": memory, "memswap_limit": memory, "environment": {}}
        (source,) = self.box_dirs(box)
        return {
            "cgroupns": "private",
            "cgroup_parent": self.parent(box),
            "volumes": {str(source): {"bind": CGROUP_MOUNT, "mode": "rw"}},
            # The container's cgroup holds every slot: its pids limit is the whole box's, set
            # from outside. Memory is limited per slot (each run's leaf) and per supervisor leaf.
            "pids_limit": settings.box_pids_max,
            "environment": {
                "IOI_SUPERVISOR_MEMORY": str(settings.supervisor_memory_mib << 20),
                "IOI_SUPERVISOR_PIDS": str(SUPERVISOR_PIDS),
            },
        }


_hosts: dict[int, CgroupHost] = {}


def cgroup_host(client: docker.DockerClient) -> CgroupHost:
    """`CgroupHost.detect`, once per client (docker info costs a round trip)."""
    key = id(client)
    if key not in _hosts:
        _hosts[key] = CgroupHost.detect(client)
    return _hosts[key]


CAPTURES = "captures"  # the key under which `Box.call` returns the captured files of a response


class ProtocolError(Exception):
    """The supervisor's messages do not add up (a worker or image bug): the box is broken."""


class Receiver:
    """The worker's end of a box's socket: newline-terminated JSON responses, and the
    descriptors of captured streams that come with them (SCM_RIGHTS, attached to a response's
    first byte, so they arrive no later than the line that announces them)."""

    MAX_FDS = 253  # SCM_MAX_FD: what one message can carry

    CHUNK = 1 << 16
    ANCILLARY = socket.CMSG_SPACE(MAX_FDS * 4)

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = bytearray()
        self.fds: list[int] = []
        self._chunk = bytearray(self.CHUNK)  # received into, not allocated per read
        self._view = memoryview(self._chunk)

    def readline(self) -> bytes:
        """The next line, newline included; b"" once the supervisor has hung up."""
        while (end := self.buffer.find(b"\n")) < 0:
            size, ancillary, flags, _ = self.sock.recvmsg_into([self._chunk], self.ANCILLARY)
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    self.fds += array.array("i", payload[: len(payload) - len(payload) % 4])
            if flags & socket.MSG_CTRUNC:
                raise OSError("descriptors sent by the supervisor were truncated")
            if not size:
                return b""
            self.buffer += self._view[:size]
        line = bytes(self.buffer[:end + 1])
        del self.buffer[:end + 1]
        return line

    def take_fds(self, count: int) -> list[CapturedFile]:
        """The next `count` descriptors received, as copies of the files they are (see
        `CapturedFile.copy_of`: the run's pages are freed now, while the box is still ours)."""
        if count > len(self.fds):
            self.close_pending()
            raise ProtocolError(f"the supervisor announced {count} descriptors and sent {len(self.fds)}")
        taken, self.fds = self.fds[:count], self.fds[count:]
        copies = []
        try:
            while taken:
                copies.append(CapturedFile.copy_of(taken.pop(0)))
        except BaseException:
            for fd in taken:
                os.close(fd)
            raise
        return copies

    def close_pending(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []


class Box:
    """One container. Not thread-safe: the pool hands a box to one thread at a time."""

    def __init__(self, client: docker.DockerClient, settings: SandboxSettings, name: str, role: str,
                 cpu: int | None = None):
        """`cpu`: for a run box that replaces another, the CPU index that one had (see
        sandbox/cpus.py); a new run box is given the least used one when it starts."""
        self.client = client
        self.settings = settings
        self.name = name
        self.role = role  # "run" (submissions) or "judge" (checkers, answers): never both
        self.cpu = cpu
        self.host_dir = settings.boxes_dir / name
        self.runs = 0
        self.broken = False
        self.installed: dict[str, str] = {}  # installed name -> content key, see `install`
        self._staged: dict[str, int] = {}  # cached file key -> size, see `put`
        self._stage_keys: dict[tuple, str] = {}  # (path, size, mtime) -> staged file key
        self._host = os.path.abspath(self.host_dir)
        self._container = None
        self._socket: socket.socket | None = None
        self._reader = None
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()  # `cancel` writes from another thread mid-request
        self._request_serial = 0
        self._in_flight: int | None = None  # the id of the run request being executed

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Box:
        self._remove_container()
        shutil.rmtree(self.host_dir, ignore_errors=True)
        self.host_dir.mkdir(parents=True, mode=0o700)
        os.chmod(self.host_dir, 0o700)
        for sub in ("in", "out", "xfer"):
            (self.host_dir / sub).mkdir(mode=0o700)
        if len(str(self.host_dir / SOCKET_NAME)) > 100:
            raise SandboxUnavailable(f"state directory path too long for a unix socket: {self.host_dir}")
        cgroups = cgroup_host(self.client).run_options(self.settings, self.name)
        volumes = {str(self.host_dir): {"bind": IO_MOUNT, "mode": "rw"}, **cgroups.pop("volumes")}
        environment = {
            "IOI_OWNER_UID": str(os.getuid()),
            "IOI_OWNER_GID": str(os.getgid()),
            "IOI_BOX_PIDS_MAX": str(self.settings.box_pids_max),
            "IOI_WIPE_SECONDS": str(self.settings.scratch_wipe_seconds),
            **cgroups.pop("environment"),
        }
        if self.settings.cgroup_hide:
            environment["IOI_CGROUP_HIDE"] = ",".join(self.settings.cgroup_hide)
        scratch = f"rw,nosuid,nodev,noexec,size={self.settings.scratch_mib}m,mode=711"
        labels = {LABEL_BOX: self.name, LABEL_ROLE: self.role, LABEL_OWNER: owner_token()}
        try:
            with placement(self.client, self.settings, self.name, self.cpu) if self.role == "run" else nullcontext() as cpu:
                if cpu is not None:
                    self.cpu = cpu
                    labels[LABEL_CPU] = str(cpu)
                    environment["IOI_BOX_CPU"] = str(cpu)
                # Created while the placement holds its lock (so the next box counts this one),
                # started after it is released.
                self._container = self.client.containers.create(
                    self.settings.image,
                    name=self.name,
                    detach=True,
                    network_mode="none",
                    read_only=True,
                    cap_drop=["ALL"],
                    cap_add=SUPERVISOR_CAPABILITIES,
                    security_opt=["no-new-privileges"] + (
                        [f"seccomp={self.settings.seccomp_profile}"] if self.settings.seccomp_profile else []),
                    ipc_mode="none",
                    hostname="sandbox",
                    tmpfs={
                        "/scratch": scratch,
                        "/box": "rw,nosuid,nodev,exec,size=512m,mode=755",
                        "/trusted": "rw,nosuid,nodev,exec,size=256m,mode=700",
                        # The engine mounts a writable POSIX message queue filesystem here even with
                        # private IPC: a plain open() there creates a queue that outlives the run
                        # (mq_open is denied, open is not). An empty read-only tmpfs replaces it.
                        "/dev/mqueue": "ro,nosuid,nodev,noexec,size=4k,mode=755",
                    },
                    volumes=volumes,
                    environment=environment,
                    labels=labels,
                    log_config={"type": "json-file", "config": {"max-size": "1m"}},
                    **cgroups,
                )
            self._container.start()
        except docker.errors.ImageNotFound as error:
            raise SandboxUnavailable(
                f"sandbox image {self.settings.image!r} not found: run `ioi-grader sandbox build` "
                "(or scripts/bootstrap) first"
            ) from error
        except docker.errors.APIError as error:
            text = str(error)
            if "read-only file system" in text.lower() and "cgroup" in text:
                raise SandboxUnavailable(
                    f"the Docker engine cannot create the box's cgroup ({text}): its /sys/fs/cgroup is "
                    "mounted read-only. Run dockerd where the cgroup filesystem is writable to it "
                    "(a rootful engine on the host, or a docker-in-docker container started with "
                    "--privileged / --cgroupns=host and /sys/fs/cgroup mounted rw)"
                ) from error
            raise SandboxError(f"could not start box {self.name}: {error}") from error
        self._connect()
        response = self.call({"op": "ping"}, timeout=10)
        if response.get("protocol") != PROTOCOL_VERSION:
            raise SandboxUnavailable(
                f"sandbox image {self.settings.image!r} speaks protocol {response.get('protocol')}, this worker "
                f"{PROTOCOL_VERSION}: rebuild it with `ioi-grader sandbox build`")
        log.debug("box %s up: %s", self.name, response)
        return self

    def _connect(self) -> None:
        sock_path = self.host_dir / SOCKET_NAME
        deadline = time.monotonic() + self.settings.start_timeout
        while True:
            if sock_path.exists():
                try:
                    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    sock.connect(str(sock_path))
                    self._socket = sock
                    self._reader = Receiver(sock)
                    return
                except OSError:
                    sock.close()
            self._container.reload()
            if self._container.status in ("exited", "dead"):
                logs = self._container.logs(tail=20).decode(errors="replace")
                if DELEGATION_ERROR in logs:
                    raise SandboxUnavailable(
                        f"box {self.name} could not use the cgroups delegated to it ({cgroup_host(self.client)}); "
                        f"see README, Requirements:\n{logs}"
                    )
                raise SandboxError(f"box {self.name} exited while starting:\n{logs}")
            if time.monotonic() > deadline:
                raise SandboxError(f"box {self.name} did not start within {self.settings.start_timeout:.0f}s")
            time.sleep(0.02)

    def destroy(self) -> None:
        """Remove the container, its I/O folder and its cgroups. Safe to call twice."""
        self.broken = True
        if self._reader is not None:
            self._reader.close_pending()
        if self._socket is not None:
            try:
                self._socket.close()
            except OSError:
                pass
            self._socket = None
        self._remove_container()
        shutil.rmtree(self.host_dir, ignore_errors=True)
        remove_box_cgroups(self.settings, self.name, cgroup_host(self.client))

    def _remove_container(self) -> None:
        try:
            container = self._container or self.client.containers.get(self.name)
            container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as error:
            log.warning("could not remove box %s: %s", self.name, error)
        self._container = None

    # -- talking to the supervisor ---------------------------------------------------------------

    def call(self, payload: dict, timeout: float) -> dict:
        """Send one request and wait for its answer. Transport failures break the box. The
        descriptors of captured streams that came with it are under `CAPTURES` (CapturedFiles,
        as many as its "fds" says, in the order sent)."""
        with self._lock:
            if self.broken or self._socket is None:
                raise SandboxError(f"box {self.name} is broken")
            try:
                with self._send_lock:
                    if payload.get("op") in ("run", "run_many"):
                        self._request_serial += 1
                        payload = dict(payload, id=self._request_serial)
                        self._in_flight = self._request_serial
                    self._socket.settimeout(timeout)
                    self._socket.sendall(json.dumps(payload).encode() + b"\n")
                line = self._reader.readline()
            except (OSError, socket.timeout) as error:
                self.broken = True
                raise SandboxError(f"box {self.name}: supervisor unreachable ({error})") from error
            finally:
                with self._send_lock:
                    self._in_flight = None
            if not line:
                self.broken = True
                raise SandboxError(f"box {self.name}: supervisor closed the connection (container killed?)")
            response = json.loads(line)
            try:
                response[CAPTURES] = self._reader.take_fds(int(response.get("fds") or 0))
            except (ProtocolError, OSError) as error:
                self.broken = True
                raise SandboxError(f"box {self.name}: captured streams: {error}") from error
            if not response.get("ok"):
                if response.get("anomaly", True):
                    self.broken = True
                raise SandboxError(f"box {self.name}: {response.get('error')}")
            return response

    def cancel(self, tags) -> None:
        """See `Sandbox.cancel`. The message names the request in flight, so a cancel that
        crosses the end of that request is ignored by the supervisor rather than applied to the
        next one; it gets no answer (the run it aborts answers)."""
        with self._send_lock:
            if self._in_flight is None or self._socket is None or self.broken or not tags:
                return
            message = {"op": "cancel", "id": self._in_flight, "tags": sorted(tags)}
            try:
                self._socket.sendall(json.dumps(message).encode() + b"\n")
            except OSError:
                pass  # the thread waiting for the request sees the broken connection itself

    def run(self, request: RunRequest) -> RunResponse:
        # The supervisor enforces each wall limit and the wipe budget; this is only the guard
        # against a dead box.
        payload = self._scaled(request.model_dump(exclude_none=True))
        longest = max(p["limits"]["wall"] for p in payload["processes"]) + self.settings.scratch_wipe_seconds
        response = self.call(payload, timeout=longest * len(payload["processes"]) + 30)
        self.runs += 1
        captures = response.pop(CAPTURES)
        result = RunResponse.model_validate(self._unscaled(response)).attach(captures)
        self._retire_if_asked([result])
        return result

    def run_many(self, runs: list[dict], stop_on_failure: bool = True) -> RunManyResponse:
        """Run several requests back to back in one round trip. `runs` are RunRequest dicts,
        already validated by the caller (the hot path of many short tests skips re-validating
        one template per test)."""
        runs = [self._scaled(run) for run in runs]
        longest = sum(max(p["limits"]["wall"] for p in run["processes"]) + self.settings.scratch_wipe_seconds
                      for run in runs)
        response = self.call({"op": "run_many", "runs": runs, "stop_on_failure": stop_on_failure},
                             timeout=longest + 30)
        self.runs += len(response["results"])
        captures = response.pop(CAPTURES)
        response["results"] = [self._unscaled(result) for result in response["results"]]
        result = RunManyResponse.model_validate(response).attach(captures)
        self._retire_if_asked(result.results)
        return result

    def _retire_if_asked(self, results: list[RunResponse]) -> None:
        """The results stand, but the supervisor says the box is unfit for another run: once
        the caller is done with it, the pool replaces it."""
        for result in results:
            if result.retire:
                log.warning("box %s retired by its supervisor: %s", self.name, result.retire)
                self.broken = True

    def _scaled(self, run: dict) -> dict:
        """`run` with its CPU and wall limits multiplied by `time_scale` (a copy: callers reuse
        their request templates)."""
        scale = self.settings.time_scale
        if scale == 1:
            return run
        processes = [{**p, "limits": {**p["limits"], "cpu": p["limits"]["cpu"] * scale,
                                      "wall": p["limits"]["wall"] * scale}} for p in run["processes"]]
        return {**run, "processes": processes}

    def _unscaled(self, response: dict) -> dict:
        scale = self.settings.time_scale
        if scale != 1:
            for process in response["processes"]:
                process["cpu"] /= scale
                process["wall"] /= scale
        return response

    # -- the sandbox API (see base.py): files in and out ----------------------------------------

    def install(self, program: Path | str, name: str, key: str, trusted: bool = False) -> str:
        """Copy an executable into /box (a submission's) or /trusted (a task program's), unless
        the same content (`key`) is already installed under `name`. A box holds one submission's
        programs at a time: installing another one first removes the previous one's."""
        path = f"/trusted/{name}" if trusted else f"/box/{name}"
        if self.installed.get(path) == key:
            return path
        if not trusted and any(p.startswith("/box/") for p in self.installed):
            self.clear_submissions()
        staged = os.path.join(self._host, "xfer", f"{uuid.uuid4().hex}.{name}")
        shutil.copyfile(program, staged)
        try:
            self.call({"op": "install", "src": self._inside(staged), "name": name,
                       "dest": "trusted" if trusted else "box"}, timeout=30)
        finally:
            os.unlink(staged)
        self.installed[path] = key
        return path

    def clear_submissions(self) -> None:
        """Empty /box, so that the next submission cannot see the previous one's files."""
        self.call({"op": "clear", "dirs": ["box"]}, timeout=30)
        self.installed = {p: k for p, k in self.installed.items() if not p.startswith("/box/")}

    STAGE_LIMIT = 2 << 30  # bytes of cached inputs kept per box before the cache is emptied

    def put(self, source: Path | str | CapturedFile, *, cache: bool = True) -> str:
        """Make a host file readable in the box (mode 0644: trusted programs re-open it through
        /proc/self/fd). Cached copies (test inputs, answers) are made at most once per box,
        keyed by path, size and modification time; others are copied each time, to `discard`."""
        if not cache:
            dest = os.path.join(self._host, "xfer", uuid.uuid4().hex)
            if isinstance(source, CapturedFile):
                source.copy_to(dest)
            else:
                shutil.copyfile(source, dest)
            os.chmod(dest, 0o644)
            return self._inside(dest)
        info = os.stat(source)
        identity = (os.fspath(source), info.st_size, info.st_mtime_ns)
        key = self._stage_keys.get(identity)
        if key is None:
            key = hashlib.sha256("\0".join(map(str, identity)).encode()).hexdigest()[:32]
            if sum(self._staged.values()) + info.st_size > self.STAGE_LIMIT:
                for old in self._staged:
                    os.unlink(os.path.join(self._host, "in", old))
                self._staged.clear()
                self._stage_keys.clear()
            dest = os.path.join(self._host, "in", key)
            shutil.copyfile(source, dest + ".tmp")
            os.chmod(dest + ".tmp", 0o644)
            os.replace(dest + ".tmp", dest)
            self._staged[key] = info.st_size
            self._stage_keys[identity] = key
        return f"{IO_MOUNT}/in/{key}"

    def discard(self, inside: str) -> None:
        try:
            os.unlink(self._host_path(inside))
        except FileNotFoundError:
            pass

    def output(self) -> BoxFile:
        name = uuid.uuid4().hex
        return BoxFile(os.path.join(self._host, "out", name), f"{IO_MOUNT}/out/{name}")

    # -- paths ---------------------------------------------------------------------------------

    def _inside(self, host_path: str) -> str:
        """The path inside the box of a file in this box's I/O folder (a string operation:
        every such path is built from the folder's own path, so there is nothing to resolve)."""
        if not host_path.startswith(self._host + "/"):
            raise ValueError(f"{host_path} is not inside {self._host}")
        return IO_MOUNT + host_path[len(self._host):]

    def _host_path(self, inside: str) -> str:
        if not inside.startswith(IO_MOUNT + "/") or "/../" in inside:
            raise ValueError(f"{inside} is not a file of the box's I/O folder")
        return self._host + inside[len(IO_MOUNT):]

    def __repr__(self) -> str:
        return f"Box({self.name}, role={self.role}, runs={self.runs}{', broken' if self.broken else ''})"


def remove_box_cgroups(settings: SandboxSettings, name: str, host: CgroupHost) -> None:
    """Best effort: only a worker that sees the host's cgroup filesystem (`cgroup_root`) as
    root can remove cgroup directories. Removes the box's tree bottom-up (an empty cgroup
    directory is removed with rmdir, files and all), and on a systemd host stops the box's slice."""
    for box_dir in host.box_dirs(name, settings.cgroup_root):
        if not box_dir.is_dir():
            continue
        for path in sorted((p for p in box_dir.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            try:
                path.rmdir()
            except OSError:
                pass
        try:
            box_dir.rmdir()
        except OSError:
            pass
    if host.version == 2 and host.driver == "systemd" and shutil.which("systemctl") and os.path.isdir("/run/systemd/system"):
        # The slice unit systemd made for the box's parent would otherwise stay loaded (empty).
        subprocess.run(["systemctl", "stop", "--no-block", host.slice_name(name)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def remove_stale_boxes(client: docker.DockerClient, settings: SandboxSettings) -> int:
    """Remove boxes left behind by workers of this host that died (e.g. SIGKILL)."""
    removed = 0
    # The plain listing, not containers.list(): that one inspects each container in turn, and a
    # box that another worker of this host retires meanwhile makes the inspection fail (404).
    for listed in client.api.containers(all=True, filters={"label": LABEL_BOX}):
        labels = listed.get("Labels") or {}
        if owner_alive(labels.get(LABEL_OWNER, "")):
            continue
        name = labels.get(LABEL_BOX) or (listed.get("Names") or ["/"])[0].lstrip("/")
        try:
            client.api.remove_container(listed["Id"], force=True)
        except docker.errors.APIError:  # gone already (NotFound), or being removed by its owner
            continue
        shutil.rmtree(settings.boxes_dir / name, ignore_errors=True)
        remove_box_cgroups(settings, name, cgroup_host(client))
        removed += 1
    return removed
