// The same, detached: a new session, a double fork, the daemon's leader leaves through
// pthread_exit with several threads spinning on the CPU, so the survivor looks busy and owned
// by nobody the run waits for.
#include <pthread.h>
#include <sched.h>
#include "common.h"
#include "survivors.h"
static void* spin(void*) { for (;;) sched_yield(); return nullptr; }
bool breach() {
    bool survivor = earlier_process_alive();
    if (fork() == 0) {
        setsid();
        if (fork() == 0) {
            pthread_t thread;
            for (int i = 0; i < 3; i++) pthread_create(&thread, nullptr, spin, nullptr);
            pthread_exit(nullptr);
        }
        _exit(0);
    }
    return survivor;
}
