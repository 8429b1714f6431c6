// Output a checker cannot afford: 50 million one-character tokens on short lines (100 MiB),
// inside the output limit, so no single line is long.
#include <cstdio>
#include "common.h"
bool breach() {
    static char block[1 << 20];
    for (size_t i = 0; i < sizeof block; i += 2) block[i] = '7', block[i + 1] = '\n';
    for (int i = 0; i < 100; i++) fwrite(block, 1, sizeof block, stdout);
    return false;
}
