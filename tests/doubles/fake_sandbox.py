"""TEST DOUBLE: a sandbox made of plain host processes, with NO isolation.

`FakeSandbox` implements the sandbox API (`ioi_grader.sandbox.base.Sandbox`) by running each
requested process directly on the host, in a scratch folder of its own, so that task types,
checker conventions, scoring and the grader's orchestration get fast unit tests without
Docker. It enforces only what plain processes can: CPU time and file size by rlimits, wall
time by a timer. It does not enforce memory (it reports the peak resident size, polled), does not
change uid, filter syscalls or hide any file. It lives under tests/ only and never serves a
user path; the real sandbox is `ioi_grader.sandbox.box.Box`, tested through Docker.
"""

from __future__ import annotations

import fcntl
import math
import os
import queue
import shutil
import signal
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from ioi_grader.sandbox.base import BoxFile, CapturedFile
from ioi_grader.sandbox.image import wire
from ioi_grader.sandbox.protocol import RunManyResponse, RunRequest, RunResponse

REPO = Path(__file__).resolve().parents[2]
# testlib.h lives at /usr/local/include in the image; on the host, the vendored copy.
INCLUDE_PATH = str(REPO / "sandbox" / "image")
HOST_PATH = "/usr/local/bin:/usr/bin:/bin"
CAPTURES = "captures"  # where a run's captured files wait to be attached to its response


class FakeSandbox:
    """One 'box': a folder on the host. Inside paths are host paths."""

    def __init__(self, root: Path, role: str):
        self.role = role
        self.root = Path(root)
        for sub in ("in", "out", "xfer", "box", "trusted", *(f"scratch/{slot}" for slot in wire.SLOTS)):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.installed: dict[str, str] = {}
        self.runs = 0
        self._cancel_lock = threading.Lock()
        self._in_flight = False
        self._cancelled: set[str] = set()

    # -- files -------------------------------------------------------------------------------------

    def put(self, source, *, cache: bool = True) -> str:
        dest = self.root / ("in" if cache else "xfer") / uuid.uuid4().hex
        if isinstance(source, CapturedFile):
            source.copy_to(dest)
        else:
            shutil.copyfile(source, dest)
        return str(dest)

    def discard(self, inside: str) -> None:
        Path(inside).unlink(missing_ok=True)

    def output(self) -> BoxFile:
        path = str(self.root / "out" / uuid.uuid4().hex)
        return BoxFile(path, path)

    def install(self, program, name: str, key: str, trusted: bool = False) -> str:
        path = self.root / ("trusted" if trusted else "box") / name
        if self.installed.get(str(path)) == key:
            return str(path)
        shutil.copyfile(program, path)
        os.chmod(path, 0o755)
        self.installed[str(path)] = key
        return str(path)

    def clear_submissions(self) -> None:
        for entry in (self.root / "box").iterdir():
            entry.unlink()
        self.installed = {p: k for p, k in self.installed.items() if "/box/" not in p}

    # -- runs --------------------------------------------------------------------------------------

    def run(self, request: RunRequest) -> RunResponse:
        with self._request():
            result = self._run(request.model_dump(exclude_none=True))
        captures = result.pop(CAPTURES)
        return RunResponse.model_validate(result).attach(captures)

    def run_many(self, runs: list[dict], stop_on_failure: bool = True) -> RunManyResponse:
        results, captures = [], []
        with self._request():
            for run in runs:
                results.append(self._run(run))
                captures += results[-1].pop(CAPTURES)
                if (stop_on_failure and not results[-1]["cancelled"]
                        and not all(wire.ran_cleanly(p) for p in results[-1]["processes"])):
                    break
        return RunManyResponse.model_validate({"results": results, "fds": len(captures)}).attach(captures)

    def cancel(self, tags) -> None:
        """As the real box: abort the tagged runs of the request in flight, from any thread."""
        with self._cancel_lock:
            if self._in_flight:
                self._cancelled.update(tags)

    @contextmanager
    def _request(self):
        with self._cancel_lock:
            self._in_flight, self._cancelled = True, set()
        try:
            yield
        finally:
            with self._cancel_lock:
                self._in_flight = False

    def _is_cancelled(self, tag) -> bool:
        with self._cancel_lock:
            return tag is not None and tag in self._cancelled

    def _scratch(self, slot: str) -> Path:
        return self.root / "scratch" / slot

    def _run(self, request: dict) -> dict:
        tag = request.get("tag")
        if self._is_cancelled(tag):
            return {"processes": [], "collected": [], "leftover_processes": 0, "cancelled": True, "fds": 0,
                    CAPTURES: []}
        self.runs += 1
        for slot, files in (request.get("files") or {}).items():
            for item in files:
                dest = self._scratch(slot) / item["name"]
                if "content" in item:
                    dest.write_text(item["content"])
                else:
                    shutil.copyfile(item["src"], dest)
        pipes = {name: os.pipe() for name in request.get("pipes", [])}
        processes = []
        try:
            for spec in request["processes"]:
                processes.append(_Process(spec, self._scratch(spec["slot"]), pipes))
        finally:
            for read_end, write_end in pipes.values():
                os.close(read_end)
                os.close(write_end)
        cancelled = lambda: self._is_cancelled(tag)  # noqa: E731
        for process in processes:
            process.wait(cancelled)
        results = [process.result() for process in processes]
        collected = []
        for item in request.get("collect", []):
            source = self._scratch(item["slot"]) / item["name"]
            if source.is_file() and not source.is_symlink() and source.stat().st_size <= item.get(
                    "max_bytes", wire.COLLECT_MAX_BYTES):
                shutil.copyfile(source, item["dest"])
                collected.append({"name": item["name"], "ok": True, "size": source.stat().st_size})
            else:
                collected.append({"name": item["name"], "ok": False, "error": "missing or too large"})
        for process in processes:
            shutil.rmtree(process.cwd)
            process.cwd.mkdir()
        was_cancelled = any(process.cancelled for process in processes)
        captures = []
        for process, result in zip(processes, results):
            result["captured"] = {}
            for stream, fd in process.captured.items():
                result["captured"][stream] = len(captures)
                captures.append(CapturedFile(fd))
        return {"processes": results, "collected": collected, "leftover_processes": 0, "cancelled": was_cancelled,
                "fds": len(captures), CAPTURES: captures}


def _sleeping(pid: int) -> bool:
    """Whether the process tree started as `pid` (prlimit, env, then the program: each execs the
    next, so it is one process) is asleep, as the real supervisor reports it."""
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] in (b"S", b"D")
    except (OSError, IndexError):
        return False


def _resident_high_water(pid: int) -> int:
    """VmHWM of a running process, in bytes. Not ru_maxrss: for a spawned child that figure
    includes the resident size of the forking test process itself, recorded at exec."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class _Process:
    """One process of a run: started at once, waited for with its wall-clock guard."""

    def __init__(self, spec: dict, cwd: Path, pipes: dict[str, tuple[int, int]]):
        self.spec = spec
        self.cwd = cwd
        limits = spec["limits"]
        self.cpu_limit = float(limits["cpu"])
        self.wall_limit = float(limits["wall"])
        self.fsize = int(limits.get("fsize", wire.DEFAULT_FSIZE))
        self.exec_error = None
        self.status = None
        self.rusage = None
        self.peak_rss = 0
        self.killed_for_wall = False
        self.idle = False
        self.cancelled = False
        self.captured: dict[str, int] = {}  # stream name -> our descriptor of its memfd
        opened = [self._open(spec.get("stdin"), "r", pipes), self._open(spec.get("stdout"), "w", pipes, "stdout"),
                  self._open(spec.get("stderr"), "w", pipes, "stderr")]
        opened += [self._open(extra, extra.get("end", "r"), pipes) for extra in spec.get("fds", [])]
        # Move every fd above the targets first, so that no dup2 overwrites a source.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in opened]
        for fd in opened:
            os.close(fd)
        cpu = int(math.ceil(self.cpu_limit))
        argv = ["/usr/bin/prlimit", f"--cpu={cpu}:{cpu + 1}", f"--fsize={self.fsize}", "--core=0", "--",
                "/usr/bin/env", "-C", str(cwd), "--", *spec["argv"]]
        env = {"PATH": HOST_PATH, "LANG": "C.UTF-8", "HOME": str(cwd), "TMPDIR": str(cwd),
               "CPLUS_INCLUDE_PATH": INCLUDE_PATH, **spec.get("env", {})}
        reset = [signal.SIGXFSZ] + ([] if spec.get("ignore_sigpipe") else [signal.SIGPIPE])
        self.start = time.monotonic()
        try:
            self.pid = os.posix_spawn(argv[0], argv, env, setsid=True, setsigdef=reset,
                                      file_actions=[(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(high)])
        except OSError as error:
            self.pid = -1
            self.exec_error = str(error)
        finally:
            for fd in high:
                os.close(fd)
        self.end = self.start

    def _open(self, stream: dict | None, default_end: str, pipes: dict[str, tuple[int, int]],
              name: str | None = None) -> int:
        if stream is None:
            return os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
        if stream.get("capture"):
            if name is None:
                raise ValueError(f"only stdout and stderr can be captured, not {stream!r}")
            fd = os.memfd_create(name, os.MFD_CLOEXEC)
            self.captured[name] = os.dup(fd)
            return fd
        if "pipe" in stream:
            read_end, write_end = pipes[stream["pipe"]]
            return os.dup(read_end if stream.get("end", default_end) == "r" else write_end)
        if stream.get("write", default_end == "w"):
            return os.open(stream["file"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        return os.open(stream["file"], os.O_RDONLY | os.O_CLOEXEC)

    def wait(self, cancelled=lambda: False) -> None:
        if self.pid < 0:
            return
        while True:
            pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self.status, self.rusage, self.end = status, rusage, time.monotonic()
                break
            self.peak_rss = max(self.peak_rss, _resident_high_water(self.pid))
            over_wall = time.monotonic() - self.start > self.wall_limit
            if over_wall or (not self.cancelled and cancelled()):
                if over_wall:
                    if not self.killed_for_wall:
                        self.idle = _sleeping(self.pid)
                    self.killed_for_wall = True
                else:
                    self.cancelled = True
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.002)
        try:
            os.killpg(self.pid, signal.SIGKILL)  # whatever it left behind
        except ProcessLookupError:
            pass

    def result(self) -> dict:
        status = self.status
        exit_code = os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else None
        signum = os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else None
        cpu = (self.rusage.ru_utime + self.rusage.ru_stime) if self.rusage else 0.0
        if exit_code == 127 and self.rusage is not None and cpu < 0.01 and not Path(self.spec["argv"][0]).exists():
            self.exec_error = f"cannot execute {self.spec['argv'][0]}"
        return {
            "slot": self.spec["slot"], "exit_code": exit_code, "signal": signum, "cpu": round(cpu, 6),
            "wall": round(self.end - self.start, 6), "memory": self.peak_rss,
            "oom_killed": False,
            "cpu_exceeded": (not self.cancelled and cpu > self.cpu_limit) or signum == signal.SIGXCPU,
            "wall_exceeded": self.killed_for_wall, "idle": self.idle, "output_exceeded": signum == signal.SIGXFSZ,
            "exec_error": self.exec_error,
        }


class FakePool:
    """TEST DOUBLE of `SandboxPool`: `size` run boxes and one judge box, all FakeSandboxes."""

    def __init__(self, root: Path, size: int = 2):
        self.root = Path(root)
        self.size = size
        self.settings = SimpleNamespace(state_dir=self.root, cache_dir=self.root / "cache")
        self.recycled = 0
        self._idle: queue.Queue[FakeSandbox] = queue.Queue()
        for index in range(size):
            self._idle.put(FakeSandbox(self.root / f"run{index}", "run"))
        self._judge = FakeSandbox(self.root / "judge", "judge")
        self._judge_lock = threading.Lock()

    def image_id(self) -> str:
        return "host-toolchain (test double)"

    @contextmanager
    def run_box(self):
        box = self._idle.get()
        try:
            yield box
        finally:
            self._idle.put(box)

    @contextmanager
    def judge_box(self):
        with self._judge_lock:
            yield self._judge
