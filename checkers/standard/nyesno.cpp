// nyesno: a sequence of YES / NO tokens, in any letter case.
#include "testlib.h"
#include <string>

int main(int argc, char *argv[]) {
    setName("multiple YES/NO (case insensitive)");
    registerTestlibCmd(argc, argv);
    int count = 0, yes = 0;
    while (!ans.seekEof()) {
        std::string expected = upperCase(ans.readWord());
        if (expected != "YES" && expected != "NO")
            quitf(_fail, "YES or NO expected in answer, but %s found", compress(expected).c_str());
        if (ouf.seekEof()) quitf(_wa, "expected %d or more token(s), found %d", count + 1, count);
        std::string found = upperCase(ouf.readWord());
        ++count;
        if (found != "YES" && found != "NO") quitf(_pe, "YES or NO expected, but %s found", compress(found).c_str());
        if (expected != found)
            quitf(_wa, "%d%s tokens differ - expected: %s, found: %s", count, englishEnding(count).c_str(),
                  expected.c_str(), found.c_str());
        yes += expected == "YES";
    }
    if (!ouf.seekEof()) quitf(_wa, "output has more than %d token(s)", count);
    quitf(_ok, "%d token(s), %d YES and %d NO", count, yes, count - yes);
}
