// Compile-time denial of service through the assembler, bypassing the preprocessor: .incbin of
// a device that never delivers data.
#include "common.h"
asm(".section .rodata\n.incbin \"/dev/ptmx\"\n.text\n");
bool breach() { return true; }
