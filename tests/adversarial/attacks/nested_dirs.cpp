// Leaves 3000 nested directories in its scratch: a recursive wipe (shutil.rmtree) of the
// scratch after the run dies of RecursionError, which used to break the box, fail the test
// three times and turn the submission into an infrastructure error (reward None).
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"
bool breach() {
    for (int i = 0; i < 3000; i++)
        if (mkdir("d", 0700) != 0 || chdir("d") != 0) break;
    return false;
}
