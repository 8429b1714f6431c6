// Writes 10 GB to standard output.
#include <cstdio>
#include <cstring>
#include "common.h"
bool breach() {
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    for (long i = 0; i < 10240; i++) fwrite(block, 1, sizeof block, stdout);
    return false;
}
