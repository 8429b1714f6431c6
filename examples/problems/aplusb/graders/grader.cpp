// Grader for "A + B" (IOI 2024 practice), written from the task's published behaviour.
//
// Input:  <input secret>\n A B\n
// Output: <output secret>\n OK\n <sum(A, B)>\n
//      or <output secret>\n PV\n <reason>\n   (protocol violation: the checker scores it 0)
//
// Hardening (the contestant's code is linked into this program):
//  - the secrets are stored XOR-scrambled and decoded into a stack buffer only while they are
//    used, so scanning the executable or the process memory from sum() does not reveal them;
//  - an atexit handler catches a solution that calls exit() itself and reports "PV";
//  - _exit()/quick_exit()/a crash bypass atexit: the output then lacks the grader's lines
//    (nothing is printed before sum() returns), which the checker scores 0.
#include "aplusb.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

const int SECRET_LEN = 32;
const unsigned char IN_SECRET[SECRET_LEN] = {
    0x0e, 0x1e, 0x16, 0x3c, 0x5a, 0x93, 0x9a, 0xa8, 0xd0, 0x3d, 0x1c, 0x54, 0x76, 0x4a, 0xa8, 0x91,
    0xc1, 0xdd, 0x05, 0x4a, 0x52, 0x61, 0x4d, 0x91, 0xa9, 0xed, 0xdf, 0x21, 0x3b, 0x58, 0x04, 0xa8};
const unsigned char OUT_SECRET[SECRET_LEN] = {
    0x20, 0x1f, 0x51, 0x60, 0x62, 0x93, 0xc3, 0xd5, 0xdb, 0x3b, 0x34, 0x00, 0x70, 0x49, 0xaf, 0x81,
    0xb2, 0xc0, 0x15, 0x28, 0x6e, 0x5f, 0x76, 0xaf, 0xb2, 0xca, 0xf2, 0x32, 0x00, 0x47, 0x51, 0xa8};
// volatile: keeps the compiler from folding the decoded text into the binary.
volatile unsigned char scramble_key = 0x5A;

// Decodes a secret into `out` (SECRET_LEN + 1 bytes, NUL-terminated).
void decode(const unsigned char* scrambled, char* out) {
    for (int i = 0; i < SECRET_LEN; i++)
        out[i] = (char)(scrambled[i] ^ scramble_key ^ (unsigned char)(i * 29));
    out[SECRET_LEN] = '\0';
}

void wipe(char* buf) {
    volatile char* p = buf;
    for (int i = 0; i <= SECRET_LEN; i++) p[i] = 0;
}

bool finished = false;  // set once the grader has printed its verdict

void print_result(const char* status, const char* line) {
    char secret[SECRET_LEN + 1];
    decode(OUT_SECRET, secret);
    printf("%s\n%s\n%s\n", secret, status, line);
    fflush(stdout);
    wipe(secret);
    finished = true;
}

void protocol_violation(const char* reason) {
    print_result("PV", reason);
}

// Runs at exit(); before the verdict is printed that can only be the solution calling exit().
void exit_handler() {
    if (!finished) protocol_violation("Solution called exit()");
}

}  // namespace

int main() {
    char expected[SECRET_LEN + 1];
    char line[SECRET_LEN + 2];
    decode(IN_SECRET, expected);
    bool ok = scanf("%33s", line) == 1 && strcmp(line, expected) == 0;
    wipe(expected);
    if (!ok) {
        protocol_violation("Possible tampering with the input");
        return 0;
    }
    int A, B;
    if (scanf("%d %d", &A, &B) != 2) {
        protocol_violation("Possible tampering with the input");
        return 0;
    }
    atexit(exit_handler);
    int result = sum(A, B);
    char text[16];
    snprintf(text, sizeof text, "%d", result);
    print_result("OK", text);
    return 0;
}
