// icmp: one signed 32-bit integer, equal to the answer's.
#include "testlib.h"

int main(int argc, char *argv[]) {
    setName("compare two signed int32 numbers");
    registerTestlibCmd(argc, argv);
    int expected = ans.readInt(), found = ouf.readInt();
    if (expected != found) quitf(_wa, "expected '%d', found '%d'", expected, found);
    quitf(_ok, "answer is '%d'", expected);
}
