"""Each optional extra, installed alone in a fresh virtualenv from the project's wheel: the
commands it provides start for real, and a command whose extra is missing says which extra to
install, in one line, without a traceback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from paths import EXAMPLES, REPO

pytestmark = pytest.mark.slow

MISSING = "needs the [{extra}] extra"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def venv_with(root: Path, wheel: Path, extra: str | None) -> Path:
    """A fresh venv holding the project with `extra` only; returns its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    target = f"{wheel}[{extra}]" if extra else str(wheel)
    subprocess.run([str(root / "bin" / "pip"), "install", "-q", target], check=True, timeout=900)
    return root / "bin"


@pytest.fixture(scope="module")
def venvs(tmp_path_factory) -> dict[str | None, Path]:
    """One fresh venv per extra (and one with none), built side by side from the project's wheel."""
    from concurrent.futures import ThreadPoolExecutor

    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)], check=True)
    wheel = next(out.glob("ioi_grader-*.whl"))
    extras = [None, "client", "server", "datasets"]
    with ThreadPoolExecutor(len(extras)) as pool:
        built = pool.map(lambda extra: venv_with(out / f"venv-{extra or 'bare'}", wheel, extra), extras)
        return dict(zip(extras, built))


def cli(bin_dir: Path, *args: str, timeout: float = 120, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The venv's `ioi-grader`, run outside the checkout (whose folders must not shadow the install)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    environment.update(env or {})
    environment["PATH"] = f"{bin_dir}:{environment.get('PATH', '')}"
    return subprocess.run([str(bin_dir / "ioi-grader"), *args], capture_output=True, text=True, timeout=timeout,
                          env=environment, cwd=cwd or bin_dir)


def assert_refused_for(result: subprocess.CompletedProcess, extra: str) -> None:
    assert result.returncode == 2, result.stderr
    assert MISSING.format(extra=extra) in result.stderr and f"ioi-grader[{extra}]" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_no_extra(venvs):
    bin_dir = venvs[None]
    assert cli(bin_dir, "plugins").returncode == 0
    assert cli(bin_dir, "grade", "--help").returncode == 0
    assert_refused_for(cli(bin_dir, "serve", "--port", str(free_port())), "server")
    assert_refused_for(cli(bin_dir, "worker", "--burst"), "server")
    assert_refused_for(cli(bin_dir, "submit", "x.cpp", "--problem", "aplusb"), "client")


def test_client_extra(tmp_path, venvs):
    bin_dir = venvs["client"]
    source = tmp_path / "a.cpp"
    source.write_text("int main() {}\n")
    nobody = f"http://127.0.0.1:{free_port()}"
    submitted = cli(bin_dir, "submit", str(source), "--problem", "aplusb", "--url", nobody, "--timeout", "5")
    assert submitted.returncode == 3 and "cannot reach the service" in submitted.stderr, submitted.stderr
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps({"key": "k1", "problem_id": "p", "subtask": "s", "compile": "OK",
                                   "generation_length": 1, "state": "done", "row": 0,
                                   "subtasks": [{"name": "s", "points": 10, "score": 10, "fraction": 1}]}) + "\n")
    simulated = cli(bin_dir, "simulate", str(results), "--json")
    assert simulated.returncode == 0 and json.loads(simulated.stdout)["p"]["score"] == 10
    assert_refused_for(cli(bin_dir, "serve", "--port", str(free_port())), "server")


@pytest.mark.docker
@pytest.mark.redis
def test_server_extra(tmp_path, venvs):
    bin_dir = venvs["server"]
    port = free_port()
    redis = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL)
    api_port = free_port()
    api = None
    try:
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        api = subprocess.Popen([str(bin_dir / "ioi-grader"), "api", "--port", str(api_port), "--redis-url",
                                f"redis://127.0.0.1:{port}/0", "--problems", str(EXAMPLES)], env=env, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline, body = time.monotonic() + 60, None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/v1/languages", timeout=2) as answer:
                    body = json.load(answer)
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert body is not None, "the API did not start"
        assert {"cpp17", "python", "pypy3"} <= {lang["name"] for lang in body}
        # A worker starts its sandboxes, finds the queue empty, and exits cleanly.
        state = Path(tmp_path / "state")
        worker = cli(bin_dir, "worker", "--burst", "--boxes", "1", "--redis-url", f"redis://127.0.0.1:{port}/0",
                     "--problems", str(EXAMPLES), timeout=600, env={"IOI_GRADER_STATE_DIR": str(state)})
        assert worker.returncode == 0, worker.stderr[-2000:]
        assert_refused_for(cli(bin_dir, "submit", "x.cpp", "--problem", "aplusb"), "client")
    finally:
        for process in (api, redis):
            if process is not None:
                process.terminate()
                process.wait(30)


def test_datasets_extra(tmp_path, venvs):
    bin_dir = venvs["datasets"]
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"problem_id": "aplusb", "code": "int main() {}"}) + "\n")
    loaded = subprocess.run([str(bin_dir / "python"), "-c", "import datasets, ioi_grader.problems.openr1 as m; "
                             "print(m.load_openr1.__name__)"], capture_output=True, text=True, cwd=tmp_path)
    assert loaded.returncode == 0 and "load_openr1" in loaded.stdout, loaded.stderr
    assert_refused_for(cli(bin_dir, "batch", str(rows), "--out", str(tmp_path / "out.jsonl")), "client")
