// hcmp: one integer of any length (optional minus, no leading zeros), equal to the answer's.
#include "testlib.h"
#include <string>

static bool integer(const std::string &text) {
    size_t start = !text.empty() && text[0] == '-' ? 1 : 0;
    if (start == text.size()) return false;
    for (size_t i = start; i < text.size(); ++i)
        if (text[i] < '0' || text[i] > '9') return false;
    if (text[start] == '0' && text.size() > start + 1) return false;
    return !(start == 1 && text == "-0");
}

int main(int argc, char *argv[]) {
    setName("compare two signed huge integers");
    registerTestlibCmd(argc, argv);
    std::string expected = ans.readWord(), found = ouf.readWord();
    if (!integer(expected)) quitf(_fail, "%s is not a valid integer", compress(expected).c_str());
    if (!integer(found)) quitf(_pe, "%s is not a valid integer", compress(found).c_str());
    if (expected != found) quitf(_wa, "expected '%s', found '%s'", compress(expected).c_str(), compress(found).c_str());
    quitf(_ok, "answer is '%s'", compress(expected).c_str());
}
