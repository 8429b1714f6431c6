// acmp: one double, absolute error at most 1.5e-6.
#include "testlib.h"
#include <cmath>

int main(int argc, char *argv[]) {
    setName("compare two doubles, maximal absolute error = 1.5E-6");
    registerTestlibCmd(argc, argv);
    double expected = ans.readDouble(), found = ouf.readDouble();
    if (std::isnan(found) || std::fabs(expected - found) > 1.5E-6)
        quitf(_wa, "expected %.10f, found %.10f", expected, found);
    quitf(_ok, "answer is %.10f", expected);
}
