// A survivor that goes after later runs: its lingering thread watches for processes of its uid
// (later tests, and the next submission graded in the slot) and writes into their stdout
// through /proc/<pid>/fd/1, which needs no ptrace, and signals them.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include "common.h"
#include "survivors.h"
static void* tamper(void*) {
    int me = getpid();
    for (;;) {
        DIR* proc = opendir("/proc");
        while (dirent* e = proc ? readdir(proc) : nullptr) {
            int pid = atoi(e->d_name);
            struct stat info;
            if (pid <= 0 || pid == me || stat(("/proc/" + std::to_string(pid)).c_str(), &info) != 0 || info.st_uid != getuid())
                continue;
            int fd = open(("/proc/" + std::to_string(pid) + "/fd/1").c_str(), O_WRONLY | O_APPEND);
            if (fd >= 0) { ssize_t ignored = write(fd, "tampered\n", 9); (void)ignored; close(fd); }
        }
        if (proc) closedir(proc);
        usleep(2000);
    }
    return nullptr;
}
bool breach() {
    bool survivor = earlier_process_alive();
    if (fork() == 0) {
        pthread_t thread;
        pthread_create(&thread, nullptr, tamper, nullptr);
        syscall(SYS_exit, 0);
    }
    return survivor;
}
