// Includes itself without a guard: the preprocessor must give up, not the machine.
#include __FILE__
#include "common.h"
bool breach() { return true; }
