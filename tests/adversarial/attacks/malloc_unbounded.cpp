// Allocates and touches memory without bound.
#include <cstdlib>
#include <cstring>
#include "common.h"
bool breach() { for (;;) { char* p = (char*)malloc(64 << 20); if (!p) return false; memset(p, 1, 64 << 20); } }
