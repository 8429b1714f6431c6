// Shared by the survivor attacks: is a process of ours (our uid) left by an earlier test still
// alive? /proc lists a zombie leader whose threads still run, so its pid counts too.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdlib>
#include <string>
static bool earlier_process_alive() {
    int me = getpid();
    bool found = false;
    DIR* proc = opendir("/proc");
    while (dirent* e = proc ? readdir(proc) : nullptr) {
        int pid = atoi(e->d_name);
        struct stat info;
        if (pid > 0 && pid != me && stat(("/proc/" + std::to_string(pid)).c_str(), &info) == 0 && info.st_uid == getuid())
            found = true;
    }
    if (proc) closedir(proc);
    return found;
}
