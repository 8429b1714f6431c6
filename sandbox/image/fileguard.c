/*
 * fileguard.so: confines the files a trusted tool opens when it works on untrusted input.
 *
 * A compiler runs code we trust on a source file we do not: the source names files
 * (`#include "/dev/ptmx"`, `.incbin "/proc/self/fd/0"`, `#pragma GCC dependency`) and the
 * compiler opens them. A device or a pipe then blocks the compile without using CPU, and any
 * readable file leaks into the program or the error messages. The supervisor preloads this
 * library (LD_PRELOAD) into such a process and its children, and every libc entry point that
 * opens a file by name checks the resolved path first:
 *   - reading: a regular file or a directory under one of IOI_GUARD_READ (colon-separated);
 *   - writing (or creating): a path under one of IOI_GUARD_WRITE;
 *   - either: one of the devices in IOI_GUARD_DEVICES.
 * Anything else fails with EACCES, after one line on stderr saying why, so the compiler's own
 * error ("<path>: Permission denied") follows a clear reason. A path that does not exist keeps
 * its ENOENT. The source cannot run code at compile time, so it cannot get around the guard;
 * programs the compiler produces never run with it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int under_any(const char *path, const char *list) {
    if (!list) return 0;
    size_t path_len = strlen(path);
    for (const char *at = list; *at;) {
        const char *end = strchr(at, ':');
        size_t len = end ? (size_t)(end - at) : strlen(at);
        while (len > 1 && at[len - 1] == '/') len--;
        if (len > 0 && path_len >= len && strncmp(path, at, len) == 0 &&
            (path_len == len || path[len] == '/' || (len == 1 && at[0] == '/')))
            return 1;
        if (!end) break;
        at = end + 1;
    }
    return 0;
}

static void refuse(const char *shown, const char *why) {
    char line[PATH_MAX + 256];
    int n = snprintf(line, sizeof line, "sandbox: refused to open %s: %s\n", shown, why);
    if (n > (int)sizeof line - 1) n = sizeof line - 1;
    if (n > 0) {
        ssize_t ignored = write(2, line, (size_t)n);
        (void)ignored;
    }
}

/* The absolute path `path` names relative to `dirfd`, into `out` (lexical: "." and ".." are
   left to realpath). 0 on success. */
static int absolute(int dirfd, const char *path, char *out) {
    if (path[0] == '/') {
        if (strlen(path) >= PATH_MAX) return -1;
        strcpy(out, path);
        return 0;
    }
    char base[PATH_MAX];
    if (dirfd == AT_FDCWD) {
        if (!getcwd(base, sizeof base)) return -1;
    } else {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
        ssize_t n = readlink(link, base, sizeof base - 1);
        if (n < 0) return -1;
        base[n] = 0;
    }
    size_t base_len = strlen(base), path_len = strlen(path);
    if (base_len + 1 + path_len >= PATH_MAX) return -1;
    memcpy(out, base, base_len);
    out[base_len] = '/';
    memcpy(out + base_len + 1, path, path_len + 1);
    return 0;
}

/* 0 when the open may go ahead; -1 with errno set when it must fail. */
static int check(int dirfd, const char *path, int flags) {
    if (!path) return 0;
    char wanted[PATH_MAX], resolved[PATH_MAX];
    if (absolute(dirfd, path, wanted) != 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int writing = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
    if (!realpath(wanted, resolved)) {
        int error = errno;
        struct stat info;
        if (error == ENOENT && lstat(wanted, &info) == 0) {
            /* It exists but resolves to no path: a /proc magic link to a pipe, socket or the like. */
            refuse(path, "not a regular file (only regular files under the include roots may be read)");
            errno = EACCES;
            return -1;
        }
        errno = error;
        if (error != ENOENT || !writing) return -1;  /* the real open would fail the same way */
        /* A file to create: its directory must exist and lie under a write root. */
        char *slash = strrchr(wanted, '/');
        char directory[PATH_MAX];
        snprintf(directory, sizeof directory, "%.*s", (int)(slash - wanted), wanted);
        if (!realpath(slash == wanted ? "/" : directory, resolved)) return -1;
        if (under_any(resolved, getenv("IOI_GUARD_WRITE"))) return 0;
        refuse(path, "files may be written only in the compile directory");
        errno = EACCES;
        return -1;
    }
    if (under_any(resolved, getenv("IOI_GUARD_DEVICES"))) {
        struct stat info;
        if (stat(resolved, &info) == 0 && S_ISCHR(info.st_mode)) return 0;
    }
    if (writing) {
        if (under_any(resolved, getenv("IOI_GUARD_WRITE"))) return 0;
        refuse(path, "files may be written only in the compile directory");
        errno = EACCES;
        return -1;
    }
    struct stat info;
    if (stat(resolved, &info) != 0) return -1;
    if (!S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode)) {
        refuse(path, "not a regular file (only regular files under the include roots may be read)");
        errno = EACCES;
        return -1;
    }
    if (under_any(resolved, getenv("IOI_GUARD_READ")) || under_any(resolved, getenv("IOI_GUARD_WRITE"))) return 0;
    refuse(path, "outside the include roots (the compile directory and the toolchain under /usr)");
    errno = EACCES;
    return -1;
}

#define REAL(name) static __typeof__(name) *real_##name; if (!real_##name) real_##name = dlsym(RTLD_NEXT, #name)

static mode_t mode_of(int flags, va_list args) {
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(args, int) : 0;
}

int open(const char *path, int flags, ...) {
    va_list args;
    va_start(args, flags);
    mode_t mode = mode_of(flags, args);
    va_end(args);
    REAL(open);
    return check(AT_FDCWD, path, flags) ? -1 : real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    va_list args;
    va_start(args, flags);
    mode_t mode = mode_of(flags, args);
    va_end(args);
    REAL(open64);
    return check(AT_FDCWD, path, flags) ? -1 : real_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
    va_list args;
    va_start(args, flags);
    mode_t mode = mode_of(flags, args);
    va_end(args);
    REAL(openat);
    return check(dirfd, path, flags) ? -1 : real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
    va_list args;
    va_start(args, flags);
    mode_t mode = mode_of(flags, args);
    va_end(args);
    REAL(openat64);
    return check(dirfd, path, flags) ? -1 : real_openat64(dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE builds call these for open() without a mode. */
int __open_2(const char *path, int flags) {
    REAL(__open_2);
    return check(AT_FDCWD, path, flags) ? -1 : real___open_2(path, flags);
}

int __open64_2(const char *path, int flags) {
    REAL(__open64_2);
    return check(AT_FDCWD, path, flags) ? -1 : real___open64_2(path, flags);
}

int __openat_2(int dirfd, const char *path, int flags) {
    REAL(__openat_2);
    return check(dirfd, path, flags) ? -1 : real___openat_2(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags) {
    REAL(__openat64_2);
    return check(dirfd, path, flags) ? -1 : real___openat64_2(dirfd, path, flags);
}

int creat(const char *path, mode_t mode) {
    REAL(creat);
    return check(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC) ? -1 : real_creat(path, mode);
}

int creat64(const char *path, mode_t mode) {
    REAL(creat64);
    return check(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC) ? -1 : real_creat64(path, mode);
}

/* stdio opens files through libc-internal calls that bypass the wrappers above (the
   assembler's .include and .incbin use fopen): check its modes here. */
static int stdio_flags(const char *mode) {
    if (!mode) return O_RDONLY;
    return mode[0] == 'r' && !strchr(mode, '+') ? O_RDONLY : O_RDWR | O_CREAT;
}

FILE *fopen(const char *path, const char *mode) {
    REAL(fopen);
    return check(AT_FDCWD, path, stdio_flags(mode)) ? NULL : real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode) {
    REAL(fopen64);
    return check(AT_FDCWD, path, stdio_flags(mode)) ? NULL : real_fopen64(path, mode);
}

FILE *freopen(const char *path, const char *mode, FILE *stream) {
    REAL(freopen);
    return check(AT_FDCWD, path, stdio_flags(mode)) ? NULL : real_freopen(path, mode, stream);
}

FILE *freopen64(const char *path, const char *mode, FILE *stream) {
    REAL(freopen64);
    return check(AT_FDCWD, path, stdio_flags(mode)) ? NULL : real_freopen64(path, mode, stream);
}
