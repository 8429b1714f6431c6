"""Test hosts on this machine: network namespaces joined by veth links to one bridge, for the
multi-host test and benchmark (root only).

Each host is a network namespace with its own address on a private /24 of 198.18.0.0/15 (the
range set aside for benchmarking networks); the bridge lives in a namespace of its own, and the
root namespace joins it as the *operator* (where the test or benchmark runs), so everything it
sends goes over TCP to the hosts' addresses. Processes enter a host with `nsenter --net`, which
switches only the network: the hosts still share this machine's Docker engine, and nothing else
is passed between them. A host is killed by SIGKILLing every process in its namespace.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

NETNS_DIR = Path("/run/netns")


class NetworkUnavailable(RuntimeError):
    """Namespaces cannot be made here (not root, no `ip`/`nsenter`)."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def _free_subnet() -> str:
    routes = _ip("-4", "route", "show", "table", "all", check=False).stdout + _ip("-4", "addr", check=False).stdout
    for _ in range(64):
        third = 1 + secrets.randbelow(254)
        prefix = f"198.18.{third}."
        if prefix not in routes:
            return prefix
    raise NetworkUnavailable("no free /24 in 198.18.0.0/16 for the test network")


@dataclass
class Host:
    network: TestNetwork
    name: str
    namespace: str
    address: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    def popen(self, command: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start `command` on this host (its own process group), output to `log`."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            process = subprocess.Popen(["nsenter", f"--net={NETNS_DIR / self.namespace}", "--", *command],
                                       stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.processes.append(process)
        return process

    def run(self, command: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(["nsenter", f"--net={NETNS_DIR / self.namespace}", "--", *command],
                              capture_output=True, text=True, timeout=timeout)

    def pids(self) -> list[int]:
        listed = _ip("netns", "pids", self.namespace, check=False).stdout.split()
        return [int(pid) for pid in listed if pid.isdigit()]

    def kill(self) -> int:
        """The host dies: SIGKILL every process in its namespace, at once."""
        killed = 0
        for _ in range(5):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                pass
        return killed

    def stop(self, timeout: float = 30) -> None:
        """A clean shutdown: SIGTERM the processes started here, SIGKILL what remains."""
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        self.kill()


class TestNetwork:
    """A private LAN of network namespaces; use as a context manager."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        if os.geteuid() != 0:
            raise NetworkUnavailable("network namespaces need root")
        for tool in ("ip", "nsenter"):
            if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
                raise NetworkUnavailable(f"{tool} is not installed (iproute2 / util-linux)")
        self.tag = "ig" + secrets.token_hex(3)  # interface names have at most 15 characters
        self.prefix = _free_subnet()
        self.switch = f"{self.tag}-sw"
        self.hosts: dict[str, Host] = {}
        self._serial = 10
        self._operator_link = f"{self.tag}op"
        self.operator_address = self.prefix + "1"
        self._started = False

    def start(self) -> TestNetwork:
        _ip("netns", "add", self.switch)
        self._started = True
        sw = ["-n", self.switch]
        _ip(*sw, "link", "add", "br0", "type", "bridge")
        _ip(*sw, "link", "set", "br0", "up")
        _ip(*sw, "link", "set", "lo", "up")
        # The operator (this root namespace) joins the LAN through its own veth.
        _ip("link", "add", self._operator_link, "type", "veth", "peer", "name", f"{self.tag}os")
        _ip("link", "set", f"{self.tag}os", "netns", self.switch)
        _ip(*sw, "link", "set", f"{self.tag}os", "master", "br0")
        _ip(*sw, "link", "set", f"{self.tag}os", "up")
        _ip("addr", "add", f"{self.operator_address}/24", "dev", self._operator_link)
        _ip("link", "set", self._operator_link, "up")
        return self

    def add_host(self, name: str) -> Host:
        if name in self.hosts:
            raise ValueError(f"host {name} exists")
        self._serial += 1
        namespace = f"{self.tag}-{name}"
        address = f"{self.prefix}{self._serial}"
        side = f"{self.tag}{self._serial}"
        _ip("netns", "add", namespace)
        _ip("link", "add", f"{side}h", "type", "veth", "peer", "name", f"{side}s")
        _ip("link", "set", f"{side}s", "netns", self.switch)
        _ip("-n", self.switch, "link", "set", f"{side}s", "master", "br0")
        _ip("-n", self.switch, "link", "set", f"{side}s", "up")
        _ip("link", "set", f"{side}h", "netns", namespace)
        _ip("-n", namespace, "link", "set", f"{side}h", "name", "eth0")
        _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", namespace, "link", "set", "eth0", "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        host = Host(self, name, namespace, address)
        self.hosts[name] = host
        return host

    def close(self) -> None:
        for host in self.hosts.values():
            host.stop(timeout=10)
            _ip("netns", "del", host.namespace, check=False)
        self.hosts.clear()
        if self._started:
            _ip("link", "del", self._operator_link, check=False)
            _ip("netns", "del", self.switch, check=False)
            self._started = False

    def __enter__(self) -> TestNetwork:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc) -> None:
        self.close()
