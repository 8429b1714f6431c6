// Tries to write where it must not: its own program, the I/O folder, the trusted programs,
// another slot's scratch, the root file system, /tmp and /dev/shm.
#include <fcntl.h>
#include <unistd.h>
#include "common.h"
bool breach() {
    bool wrote = false;
    for (const char* path : {"/box/aplusb", "/box/x", "/io/x", "/io/out/x", "/trusted/x", "/scratch/u1/x", "/scratch/trusted/x",
                             "/etc/x", "/tmp/x", "/dev/shm/x", "/opt/ioi-grader/spawner", "/usr/bin/x"}) {
        int fd = open(path, O_WRONLY | O_CREAT, 0666);
        if (fd >= 0) { wrote = true; close(fd); }
    }
    return wrote;
}
