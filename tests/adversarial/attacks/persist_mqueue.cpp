// Carries state from one test to the next through the POSIX message queue filesystem: mq_open
// is refused, but a plain open(O_CREAT) under /dev/mqueue creates a queue that outlives the
// process (and, where it is mounted, every test and submission the box runs after it).
#include <fcntl.h>
#include <unistd.h>
#include "common.h"
bool breach() {
    const char* marker = "/dev/mqueue/ioi-grader-was-here";
    if (access(marker, F_OK) == 0) return true;  // an earlier test left it
    int fd = open(marker, O_CREAT | O_RDWR, 0666);
    if (fd >= 0) close(fd);
    return false;
}
