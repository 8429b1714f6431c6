/*
 * launch: the last step between the supervisor and a sandboxed program.
 *
 * The supervisor (Python) starts this helper with posix_spawn (cheap: no copy of the
 * supervisor's address space), with the program's fds already at 0, 1, 2, 3...; the helper
 * then, as root and in this order:
 *   1. joins the slot's cgroups (so that only what follows is accounted to the test),
 *   2. sets resource limits and default signal dispositions, closes every other fd,
 *   3. changes to the scratch directory and drops to the slot's unprivileged uid,
 *   4. installs the seccomp filter the supervisor compiled once (a BPF program in an fd),
 *   5. execs the program.
 * Any failure is reported on --error-fd (close-on-exec, so it reads EOF on success).
 *
 * usage: launch --uid U --cwd DIR --keep N [--cgroup PROCS_FILE]... [--rlimit NAME=SOFT:HARD]...
 *               [--seccomp-fd FD] [--error-fd FD] [--ignore-sigpipe] -- PROGRAM [ARG]...
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

static long parse_long(const char *text, const char *what) {
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || *end) fail("launch: bad %s %s", what, text);
    return value;
}

static void join_cgroup(const char *procs_file) {
    char pid[32];
    int length = snprintf(pid, sizeof pid, "%d", (int)getpid());
    int fd = open(procs_file, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, pid, (size_t)length) != length) fail("launch: cannot join cgroup %s: %s", procs_file, strerror(errno));
    close(fd);
}

static void set_rlimit(const char *spec) {
    static const struct { const char *name; int resource; } names[] = {
        {"cpu", RLIMIT_CPU}, {"fsize", RLIMIT_FSIZE}, {"core", RLIMIT_CORE}, {"stack", RLIMIT_STACK},
        {"nofile", RLIMIT_NOFILE}, {"as", RLIMIT_AS}, {"nproc", RLIMIT_NPROC}, {"memlock", RLIMIT_MEMLOCK},
    };
    const char *equals = strchr(spec, '='), *colon = equals ? strchr(equals, ':') : NULL;
    if (!equals || !colon) fail("launch: bad rlimit %s", spec);
    struct rlimit limit;
    limit.rlim_cur = strncmp(equals + 1, "inf", 3) == 0 ? RLIM_INFINITY : (rlim_t)strtoull(equals + 1, NULL, 10);
    limit.rlim_max = strcmp(colon + 1, "inf") == 0 ? RLIM_INFINITY : (rlim_t)strtoull(colon + 1, NULL, 10);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (strncmp(spec, names[i].name, (size_t)(equals - spec)) == 0 && names[i].name[equals - spec] == 0) {
            if (setrlimit(names[i].resource, &limit) != 0) fail("launch: setrlimit %s: %s", spec, strerror(errno));
            return;
        }
    }
    fail("launch: unknown rlimit %s", spec);
}

/* Close every fd >= first except the (at most two) listed ones. */
static void close_fds_from(int first, int keep_a, int keep_b) {
    int keep[2] = {keep_a < keep_b ? keep_a : keep_b, keep_a < keep_b ? keep_b : keep_a};
    unsigned int low = (unsigned int)first;
    int ok = 1;
#ifdef SYS_close_range
    for (int k = 0; k < 2 && ok; k++) {
        if (keep[k] < first) continue;
        if ((unsigned int)keep[k] > low) ok = syscall(SYS_close_range, low, (unsigned int)keep[k] - 1, 0) == 0;
        low = (unsigned int)keep[k] + 1;
    }
    if (ok && syscall(SYS_close_range, low, ~0U, 0) == 0) return;
#endif
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) fail("launch: cannot list fds: %s", strerror(errno));
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

static void load_seccomp(int fd) {
    struct stat info;
    if (fstat(fd, &info) != 0 || info.st_size <= 0 || info.st_size % sizeof(struct sock_filter) != 0)
        fail("launch: bad seccomp program");
    struct sock_filter *filter = malloc((size_t)info.st_size);
    if (!filter || pread(fd, filter, (size_t)info.st_size, 0) != info.st_size) fail("launch: cannot read seccomp program");
    struct sock_fprog program = {.len = (unsigned short)(info.st_size / sizeof(struct sock_filter)), .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("launch: no_new_privs: %s", strerror(errno));
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) fail("launch: seccomp: %s", strerror(errno));
    free(filter);
}

int main(int argc, char **argv) {
    long uid = -1, keep = 3;
    int seccomp_fd = -1, ignore_sigpipe = 0, i;
    const char *cwd = NULL;
    const char *cgroups[16];
    const char *rlimits[16];
    int cgroup_count = 0, rlimit_count = 0;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) { i++; break; }
        if (i + 1 >= argc && strcmp(arg, "--ignore-sigpipe") != 0) fail("launch: %s needs a value", arg);
        if (strcmp(arg, "--uid") == 0) uid = parse_long(argv[++i], "uid");
        else if (strcmp(arg, "--cwd") == 0) cwd = argv[++i];
        else if (strcmp(arg, "--keep") == 0) keep = parse_long(argv[++i], "fd count");
        else if (strcmp(arg, "--cgroup") == 0 && cgroup_count < 16) cgroups[cgroup_count++] = argv[++i];
        else if (strcmp(arg, "--rlimit") == 0 && rlimit_count < 16) rlimits[rlimit_count++] = argv[++i];
        else if (strcmp(arg, "--seccomp-fd") == 0) seccomp_fd = (int)parse_long(argv[++i], "fd");
        else if (strcmp(arg, "--error-fd") == 0) error_fd = (int)parse_long(argv[++i], "fd");
        else if (strcmp(arg, "--ignore-sigpipe") == 0) ignore_sigpipe = 1;
        else fail("launch: unknown option %s", arg);
    }
    if (error_fd >= 0) fcntl(error_fd, F_SETFD, FD_CLOEXEC);
    if (i >= argc || uid <= 0 || !cwd) fail("launch: usage: launch --uid U --cwd DIR [...] -- PROGRAM [ARG]...");

    for (int c = 0; c < cgroup_count; c++) join_cgroup(cgroups[c]);
    for (int r = 0; r < rlimit_count; r++) set_rlimit(rlimits[r]);

    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
    if (ignore_sigpipe) signal(SIGPIPE, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (seccomp_fd >= 0 && seccomp_fd < keep) fail("launch: seccomp fd must not be one of the kept fds");
    if (error_fd >= 0 && error_fd < keep) fail("launch: error fd must not be one of the kept fds");
    if (seccomp_fd >= 0) fcntl(seccomp_fd, F_SETFD, FD_CLOEXEC);
    close_fds_from((int)keep, error_fd, seccomp_fd);

    if (chdir(cwd) != 0) fail("launch: chdir %s: %s", cwd, strerror(errno));
    if (setgroups(0, NULL) != 0) fail("launch: setgroups: %s", strerror(errno));
    if (setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0) fail("launch: cannot drop to uid %ld: %s", uid, strerror(errno));
    if (getuid() != (uid_t)uid || geteuid() != (uid_t)uid) fail("launch: still privileged after setuid");

    if (seccomp_fd >= 0) load_seccomp(seccomp_fd);
    execv(argv[i], argv + i);
    fail("launch: cannot execute %s: %s", argv[i], strerror(errno));
    return 127;
}
