"""What a run can leave for the next one, and what it can create, checked in the real sandbox
(issue 9): every writable place it can reach is its own scratch (wiped after it) or holds
nothing past the process's life; it has no sockets at all; it cannot make namespaces, whatever
seccomp profile the engine applies, while threads and fork keep working; its stdout is
measured against the bounds a checker relies on."""

from __future__ import annotations

import json

import pytest
from ioi_grader.sandbox import SandboxPool, SandboxSettings
from ioi_grader.sandbox.protocol import Limits, ProcessSpec, RunRequest, Stream, user_slot
from support import install_static_program
from test_supervisor import py, run, sh

pytestmark = pytest.mark.docker

MIB = 1 << 20


@pytest.fixture
def box(sandbox_pool):
    with sandbox_pool.run_box() as box:
        yield box


# Walks every mount of the run's mount table and lists the directories and regular files the
# run's uid may write. /proc/<pid> (its own process, gone with it) is skipped.
WRITABLE_PLACES = r"""
import json, os
mounts = sorted({line.split()[4] for line in open('/proc/self/mountinfo')})
found = set()
def visit(path):
    try:
        info = os.lstat(path)
    except OSError:
        return
    import stat
    if (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)) and os.access(path, os.W_OK):
        found.add(path)
for mount in mounts + [os.getcwd()]:  # its own scratch sits in a directory it cannot list
    top = os.stat(mount).st_dev
    for root, dirs, files in os.walk(mount):
        if root == '/proc':
            dirs[:] = [d for d in dirs if not d.isdigit() and d not in ('self', 'thread-self')]
        dirs[:] = [d for d in dirs if os.lstat(os.path.join(root, d)).st_dev == top
                   or os.path.join(root, d) in mounts]
        visit(root)
        for name in files:
            visit(os.path.join(root, name))
print(json.dumps(sorted(found)))
"""
# Writable and reachable, but nothing written there outlives the writer: a PSI trigger
# lives as long as the open file that registered it.
EPHEMERAL = {"/proc/pressure/cpu", "/proc/pressure/io", "/proc/pressure/memory"}


def test_the_only_lasting_place_a_run_can_write_is_its_scratch(box):
    response, out, err = run(box, py(WRITABLE_PLACES), cpu=10)
    assert response.processes[0].ok, err
    writable = set(json.loads(out))
    assert "/scratch/u0" in writable
    assert writable - EPHEMERAL == {"/scratch/u0"}


def test_no_message_queue_survives_a_run(box):
    # mq_open is refused by the seccomp filter; the filesystem behind it must be unwritable too.
    _, out, _ = run(box, sh("touch /dev/mqueue/carried 2>/dev/null && echo created; ls -A /dev/mqueue"))
    assert out.split() == []
    _, out, _ = run(box, sh("ls -A /dev/mqueue; ls -A /dev/shm 2>/dev/null"))
    assert out.split() == []


def test_no_sockets_at_all_not_even_a_socketpair(box):
    # A datagram socketpair bound to an abstract name is a channel to any process of the box's
    # network namespace (the other slots of a Communication run, a later test's survivor).
    code = "import socket\n" \
           "for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):\n" \
           "    try:\n        a, b = socket.socketpair(socket.AF_UNIX, kind); a.bind(b'\\0ioi-carried'); print('bound')\n" \
           "    except OSError as e: print('refused', e.errno)"
    _, out, _ = run(box, py(code))
    assert out.split() == ["refused", "1", "refused", "1"]


# Creates namespaces three ways and runs ordinary threads and a fork; prints one word per probe.
PROCESSES = r"""
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <linux/sched.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>
static char stack[1 << 16];
static int child(void*) { return 0; }
int main() {
    int made = 0;
    for (int flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS,
                     CLONE_NEWCGROUP}) {
        pid_t pid = clone(child, stack + sizeof stack, flag | SIGCHLD, nullptr);
        if (pid > 0) made++, waitpid(pid, nullptr, 0);
        if (unshare(flag) == 0) made++;
    }
    struct clone_args args = {};
    args.flags = CLONE_NEWUSER;
    args.exit_signal = SIGCHLD;
    long pid3 = syscall(SYS_clone3, &args, sizeof args);
    if (pid3 == 0) _exit(0);
    if (pid3 > 0) made++, waitpid((pid_t)pid3, nullptr, 0);
    printf("namespaces=%d clone3=%s\n", made, pid3 < 0 && errno == ENOSYS ? "ENOSYS" : "other");
    long total = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; i++) threads.emplace_back([&total, i] { __atomic_add_fetch(&total, i + 1, 0); });
    for (auto& thread : threads) thread.join();
    pid_t pid = fork();
    if (pid == 0) _exit(7);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("threads=%ld fork=%d\n", total, WEXITSTATUS(status));
}
"""


def check_namespaces_refused(box, tmp_path):
    program = install_static_program(box, PROCESSES, tmp_path, "processes")
    response, out, err = run(box, [program])
    assert response.processes[0].ok, err
    assert out.split() == ["namespaces=0", "clone3=ENOSYS", "threads=10", "fork=7"]
    box.clear_submissions()


def test_namespaces_are_refused_and_threads_and_fork_work(box, tmp_path):
    check_namespaces_refused(box, tmp_path)


def test_namespaces_are_refused_under_an_unconfined_engine_profile(state_dir, tmp_path):
    # Users run the engine with other seccomp profiles: ours must refuse namespaces by itself.
    settings = SandboxSettings(state_dir=state_dir, run_boxes=1, seccomp_profile="unconfined")
    with SandboxPool(settings) as pool, pool.run_box() as box:
        check_namespaces_refused(box, tmp_path)


def run_printing(box, script: str, **limits):
    out = box.output()
    spec = ProcessSpec(slot=user_slot(0), argv=py(script), stdout=Stream(file=out.inside, write=True),
                       limits=Limits(cpu=5, wall=11, memory=256 * MIB, fsize=64 * MIB, **limits))
    try:
        return box.run(RunRequest(processes=[spec])).processes[0]
    finally:
        out.unlink()


def test_stdout_is_held_to_the_line_and_token_bounds(box):
    long_line = "import sys\nsys.stdout.write('x' * 5000 + '\\n' + 'y ' * 10)"
    result = run_printing(box, long_line, max_line=4096, max_tokens=100)
    assert result.output_exceeded and result.output_limit_reason == "Output has a line longer than 4096 bytes"
    result = run_printing(box, long_line, max_line=8192, max_tokens=5)
    assert result.output_exceeded and result.output_limit_reason == "Output has more than 5 tokens"
    result = run_printing(box, long_line, max_line=8192, max_tokens=11)
    assert result.ok and result.output_limit_reason is None
    # A line split across the chunks the supervisor reads is still one line: 3 MiB + a newline.
    result = run_printing(box, "import sys\nsys.stdout.write('z' * (3 << 20) + '\\n')", max_line=2 << 20)
    assert result.output_exceeded and "line longer" in result.output_limit_reason
    result = run_printing(box, "import sys\nsys.stdout.write(('z' * 1000 + '\\n') * 4000)", max_line=1000)
    assert result.ok


def test_default_bounds_let_real_outputs_through(box):
    # Two million numbers on one line (~20 MB): what a real task may print.
    result = run_printing(box, "import sys\nsys.stdout.write(' '.join(['1234567890'] * 2000000) + '\\n')")
    assert result.ok and result.output_limit_reason is None
