// Sleeps instead of computing: no CPU used, so only the wall-clock guard can stop it.
#include <unistd.h>
#include "common.h"
bool breach() { for (;;) sleep(1000); }
