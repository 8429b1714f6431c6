// Shared by the memory attacks. The aplusb tests of these attacks run with a 256 MiB limit.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cstdlib>
#include <cstring>
static const long MIB = 1 << 20;
static const long LIMIT = 256 * MIB;
// Big files of the image that every slot may read (about 300 MB together).
static const char* const IMAGE_FILES[] = {
    "/usr/include/x86_64-linux-gnu/c++/12/bits/stdc++.h.gch/gnu++20-O2-EVAL",
    "/usr/include/x86_64-linux-gnu/c++/12/bits/stdc++.h.gch/gnu++17-O2-EVAL",
    "/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus",
    "/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
    "/usr/lib/gcc/x86_64-linux-gnu/12/lto1",
};
// Make the page cache of `path` ours: drop its cached pages, then read them back in, so the
// kernel charges them to this run's memory cgroup. They stay charged after the run ends.
static void charge_with_read(const char* path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return;
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    static char buffer[1 << 20];
    while (read(fd, buffer, sizeof buffer) > 0) {}
    close(fd);
}
static void charge_with_mmap(const char* path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return;
    struct stat info;
    fstat(fd, &info);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    volatile char* map = (volatile char*)mmap(nullptr, info.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
        long sum = 0;
        for (off_t at = 0; at < info.st_size; at += 4096) sum += map[at];
        munmap((void*)map, info.st_size);
        (void)sum;
    }
    close(fd);
}
// In a child: touch `bytes` of anonymous memory. True if it lived through it (no OOM kill),
// i.e. the slot let this test hold more than its limit.
static bool child_holds(long bytes) {
    pid_t pid = fork();
    if (pid == 0) {
        volatile char* p = (volatile char*)malloc(bytes);  // volatile: the stores must happen
        if (!p) _exit(1);
        for (long at = 0; at < bytes; at += 4096) p[at] = 1;
        _exit(p[bytes - 4096] == 1 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
// In `count` children at once: each touches `bytes` of anonymous memory and holds it until all
// of them have. True if they all lived through it, i.e. the slot let the tree as a whole hold
// more than its limit. (Children that each touch and exit at once may never overlap in time.)
static bool children_hold_together(long bytes, int count) {
    int ready[2], go[2];
    if (pipe(ready) != 0 || pipe(go) != 0) return false;
    pid_t pids[8];
    for (int i = 0; i < count && i < 8; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            close(ready[0]);
            close(go[1]);
            volatile char* p = (volatile char*)malloc(bytes);
            if (!p) _exit(1);
            for (long at = 0; at < bytes; at += 4096) p[at] = 1;
            char c = 1;
            bool told = write(ready[1], &c, 1) == 1;
            close(ready[1]);  // so that the parent sees EOF once every child told or died
            if (read(go[0], &c, 1) < 0) {}  // returns at EOF: when the parent lets go
            _exit(told && p[bytes - 4096] == 1 ? 0 : 1);
        }
    }
    close(ready[1]);
    close(go[0]);
    char c;
    int held = 0;
    while (held < count && read(ready[0], &c, 1) == 1) held++;
    close(go[1]);
    bool all = held == count;
    for (int i = 0; i < count && i < 8; i++) {
        int status = 0;
        waitpid(pids[i], &status, 0);
        all = all && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    return all;
}
