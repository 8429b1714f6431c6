// ncmp: the same ordered sequence of signed 64-bit integers.
#include "testlib.h"
#include <string>

int main(int argc, char *argv[]) {
    setName("compare ordered sequences of signed int64 numbers");
    registerTestlibCmd(argc, argv);
    int count = 0;
    std::string shown;
    while (!ans.seekEof() && !ouf.seekEof()) {
        ++count;
        long long expected = ans.readLong(), found = ouf.readLong();
        if (expected != found)
            quitf(_wa, "%d%s numbers differ - expected: '%lld', found: '%lld'", count, englishEnding(count).c_str(),
                  expected, found);
        if (count <= 5) shown += (shown.empty() ? "" : " ") + vtos(expected);
    }
    int extra_answer = 0, extra_output = 0;
    while (!ans.seekEof()) { ans.readLong(); ++extra_answer; }
    while (!ouf.seekEof()) { ouf.readLong(); ++extra_output; }
    if (extra_answer)
        quitf(_wa, "Answer contains longer sequence [length = %d], but output contains %d elements",
              count + extra_answer, count);
    if (extra_output)
        quitf(_wa, "Output contains longer sequence [length = %d], but answer contains %d elements",
              count + extra_output, count);
    if (count <= 5) quitf(_ok, "%d number(s): \"%s\"", count, compress(shown).c_str());
    quitf(_ok, "%d numbers", count);
}
