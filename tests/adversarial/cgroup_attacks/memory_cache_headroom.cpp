// Leftover page cache as headroom: each test first tries to hold the limit plus 128 MiB (only
// an earlier run's leftover charge could make room for it), then charges ~300 MB of the image's
// files to the slot for the next test.
#include "common.h"
#include "memory.h"
bool breach() {
    bool over = child_holds(LIMIT + 128 * MIB);
    for (const char* path : IMAGE_FILES) charge_with_read(path);
    return over;
}
