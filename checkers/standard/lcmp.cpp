// lcmp: line by line, each line the same sequence of whitespace-separated tokens.
#include "testlib.h"
#include <sstream>
#include <string>
#include <vector>

static std::vector<std::string> tokens(const std::string &line) {
    std::istringstream stream(line);
    std::vector<std::string> words;
    for (std::string word; stream >> word;) words.push_back(word);
    return words;
}

int main(int argc, char *argv[]) {
    setName("compare files as sequences of tokens in lines");
    registerTestlibCmd(argc, argv);
    int lines = 0;
    while (!ans.eof()) {
        std::string expected = ans.readString();
        if (expected.empty() && ans.eof()) break;
        std::string found = ouf.readString();
        ++lines;
        if (tokens(expected) != tokens(found))
            quitf(_wa, "%d%s lines differ - expected: '%s', found: '%s'", lines, englishEnding(lines).c_str(),
                  compress(expected).c_str(), compress(found).c_str());
    }
    quitf(_ok, "%d line(s)", lines);
}
