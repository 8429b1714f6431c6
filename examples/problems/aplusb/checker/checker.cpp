// Checker for "A + B" (CMS convention):
//   checker <input> <correct_output> <contestant_output>
// stdout line 1: outcome (1 or 0); stderr line 1: message.
//
// The contestant output is what grader.cpp printed (plus whatever the solution printed itself):
//   <output secret> / OK / <answer>      -> compare the answer with the expected one
//   <output secret> / PV / <reason>      -> 0, protocol violation (reason from the grader)
// Anything else - a missing or wrong secret (the solution printed first, or left through
// _exit() before the grader printed), another status, extra output after the answer (the
// solution printed a fake verdict, or the grader's PV followed a fake one) - scores 0.
// Only the first MAX_OUTPUT bytes are read, so huge or binary output is harmless.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

const char* const OUTPUT_SECRET = "zX1mLX7DidLevjch8wEUpdRnPEZgvTmq";
const size_t MAX_OUTPUT = 1 << 16;  // the grader prints < 100 bytes

[[noreturn]] void verdict(double outcome, const std::string& message) {
    printf("%g\n", outcome);
    fprintf(stderr, "%s\n", message.c_str());
    exit(0);
}

[[noreturn]] void fail(const std::string& message) {  // the task data itself is broken
    fprintf(stderr, "checker failure: %s\n", message.c_str());
    exit(1);
}

// Reads at most `limit` bytes; `truncated` tells whether the file is longer.
bool read_file(const char* path, size_t limit, std::string& data, bool& truncated) {
    FILE* f = fopen(path, "rb");
    if (!f) return false;
    data.assign(limit + 1, '\0');
    size_t n = fread(&data[0], 1, limit + 1, f);
    fclose(f);
    truncated = n > limit;
    data.resize(n > limit ? limit : n);
    return true;
}

std::vector<std::string> split_lines(const std::string& data) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start <= data.size()) {
        size_t end = data.find('\n', start);
        if (end == std::string::npos) end = data.size();
        std::string line = data.substr(start, end - start);
        size_t a = 0, b = line.size();
        while (a < b && (line[a] == ' ' || line[a] == '\t' || line[a] == '\r')) a++;
        while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t' || line[b - 1] == '\r')) b--;
        lines.push_back(line.substr(a, b - a));
        start = end + 1;
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();  // trailing blank lines
    return lines;
}

// Strict integer: optional '-', 1..18 digits.
bool parse_int(const std::string& s, long long& value) {
    size_t i = 0;
    bool negative = false;
    if (i < s.size() && s[i] == '-') negative = true, i++;
    if (i == s.size() || s.size() - i > 18) return false;
    long long v = 0;
    for (; i < s.size(); i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    value = negative ? -v : v;
    return true;
}

// Keeps a grader-supplied reason printable and short before echoing it.
std::string sanitize(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (out.size() >= 100) break;
        out += (c >= 32 && c < 127) ? c : '?';
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) fail("usage: checker <input> <correct_output> <contestant_output>");

    std::string data;
    bool truncated = false;
    if (!read_file(argv[2], MAX_OUTPUT, data, truncated)) fail("cannot read the correct output");
    std::vector<std::string> expected = split_lines(data);
    long long answer;
    if (expected.size() < 3 || expected[0] != OUTPUT_SECRET || expected[1] != "OK" || !parse_int(expected[2], answer))
        fail("malformed correct output");

    if (!read_file(argv[3], MAX_OUTPUT, data, truncated)) verdict(0, "Protocol violation: no output");
    if (truncated) verdict(0, "Protocol violation: output too long");
    std::vector<std::string> lines = split_lines(data);

    if (lines.empty() || lines[0] != OUTPUT_SECRET)
        verdict(0, "Protocol violation: wrong or missing output secret");
    if (lines.size() >= 2 && lines[1] == "PV") {
        std::string reason = lines.size() >= 3 ? sanitize(lines[2]) : "no reason given";
        verdict(0, "Protocol violation: " + reason);
    }
    if (lines.size() < 2 || lines[1] != "OK") verdict(0, "Protocol violation: unexpected grader status");
    if (lines.size() > 3) verdict(0, "Protocol violation: unexpected output after the answer");
    long long given;
    if (lines.size() < 3 || !parse_int(lines[2], given)) verdict(0, "translate:wrong");
    if (given != answer) verdict(0, "translate:wrong");
    verdict(1, "translate:success");
}
