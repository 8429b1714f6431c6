// Goes through /proc: other processes' open files, roots, working directories and
// environments (the supervisor's holds the I/O folder and the worker's settings).
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <string>
#include "common.h"
bool breach() {
    int me = getpid();
    DIR* proc = opendir("/proc");
    if (!proc) return false;
    bool found = false;
    while (dirent* e = readdir(proc)) {
        int pid = atoi(e->d_name);
        if (pid <= 0 || pid == me) continue;
        std::string base = "/proc/" + std::to_string(pid);
        for (const char* what : {"/environ", "/root/io/ctl.sock", "/cwd", "/mem", "/root/trusted"}) {
            int fd = open((base + what).c_str(), O_RDONLY);
            if (fd >= 0) { close(fd); found = true; }
        }
        DIR* fds = opendir((base + "/fd").c_str());
        if (fds) { found = true; closedir(fds); }
    }
    closedir(proc);
    return found;
}
