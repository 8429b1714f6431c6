// rcmp9: compare two sequences of doubles, max absolute or relative error = 1E-9.
#include "testlib.h"
#include <cmath>

static const double EPS = 1E-9;

static bool same(double expected, double found) {
    return !std::isnan(found) && doubleCompare(expected, found, EPS);
}

int main(int argc, char *argv[]) {
    setName("compare two sequences of doubles, max absolute or relative error = 1E-9");
    registerTestlibCmd(argc, argv);
    int count = 0;
    double expected = 0, found = 0;
    while (!ans.seekEof()) {
        ++count;
        expected = ans.readDouble();
        found = ouf.readDouble();
        if (!same(expected, found))
            quitf(_wa, "%d%s numbers differ - expected: '%.10f', found: '%.10f', error = '%.10f'", count,
                  englishEnding(count).c_str(), expected, found, doubleDelta(expected, found));
    }
    if (count == 1)
        quitf(_ok, "found '%.10f', expected '%.10f', error '%.10f'", found, expected,
              doubleDelta(expected, found));
    quitf(_ok, "%d numbers", count);
}
