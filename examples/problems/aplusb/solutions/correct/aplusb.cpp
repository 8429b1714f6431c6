// Model solution: returns A + B (0 <= A, B <= 100, no overflow).
#include "aplusb.h"

int sum(int A, int B) {
    return A + B;
}
