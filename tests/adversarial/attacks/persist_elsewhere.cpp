// Carries state from one test to the next through every other place a process might leave
// something behind: writable directories outside scratch, System V and POSIX shared memory,
// the kernel keyrings, an abstract unix socket held open by a forked child.
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <cstring>
#include "common.h"
static const char* const PLACES[] = {"/tmp/ioi-marker", "/var/tmp/ioi-marker", "/dev/shm/ioi-marker",
                                     "/run/ioi-marker", "/dev/ioi-marker", "/scratch/ioi-marker",
                                     "/box/ioi-marker", "/io/ioi-marker", "/sandbox/ioi-marker"};
static bool found_before() {
    for (const char* place : PLACES)
        if (access(place, F_OK) == 0) return true;
    if (shmget(0x10123, 4096, 0) >= 0) return true;
    int fd = shm_open("/ioi-marker", O_RDONLY, 0);
    if (fd >= 0) return true;
    // A key in the user keyring (add_key/request_key): type "user", description "ioi-marker".
    if (syscall(SYS_request_key, "user", "ioi-marker", nullptr, -4 /* KEY_SPEC_USER_KEYRING */) >= 0) return true;
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) == 0) {
        sockaddr_un address = {};
        address.sun_family = AF_UNIX;
        memcpy(address.sun_path, "\0ioi-marker", 11);
        // The name is taken while the child of an earlier test still holds it.
        if (bind(pair[0], (sockaddr*)&address, sizeof(sa_family_t) + 11) != 0) return true;
        close(pair[0]);
        close(pair[1]);
    }
    return false;
}
static void leave_markers() {
    for (const char* place : PLACES) {
        int fd = open(place, O_CREAT | O_WRONLY, 0666);
        if (fd >= 0) close(fd);
    }
    shmget(0x10123, 4096, IPC_CREAT | 0666);
    int fd = shm_open("/ioi-marker", O_CREAT | O_RDWR, 0666);
    if (fd >= 0) close(fd);
    syscall(SYS_add_key, "user", "ioi-marker", "1", 1, -4);
    if (fork() == 0) {
        setsid();
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) == 0) {
            sockaddr_un address = {};
            address.sun_family = AF_UNIX;
            memcpy(address.sun_path, "\0ioi-marker", 11);
            bind(pair[0], (sockaddr*)&address, sizeof(sa_family_t) + 11);
        }
        for (;;) pause();
    }
}
bool breach() {
    static int calls = 0;
    if (calls++) return false;
    if (found_before()) return true;
    leave_markers();
    return false;
}
