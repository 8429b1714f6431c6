// Exponential template instantiation: the compilation must hit its time or memory limit.
#include "common.h"
template <int N, int M> struct Bomb {
    static constexpr long value = Bomb<N - 1, M * 2 + 1>::value + Bomb<N - 1, M * 2 + 2>::value;
};
template <int M> struct Bomb<0, M> { static constexpr long value = M; };
bool breach() { return Bomb<40, 0>::value != 0; }
