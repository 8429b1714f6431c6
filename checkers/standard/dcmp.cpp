// dcmp: one double, absolute or relative error at most 1e-6.
#include "testlib.h"

int main(int argc, char *argv[]) {
    setName("compare two doubles, maximal absolute or relative error = 1E-6");
    registerTestlibCmd(argc, argv);
    double expected = ans.readDouble(), found = ouf.readDouble();
    if (!doubleCompare(expected, found, 1E-6))
        quitf(_wa, "expected %.10f, found %.10f, error %.10f", expected, found, doubleDelta(expected, found));
    quitf(_ok, "answer is %.10f", expected);
}
