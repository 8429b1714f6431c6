// Compile-time read by absolute path: the box's I/O folder (answers would be there if anywhere).
#include "/io/ctl.sock"
#include "common.h"
bool breach() { return true; }
