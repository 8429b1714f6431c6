/*
 * spawner: starts sandboxed programs for one slot of a box, cheaply.
 *
 * The supervisor starts one spawner per slot and moves it into that slot's cgroups once.
 * For every process a run needs, the supervisor sends it one message on fd 3 (a
 * SOCK_SEQPACKET socket): the request's fields, NUL-separated, and the process's file
 * descriptors (SCM_RIGHTS). The spawner clones itself with CLONE_PARENT, so the new process
 *   - is born inside the slot's cgroups (no per-test cgroup migration, which costs a global
 *     RCU synchronisation on cgroup v1),
 *   - is the supervisor's own child (it waits for it and reads its rusage as before),
 * and the child lays out its fds, sets resource limits and default signal dispositions,
 * drops to the slot's unprivileged uid, installs the seccomp program, and execs. The reply
 * is the child's pid (or -errno). Exec failures are written to the request's error fd,
 * which is close-on-exec: it reads EOF when the exec succeeded.
 *
 * A user slot's spawner is started with --filter-self and the bulk of the untrusted processes'
 * seccomp filter on fd 4, which it loads on itself before serving: its clones inherit it, and
 * attaching a filter per process is what costs the kernel (it converts, JITs and emulates the
 * program for its syscall cache each time). Each child still loads the request's small program
 * (the refusal of clone3, which the spawner itself needs) before it execs.
 *
 * Message fields, in order: uid, cwd, keep (fds that become 0..keep-1), flags (bit 0: ignore
 * SIGPIPE, bit 1: a seccomp program fd follows the error fd, bit 2: a cgroup directory fd
 * comes last), rlimit count, "name=soft:hard" rlimits, argv count, argv..., then envp entries
 * to the end. File descriptors: the keep fds, the error fd, the seccomp program fd, the cgroup fd.
 *
 * On cgroup v1 the spawner lives in the slot's cgroups and its clones are born there; each
 * shares the spawner's memory until it execs (CLONE_VM | CLONE_VFORK), as posix_spawn's do. On v2
 * it lives in the supervisor's leaf and each request names the run's leaf: the child is born
 * in it with clone3(CLONE_INTO_CGROUP) (Linux 5.7+). Where clone3 or that flag is missing,
 * the child joins the leaf itself (writes 0 to its cgroup.procs) before it drops privileges,
 * i.e. before it runs anything of the request's; IOI_CGROUP_HIDE=clone_into_cgroup forces
 * that path for the tests.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define CONTROL_FD 3
#define SELF_FILTER_FD 4
#define MAX_MESSAGE (256 * 1024)
#define MAX_FDS 64
#define MAX_ITEMS 4096
#define FLAG_IGNORE_SIGPIPE 1
#define FLAG_SECCOMP 2
#define FLAG_CGROUP 4

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/* struct clone_args of <linux/sched.h> (5.7 layout), spelled out: that header clashes with glibc's. */
struct spawner_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static int clone_into_cgroup_works = 1;
/* Linux 5.9+. Without it a child closes its fds by listing /proc/self/fd with opendir, which
   mallocs: such a child must not share the spawner's heap (see clone_child). */
static int close_range_works = 0;

static int error_fd = -1;

static void fail(const char *format, ...) {
    char message[512];
    va_list args;
    va_start(args, format);
    int length = vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (length > (int)sizeof message - 1) length = sizeof message - 1;
    if (error_fd >= 0 && length > 0) {
        ssize_t ignored = write(error_fd, message, (size_t)length);
        (void)ignored;
    }
    _exit(127);
}

static void set_rlimit(const char *spec) {
    static const struct { const char *name; int resource; } names[] = {
        {"cpu", RLIMIT_CPU}, {"fsize", RLIMIT_FSIZE}, {"core", RLIMIT_CORE}, {"stack", RLIMIT_STACK},
        {"nofile", RLIMIT_NOFILE}, {"as", RLIMIT_AS}, {"nproc", RLIMIT_NPROC}, {"memlock", RLIMIT_MEMLOCK},
    };
    const char *equals = strchr(spec, '='), *colon = equals ? strchr(equals, ':') : NULL;
    if (!equals || !colon) fail("spawner: bad rlimit %s", spec);
    struct rlimit limit;
    limit.rlim_cur = strncmp(equals + 1, "inf", 3) == 0 ? RLIM_INFINITY : (rlim_t)strtoull(equals + 1, NULL, 10);
    limit.rlim_max = strcmp(colon + 1, "inf") == 0 ? RLIM_INFINITY : (rlim_t)strtoull(colon + 1, NULL, 10);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (strncmp(spec, names[i].name, (size_t)(equals - spec)) == 0 && names[i].name[equals - spec] == 0) {
            if (setrlimit(names[i].resource, &limit) != 0) fail("spawner: setrlimit %s: %s", spec, strerror(errno));
            return;
        }
    }
    fail("spawner: unknown rlimit %s", spec);
}

/* Close every fd >= first except the (at most two) listed ones. Where close_range works (probed
   once in main) that is all it uses, and a failure ends the child: a child that shares the
   spawner's memory must never reach the opendir below, which mallocs. */
static void close_fds_from(int first, int keep_a, int keep_b) {
    int keep[2] = {keep_a < keep_b ? keep_a : keep_b, keep_a < keep_b ? keep_b : keep_a};
#ifdef SYS_close_range
    if (close_range_works) {
        unsigned int low = (unsigned int)first;
        for (int k = 0; k < 2; k++) {
            if (keep[k] < first) continue;
            if ((unsigned int)keep[k] > low && syscall(SYS_close_range, low, (unsigned int)keep[k] - 1, 0) != 0)
                fail("spawner: close_range: %s", strerror(errno));
            low = (unsigned int)keep[k] + 1;
        }
        if (syscall(SYS_close_range, low, ~0U, 0) != 0) fail("spawner: close_range: %s", strerror(errno));
        return;
    }
#endif
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) fail("spawner: cannot list fds: %s", strerror(errno));
    int own = dirfd(dir);
    struct dirent *entry;
    int fds[4096], count = 0;
    while ((entry = readdir(dir)) != NULL && count < 4096) {
        if (entry->d_name[0] == '.') continue;
        int fd = atoi(entry->d_name);
        if (fd >= first && fd != own && fd != keep_a && fd != keep_b) fds[count++] = fd;
    }
    closedir(dir);
    for (int i = 0; i < count; i++) close(fds[i]);
}

/* Static, not malloc'ed: a child that shares the spawner's memory (CLONE_VM) loads it too, and
   one killed inside malloc would leave the spawner's heap inconsistent. */
static struct sock_filter seccomp_program[BPF_MAXINSNS];

static void load_seccomp(int fd) {
    struct stat info;
    if (fstat(fd, &info) != 0 || info.st_size <= 0 || info.st_size % sizeof(struct sock_filter) != 0
        || (size_t)info.st_size > sizeof seccomp_program)
        fail("spawner: bad seccomp program");
    if (pread(fd, seccomp_program, (size_t)info.st_size, 0) != info.st_size)
        fail("spawner: cannot read seccomp program");
    struct sock_fprog program = {.len = (unsigned short)(info.st_size / sizeof(struct sock_filter)),
                                 .filter = seccomp_program};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("spawner: no_new_privs: %s", strerror(errno));
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) fail("spawner: seccomp: %s", strerror(errno));
}

struct request {
    long uid, keep, flags;
    const char *cwd;
    const char *rlimits[16];
    int rlimit_count;
    char **argv;
    char **envp;
    int fds[MAX_FDS];
    int fd_count;
    int join_cgroup; /* set in the child when it was not cloned into its cgroup */
};

static void become(struct request *r);

/* The stack of a child that shares the spawner's memory until it execs. The spawner is
   suspended meanwhile (CLONE_VFORK), so every child can use the same one. */
static char child_stack[256 * 1024] __attribute__((aligned(16)));

static int run_child(void *request) {
    become(request);
    return 127;
}

/* A child of the supervisor (CLONE_PARENT), born in the request's cgroup when it names one. */
static pid_t clone_child(struct request *r) {
    if (!(r->flags & FLAG_CGROUP) && close_range_works) {
        /* Born in the spawner's own cgroups (v1). It shares the spawner's memory until it execs
           or exits, as posix_spawn's children do: no copy of the spawner's page tables, no
           copy-on-write faults before exec, and exec has no copied address space to tear down
           (~0.07 ms per run on a 2-core VM). It writes only the error_fd global, which is
           reset below, errno (read here only when the clone itself failed, when no child ran),
           the static seccomp buffer and its own stack; it never mallocs, since one killed
           inside malloc would leave the spawner's heap inconsistent. A request that
           names a cgroup keeps the plain clone: a child that joins its cgroup itself must not
           share an mm across cgroups. */
        pid_t pid = clone(run_child, child_stack + sizeof child_stack,
                          CLONE_VM | CLONE_VFORK | CLONE_PARENT | SIGCHLD, r);
        error_fd = -1;
        return pid;
    }
    if (clone_into_cgroup_works) {
        struct spawner_clone_args args;
        memset(&args, 0, sizeof args);
        args.flags = CLONE_PARENT | CLONE_INTO_CGROUP;
        args.exit_signal = SIGCHLD;
        args.cgroup = (uint64_t)r->fds[r->fd_count - 1];
        pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
        if (pid >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL)) return pid;
        clone_into_cgroup_works = 0; /* an older kernel: join from the child from now on */
    }
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
    if (pid == 0) r->join_cgroup = (r->flags & FLAG_CGROUP) != 0;
    return pid;
}

/* In the child: never returns. */
static void become(struct request *r) {
    int keep = (int)r->keep;
    int has_seccomp = (r->flags & FLAG_SECCOMP) != 0;
    int has_cgroup = (r->flags & FLAG_CGROUP) != 0;
    if (r->fd_count != keep + 1 + has_seccomp + has_cgroup) {
        error_fd = -1;
        _exit(126);
    }
    /* Move every received fd above any target number, then place them. */
    int high[MAX_FDS];
    for (int i = 0; i < r->fd_count; i++) {
        high[i] = fcntl(r->fds[i], F_DUPFD_CLOEXEC, 1024);
        if (high[i] < 0) _exit(126);
    }
    error_fd = high[keep];
    int seccomp_fd = has_seccomp ? high[keep + 1] : -1;
    if (has_cgroup && r->join_cgroup) {
        /* No CLONE_INTO_CGROUP: join the run's leaf before anything of the request runs. */
        int procs = openat(high[keep + 1 + has_seccomp], "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (procs < 0 || write(procs, "0", 1) != 1) fail("spawner: cannot join the run's cgroup: %s", strerror(errno));
        close(procs);
    }
    for (int target = 0; target < keep; target++)
        if (dup2(high[target], target) < 0) fail("spawner: dup2: %s", strerror(errno));
    close_fds_from(keep, error_fd, seccomp_fd);

    for (int i = 0; i < r->rlimit_count; i++) set_rlimit(r->rlimits[i]);
    /* Dispositions and the signal mask are already the defaults (reset once in main). */
    if (r->flags & FLAG_IGNORE_SIGPIPE) signal(SIGPIPE, SIG_IGN);
    if (setsid() < 0) fail("spawner: setsid: %s", strerror(errno));

    if (chdir(r->cwd) != 0) fail("spawner: chdir %s: %s", r->cwd, strerror(errno));
    /* Raw system calls: glibc's wrappers would broadcast to the threads it knows of, and this
       child may share the spawner's memory, glibc's thread list included. */
    if (syscall(SYS_setgroups, 0, NULL) != 0) fail("spawner: setgroups: %s", strerror(errno));
    if (syscall(SYS_setgid, (gid_t)r->uid) != 0 || syscall(SYS_setuid, (uid_t)r->uid) != 0)
        fail("spawner: cannot drop to uid %ld: %s", r->uid, strerror(errno));
    if (getuid() != (uid_t)r->uid || geteuid() != (uid_t)r->uid) fail("spawner: still privileged after setuid");
    if (seccomp_fd >= 0) load_seccomp(seccomp_fd);
    execve(r->argv[0], r->argv, r->envp);
    fail("spawner: cannot execute %s: %s", r->argv[0], strerror(errno));
}

static int parse(char *data, size_t size, struct request *r) {
    static char *items[MAX_ITEMS + 2];
    size_t count = 0;
    for (size_t at = 0; at < size && count < MAX_ITEMS;) {
        items[count++] = data + at;
        at += strnlen(data + at, size - at) + 1;
    }
    size_t i = 0;
    if (count < 6) return -1;
    r->uid = strtol(items[i++], NULL, 10);
    r->cwd = items[i++];
    r->keep = strtol(items[i++], NULL, 10);
    r->flags = strtol(items[i++], NULL, 10);
    long rlimits = strtol(items[i++], NULL, 10);
    if (rlimits < 0 || rlimits > 16 || i + (size_t)rlimits >= count) return -1;
    r->rlimit_count = (int)rlimits;
    for (long k = 0; k < rlimits; k++) r->rlimits[k] = items[i++];
    long argc = strtol(items[i++], NULL, 10);
    if (argc < 1 || i + (size_t)argc > count) return -1;
    r->argv = &items[i];
    i += (size_t)argc;
    /* argv ends where envp starts: terminate it in place by shifting envp one slot up. */
    size_t env_count = count - i;
    memmove(&items[i + 1], &items[i], env_count * sizeof *items);
    items[i] = NULL;
    r->envp = &items[i + 1];
    items[i + 1 + env_count] = NULL;
    if (r->uid <= 0 || r->keep < 0 || r->keep > MAX_FDS - 2) return -1;
    return 0;
}

int main(int argc, char **argv) {
    static char data[MAX_MESSAGE];
    if (argc > 1 && strcmp(argv[1], "--filter-self") == 0) {
        error_fd = 2; /* a failure ends the spawner: the supervisor sees its socket close */
        load_seccomp(SELF_FILTER_FD);
        close(SELF_FILTER_FD);
        error_fd = -1;
    }
    /* Children inherit dispositions and the mask: reset them here once, not in every child
       (the supervisor is Python, which ignores SIGPIPE and SIGXFSZ). */
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
#ifdef SYS_close_range
    close_range_works = syscall(SYS_close_range, ~0U - 1, ~0U, 0) == 0; /* a range with no open fd */
#endif
    const char *hidden = getenv("IOI_CGROUP_HIDE");
    if (hidden && strstr(hidden, "clone_into_cgroup")) clone_into_cgroup_works = 0;
    for (;;) {
        char control[CMSG_SPACE(sizeof(int) * MAX_FDS)];
        struct iovec io = {.iov_base = data, .iov_len = sizeof data - 1};
        struct msghdr message = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
        ssize_t size = recvmsg(CONTROL_FD, &message, MSG_CMSG_CLOEXEC);
        if (size <= 0) return 0; /* the supervisor is gone */
        data[size] = 0;
        struct request request;
        memset(&request, 0, sizeof request);
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                for (int k = 0; k < count && request.fd_count < MAX_FDS; k++)
                    memcpy(&request.fds[request.fd_count++], CMSG_DATA(c) + k * sizeof(int), sizeof(int));
            }
        }
        int32_t reply;
        if ((message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || parse(data, (size_t)size, &request) != 0) {
            reply = -EINVAL;
        } else {
            pid_t pid = clone_child(&request);
            if (pid == 0) become(&request);
            reply = pid < 0 ? -errno : pid;
        }
        for (int k = 0; k < request.fd_count; k++) close(request.fds[k]);
        if (send(CONTROL_FD, &reply, sizeof reply, MSG_NOSIGNAL) != sizeof reply) return 1;
    }
}
