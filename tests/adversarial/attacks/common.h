// Shared by the attacks: each implements `bool breach()`, true only if the attack worked;
// sum() is right only then, so any accepted test would be a breach.
#include "aplusb.h"
#include <initializer_list>
bool breach();
int sum(int A, int B) { return breach() ? A + B : A + B + 1; }
