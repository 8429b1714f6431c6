// A child whose main thread exits (SYS_exit: that thread only) while another of its threads
// keeps running: /proc shows the leader as a zombie, but the thread group is alive. A test
// that finds such a survivor from an earlier test scores.
#include <pthread.h>
#include <sys/syscall.h>
#include "common.h"
#include "survivors.h"
static void* linger(void*) { for (;;) sleep(1000); return nullptr; }
bool breach() {
    bool survivor = earlier_process_alive();
    if (fork() == 0) {
        pthread_t thread;
        pthread_create(&thread, nullptr, linger, nullptr);
        syscall(SYS_exit, 0);
    }
    return survivor;
}
