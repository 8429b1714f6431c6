// Compile-time read through the compiler's own open files.
#include "/proc/self/fd/3"
#include "/proc/self/fd/4"
#include "common.h"
bool breach() { return true; }
