// testlib checker for "Range Sums" (Codeforces convention):
//   checker <input> <contestant_output> <answer>
// Exit code 0 OK, 1 WA (a wrong sum, or extra output), 2 PE (missing or non-numeric output).
#include "testlib.h"

int main(int argc, char* argv[]) {
    registerTestlibCmd(argc, argv);
    inf.readInt();  // N
    int q = inf.readInt();
    for (int i = 1; i <= q; i++) {
        long long expected = ans.readLong();
        long long found = ouf.readLong();
        if (found != expected)
            quitf(_wa, "query %d: expected %lld, found %lld", i, expected, found);
    }
    if (!ouf.seekEof()) quitf(_wa, "extra output after %d answers", q);
    quitf(_ok, "%d sums", q);
}
