// Compile-time denial of service: the preprocessor opens a terminal multiplexer and waits on a
// read that never returns, holding the box without using any CPU.
#include "/dev/ptmx"
#include "common.h"
bool breach() { return true; }
