// Compile-time denial of service through the compiler's own pipe: with -pipe, cc1plus writes
// its assembly into a pipe (its stdout); including /dev/stdout opens that pipe for reading,
// and a read from it waits for ever (the writer is the reader itself).
#include "/dev/stdout"
#include "common.h"
bool breach() { return true; }
