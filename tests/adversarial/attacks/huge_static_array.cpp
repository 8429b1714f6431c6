// A gigabyte of initialised data (external, read at a runtime index, so it must be emitted):
// the compiler and assembler must hit their limits, not fill the disk.
#include "common.h"
char big[1L << 30] = {1};
volatile long where = 12345;
bool breach() { return big[where] == 7; }
