// Manager for "Relay" (CMS Communication, 2 processes, fifo_io):
//   manager <u0_to_m> <m_to_u0> <u1_to_m> <m_to_u1> < input
// Input: N L, then the N secret digits as one string.
// 1. Sends N and the digits to process 0 (encoder); reads its message: K (0 <= K <= L), then
//    K bits. Too long a message or a value other than 0/1 ends the test with outcome 0.
// 2. Sends N, K and the bits to process 1 (decoder); reads N digits back.
// Outcome (stdout line 1) / message (stderr line 1): 1 translate:success when the decoder
// returns the secret, else 0 with a reason. Everything the processes send is validated with
// bounded reads; a process that dies or stops early (EOF, EPIPE) gives outcome 0. On an
// early verdict the other process is told to stop (non-blocking, so a process that is not
// reading cannot block the manager). The manager exits with code 0 after a verdict.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>

namespace {

const int PROCESSES = 2;
FILE* from_user[PROCESSES];
FILE* to_user[PROCESSES];

void stop_user(int i) {
    if (!to_user[i]) return;
    int fd = fileno(to_user[i]);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fprintf(to_user[i], "-1\n");  // the stub exits on any out-of-range value
    fclose(to_user[i]);
    to_user[i] = nullptr;
}

[[noreturn]] void verdict(double outcome, const std::string& message) {
    printf("%g\n", outcome);
    fprintf(stderr, "%s\n", message.c_str());
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < PROCESSES; i++) stop_user(i);
    exit(0);
}

const char* const NAMES[PROCESSES] = {"encoder", "decoder"};

// Reads one integer in [lo, hi] from process i: skips whitespace, at most 10 digits, no sign.
long long read_value(int i, long long lo, long long hi, const char* what) {
    FILE* f = from_user[i];
    int c;
    do c = getc(f);
    while (c == ' ' || c == '\n' || c == '\r' || c == '\t');
    if (c == EOF) verdict(0, std::string("The ") + NAMES[i] + " terminated without sending " + what);
    long long v = 0;
    int digits = 0;
    while (c >= '0' && c <= '9') {
        if (++digits > 10) verdict(0, std::string("Protocol violation: number too long from the ") + NAMES[i]);
        v = v * 10 + (c - '0');
        c = getc(f);
    }
    if (digits == 0 || (c != EOF && c != ' ' && c != '\n' && c != '\r' && c != '\t'))
        verdict(0, std::string("Protocol violation: malformed number from the ") + NAMES[i]);
    if (v < lo || v > hi) verdict(0, std::string("Out of range: ") + what + " from the " + NAMES[i]);
    return v;
}

// Opens a channel by path; "/proc/self/fd/N" falls back to descriptor N when /proc is absent.
FILE* open_channel(const char* path, const char* mode) {
    FILE* f = fopen(path, mode);
    if (!f && strncmp(path, "/proc/self/fd/", 14) == 0) f = fdopen(atoi(path + 14), mode);
    return f;
}

void send(int i, const std::string& text) {
    if (fputs(text.c_str(), to_user[i]) < 0 || fflush(to_user[i]) != 0)
        verdict(0, std::string("The ") + NAMES[i] + " terminated unexpectedly (cannot write to it)");
}

std::string join(const std::vector<int>& values) {
    std::string s;
    for (size_t k = 0; k < values.size(); k++) {
        if (k) s += ' ';
        s += std::to_string(values[k]);
    }
    return s + "\n";
}

}  // namespace

int main(int argc, char** argv) {
    signal(SIGPIPE, SIG_IGN);
    int n, limit;
    static char secret_text[1 << 20];
    if (scanf("%d %d %1000000s", &n, &limit, secret_text) != 3 || n < 1 || limit < 0 ||
        std::string(secret_text).size() != (size_t)n) {
        fprintf(stderr, "manager: invalid test input\n");
        return 1;  // the task is broken, not the submission
    }
    if (argc < 1 + 2 * PROCESSES) {
        fprintf(stderr, "usage: manager <u0_to_m> <m_to_u0> <u1_to_m> <m_to_u1>\n");
        return 1;
    }
    std::vector<int> secret(n);
    for (int k = 0; k < n; k++) secret[k] = secret_text[k] - '0';
    // Open each process's input channel first: the stub opens it first too.
    for (int i = 0; i < PROCESSES; i++) {
        to_user[i] = open_channel(argv[2 + 2 * i], "w");
        from_user[i] = open_channel(argv[1 + 2 * i], "r");
        if (!to_user[i] || !from_user[i]) verdict(0, "Cannot open the channels to the user processes");
    }

    // 1. Encoder.
    send(0, std::to_string(n) + "\n" + join(secret));
    int k = (int)read_value(0, 0, 1 << 30, "the message length");
    if (k > limit) verdict(0, "Message too long: " + std::to_string(k) + " bits, at most " + std::to_string(limit));
    std::vector<int> bits(k);
    for (int& b : bits) b = (int)read_value(0, 0, 1, "a message bit");
    stop_user(0);
    fclose(from_user[0]);
    from_user[0] = nullptr;

    // 2. Decoder.
    send(1, std::to_string(n) + " " + std::to_string(k) + "\n" + join(bits));
    int count = (int)read_value(1, 0, 1 << 30, "the number of digits");
    if (count != n) verdict(0, "translate:wrong");
    for (int j = 0; j < n; j++)
        if (read_value(1, 0, 9, "a digit") != secret[j]) verdict(0, "translate:wrong");
    verdict(1, "translate:success");
}
