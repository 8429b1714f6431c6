// Tries to create namespaces (a user namespace would give it every capability inside it):
// unshare(), clone() with CLONE_NEW* flags, clone3(). Docker's default seccomp profile refuses
// them, but the box may run under another profile: the sandbox's own filter must refuse them.
#include <csignal>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>
#include "common.h"
static char child_stack[1 << 16];
static int child(void*) { return 0; }
bool breach() {
    static int tried = 0, made = 0;
    if (tried++) return made > 0;
    const int flags[] = {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS,
                         CLONE_NEWCGROUP};
    for (int flag : flags) {
        pid_t pid = clone(child, child_stack + sizeof child_stack, flag | SIGCHLD, nullptr);
        if (pid > 0) {
            made++;
            waitpid(pid, nullptr, 0);
        }
        if (fork() == 0) _exit(unshare(flag) == 0 ? 0 : 1);
        int status = 0;
        wait(&status);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) made++;
        struct clone_args args = {};
        args.flags = (unsigned long long)flag;
        args.exit_signal = SIGCHLD;
        long pid3 = syscall(SYS_clone3, &args, sizeof args);
        if (pid3 == 0) _exit(0);
        if (pid3 > 0) {
            made++;
            waitpid((pid_t)pid3, nullptr, 0);
        }
    }
    return made > 0;
}
