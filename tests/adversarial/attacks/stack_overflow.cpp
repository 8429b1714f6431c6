// Recurses without bound (the stack is unlimited and counts toward memory, as in CMS).
#include "common.h"
static int depth(volatile int n) { volatile char pad[4096]; pad[0] = (char)n; return depth(n + 1) + pad[0]; }
bool breach() { return depth(0) == 42; }
