// Spins on many threads to burn CPU faster than the limit is checked.
#include <thread>
#include <vector>
#include "common.h"
bool breach() {
    std::vector<std::thread> spinners;
    for (int i = 0; i < 16; i++) spinners.emplace_back([] { volatile unsigned long x = 0; for (;;) x++; });
    for (auto& t : spinners) t.join();
    return true;
}
