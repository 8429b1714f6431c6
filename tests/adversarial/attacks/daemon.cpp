// Leaves a daemon behind, and checks whether an earlier test's daemon is still there: a
// test that finds one scores, so any survivor would show as an accepted test.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdlib>
#include <string>
#include "common.h"
bool breach() {
    int me = getpid();
    bool survivor = false;
    DIR* proc = opendir("/proc");
    while (dirent* e = proc ? readdir(proc) : nullptr) {
        int pid = atoi(e->d_name);
        struct stat info;
        if (pid > 0 && pid != me && stat(("/proc/" + std::to_string(pid)).c_str(), &info) == 0 && info.st_uid == getuid())
            survivor = true;
    }
    if (proc) closedir(proc);
    if (fork() == 0) {
        setsid();
        if (fork() == 0) { for (;;) sleep(1000); }
        _exit(0);
    }
    return survivor;
}
