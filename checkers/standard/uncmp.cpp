// uncmp: the same multiset of signed 64-bit integers, in any order.
#include "testlib.h"
#include <algorithm>
#include <vector>

static std::vector<long long> all_numbers(InStream &stream) {
    std::vector<long long> values;
    while (!stream.seekEof()) values.push_back(stream.readLong());
    std::sort(values.begin(), values.end());
    return values;
}

int main(int argc, char *argv[]) {
    setName("compare unordered sequences of signed int64 numbers");
    registerTestlibCmd(argc, argv);
    std::vector<long long> expected = all_numbers(ans), found = all_numbers(ouf);
    if (expected.size() != found.size())
        quitf(_wa, "expected %d number(s), found %d", int(expected.size()), int(found.size()));
    for (size_t i = 0; i < expected.size(); ++i)
        if (expected[i] != found[i])
            quitf(_wa, "the %d%s smallest numbers differ - expected: '%lld', found: '%lld'", int(i + 1),
                  englishEnding(int(i + 1)).c_str(), expected[i], found[i]);
    quitf(_ok, "%d number(s)", int(expected.size()));
}
