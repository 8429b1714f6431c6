// Leaves a scratch no path can describe: 100000 nested directories (paths far beyond PATH_MAX),
// each holding files and made unreadable and unwritable to its owner on the way back up.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"
bool breach() {
    int depth = 0;
    for (; depth < 100000; depth++) {
        if (mkdir("d", 0700) != 0 || chdir("d") != 0) break;
        if (depth % 1000 == 0)
            for (const char* name : {"a", "b", "c"}) close(open(name, O_CREAT | O_WRONLY, 0600));
    }
    for (int i = 0; i < depth && i < 2000; i++) {  // the last levels: unwritable from inside
        if (chdir("..") != 0) break;
        chmod("d", 0);
    }
    return false;
}
