// Manager for "Guess the Number" (CMS Communication, 1 process):
//   manager <u0_to_m> <m_to_u0> < input
// Input: n hidden full_limit max_limit.
// Protocol (text, one message per line), see stub.cpp:
//   -> user: n;  user -> "? x" (1 <= x <= n) -> user: -1 | 0 | 1;  user -> "! y" ends it.
// Outcome (stdout line 1) and message (stderr line 1):
//   right answer with <= full_limit queries                -> 1    translate:success
//   right answer with full_limit < queries <= max_limit    -> 0.5  translate:partial
//   wrong answer, query number max_limit + 1, an invalid message, or the user process
//   ending (EOF) before answering                          -> 0    with a reason
// Nothing the user sends is trusted: tokens are read with a length bound, numbers are
// range-checked, and a dead or silent user (EOF, EPIPE) ends the test with outcome 0.
// The manager always exits with code 0 once it has printed a verdict.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>

namespace {

FILE* from_user = nullptr;
FILE* to_user = nullptr;

[[noreturn]] void verdict(double outcome, const char* message) {
    printf("%g\n", outcome);
    fprintf(stderr, "%s\n", message);
    fflush(stdout);
    fflush(stderr);
    if (to_user) {
        // Tell the stub the interaction is over (it exits on any unexpected reply), so it ends
        // even if someone else still holds the channel open. Non-blocking, errors ignored: the
        // user may be gone already or not reading.
        fcntl(fileno(to_user), F_SETFL, fcntl(fileno(to_user), F_GETFL) | O_NONBLOCK);
        fprintf(to_user, "-9\n");
        fflush(to_user);
    }
    exit(0);
}

// One whitespace-separated token of at most 24 characters; false at EOF or if longer.
bool read_token(FILE* f, std::string& token) {
    token.clear();
    int c;
    do c = getc(f);
    while (c == ' ' || c == '\n' || c == '\r' || c == '\t');
    while (c != EOF && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        if (token.size() >= 24) return false;
        token += (char)c;
        c = getc(f);
    }
    return !token.empty();
}

// Strict decimal integer (optional '-', at most 18 digits).
bool parse_int(const std::string& s, long long& value) {
    size_t i = (s[0] == '-') ? 1 : 0;
    if (i == s.size() || s.size() - i > 18) return false;
    long long v = 0;
    for (; i < s.size(); i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    value = s[0] == '-' ? -v : v;
    return true;
}

// Opens a channel by path; "/proc/self/fd/N" falls back to descriptor N when /proc is absent.
FILE* open_channel(const char* path, const char* mode) {
    FILE* f = fopen(path, mode);
    if (!f && strncmp(path, "/proc/self/fd/", 14) == 0) f = fdopen(atoi(path + 14), mode);
    return f;
}

void send(long long value) {
    if (fprintf(to_user, "%lld\n", value) < 0 || fflush(to_user) != 0)
        verdict(0, "User program terminated unexpectedly (cannot write to it)");
}

}  // namespace

int main(int argc, char** argv) {
    signal(SIGPIPE, SIG_IGN);
    long long n, hidden, full_limit, max_limit;
    if (scanf("%lld %lld %lld %lld", &n, &hidden, &full_limit, &max_limit) != 4 || n < 1 || hidden < 1 ||
        hidden > n || full_limit < 0 || max_limit < full_limit) {
        fprintf(stderr, "manager: invalid test input\n");
        return 1;  // the task is broken, not the submission
    }
    if (argc < 3) {
        fprintf(stderr, "usage: manager <u0_to_m> <m_to_u0>\n");
        return 1;
    }
    // Open the channel to the user first: it opens its stdin (our m_to_u0) first.
    to_user = open_channel(argv[2], "w");
    from_user = open_channel(argv[1], "r");
    if (!to_user || !from_user) verdict(0, "Cannot open the channels to the user program");

    send(n);
    long long queries = 0;
    std::string token;
    while (true) {
        if (!read_token(from_user, token)) {
            if (feof(from_user) || ferror(from_user)) verdict(0, "User program terminated without answering");
            verdict(0, "Protocol violation: malformed message");
        }
        if (token != "?" && token != "!") verdict(0, "Protocol violation: unknown message");
        long long x;
        std::string number;
        if (!read_token(from_user, number) || !parse_int(number, x))
            verdict(0, "Protocol violation: malformed number");
        if (token == "!") {
            if (x != hidden) verdict(0, "translate:wrong");
            if (queries <= full_limit) verdict(1, "translate:success");
            verdict(0.5, "translate:partial");
        }
        if (x < 1 || x > n) verdict(0, "Invalid query: out of range");
        if (++queries > max_limit) verdict(0, "Too many queries");
        send(x == hidden ? 0 : (hidden > x ? 1 : -1));
    }
}
