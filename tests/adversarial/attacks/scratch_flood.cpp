// Writes a 10 GB file in its scratch directory.
#include <cstdio>
#include <cstring>
#include "common.h"
bool breach() {
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    FILE* f = fopen("huge.bin", "wb");
    if (!f) return false;
    long written = 0;
    for (long i = 0; i < 10240; i++) written += fwrite(block, 1, sizeof block, f);
    fclose(f);
    return written == 10240L << 20;
}
