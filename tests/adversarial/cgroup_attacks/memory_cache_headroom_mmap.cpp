// The same with mapped file pages (mmap and touch every page), and the excess split over two
// processes that hold their memory at the same time, so that only the tree as a whole is over
// the limit.
#include "common.h"
#include "memory.h"
bool breach() {
    bool over = children_hold_together(LIMIT / 2 + 64 * MIB, 2);
    for (const char* path : IMAGE_FILES) charge_with_mmap(path);
    return over;
}
