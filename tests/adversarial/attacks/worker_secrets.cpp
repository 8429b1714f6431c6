// Looks for what belongs to the worker: its environment (keys, Redis, Docker), the Docker
// socket and client credentials, and the supervisor's environment through /proc.
#include <fcntl.h>
#include <unistd.h>
#include <cstdlib>
#include <cstring>
#include "common.h"
extern char** environ;
bool breach() {
    for (char** e = environ; *e; e++)
        if (strstr(*e, "IOI_GRADER") || strstr(*e, "REDIS") || strstr(*e, "DOCKER") || strstr(*e, "KEY") ||
            strstr(*e, "IOI_OWNER")) return true;
    for (const char* path : {"/var/run/docker.sock", "/run/docker.sock", "/root/.docker/config.json", "/proc/1/environ",
                             "/proc/1/cmdline"}) {
        int fd = open(path, O_RDONLY);
        if (fd >= 0) {
            char buffer[4096];
            ssize_t n = read(fd, buffer, sizeof buffer - 1);
            close(fd);
            if (n > 0) { buffer[n] = 0; if (strstr(buffer, "IOI") || strstr(buffer, "KEY") || n > 0 && strcmp(path, "/proc/1/cmdline") != 0) return true; }
        }
    }
    return false;
}
