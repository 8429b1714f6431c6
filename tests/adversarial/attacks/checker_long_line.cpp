// Output a checker cannot afford: one 120 MiB line of tokens, inside the 128 MiB output limit.
// A tokenizer that keeps a line or its tokens in memory needs gigabytes for it, and a checker
// killed for its limits used to turn the test into an infrastructure error.
#include <cstdio>
#include <cstring>
#include "common.h"
bool breach() {
    static char block[1 << 20];
    for (size_t i = 0; i < sizeof block; i += 2) block[i] = '1', block[i + 1] = ' ';
    for (int i = 0; i < 120; i++) fwrite(block, 1, sizeof block, stdout);
    return false;
}
