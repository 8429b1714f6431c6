// wcmp: the same sequence of tokens (line breaks do not matter, letter case does).
#include "testlib.h"
#include <string>

int main(int argc, char *argv[]) {
    setName("compare sequences of tokens");
    registerTestlibCmd(argc, argv);
    int count = 0;
    std::string first;
    while (!ans.seekEof() && !ouf.seekEof()) {
        ++count;
        std::string expected = ans.readWord(), found = ouf.readWord();
        if (expected != found)
            quitf(_wa, "%d%s words differ - expected: '%s', found: '%s'", count, englishEnding(count).c_str(),
                  compress(expected).c_str(), compress(found).c_str());
        if (count == 1) first = expected;
    }
    if (!ans.seekEof()) quitf(_wa, "Unexpected EOF in the participants output after %d token(s)", count);
    if (!ouf.seekEof()) quitf(_wa, "Participant output contains extra tokens after %d token(s)", count);
    if (count == 1) quitf(_ok, "single token: \"%s\"", compress(first).c_str());
    quitf(_ok, "%d tokens", count);
}
