// Attaches to and signals every other process it can see, the supervisor (PID 1) included.
#include <dirent.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <unistd.h>
#include <cstdlib>
#include "common.h"
bool breach() {
    bool hit = false;
    int me = getpid();
    DIR* proc = opendir("/proc");
    while (proc && true) {
        dirent* e = readdir(proc);
        if (!e) break;
        int pid = atoi(e->d_name);
        if (pid <= 0 || pid == me) continue;
        hit |= ptrace(PTRACE_ATTACH, pid, nullptr, nullptr) == 0;
        hit |= kill(pid, SIGSTOP) == 0;
    }
    if (proc) closedir(proc);
    kill(-1, SIGKILL);  // everything it may signal (not itself)
    return hit;
}
