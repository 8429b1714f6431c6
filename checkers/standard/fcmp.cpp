// fcmp: the output's lines equal the answer's, byte for byte (a final line break aside).
#include "testlib.h"
#include <string>

int main(int argc, char *argv[]) {
    setName("compare files as sequences of lines");
    registerTestlibCmd(argc, argv);
    int lines = 0;
    while (!ans.eof()) {
        std::string expected = ans.readString();
        if (expected.empty() && ans.eof()) break;
        std::string found = ouf.readString();
        ++lines;
        if (expected != found)
            quitf(_wa, "%d%s lines differ - expected: '%s', found: '%s'", lines, englishEnding(lines).c_str(),
                  compress(expected).c_str(), compress(found).c_str());
    }
    quitf(_ok, "%d line(s)", lines);
}
