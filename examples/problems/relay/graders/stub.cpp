// Stub for "Relay" (Communication, 2 processes, fifo_io):
//   user program <m_to_u> <u_to_m> <index>
// Index 0 runs encode(), index 1 runs decode(); the two never talk to each other, only to
// the manager:
//   manager -> process 0: N, then N digits        process 0 -> manager: K, then K bits
//   manager -> process 1: N K, then K bits        process 1 -> manager: count, then digits
// If the manager sends something malformed (e.g. it ended the test early) or closes the
// channel, the stub exits with code 0, leaving the verdict to the manager.
#include "relay.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

FILE* from_manager;
FILE* to_manager;

// Opens a channel by path; "/proc/self/fd/N" falls back to descriptor N when /proc is absent.
FILE* open_channel(const char* path, const char* mode) {
    FILE* f = fopen(path, mode);
    if (!f && strncmp(path, "/proc/self/fd/", 14) == 0) f = fdopen(atoi(path + 14), mode);
    return f;
}

int read_int(int lo, int hi) {
    int v;
    if (fscanf(from_manager, "%d", &v) != 1 || v < lo || v > hi) exit(0);
    return v;
}

void write_all(const std::vector<int>& values) {
    fprintf(to_manager, "%d\n", (int)values.size());
    for (size_t i = 0; i < values.size(); i++) fprintf(to_manager, i ? " %d" : "%d", values[i]);
    fprintf(to_manager, "\n");
    fflush(to_manager);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s <m_to_u> <u_to_m> <index>\n", argv[0]);
        return 1;
    }
    // Same order as the manager: first the channel from it, then the one to it.
    from_manager = open_channel(argv[1], "r");
    to_manager = open_channel(argv[2], "w");
    if (!from_manager || !to_manager) return 1;
    int index = atoi(argv[3]);
    if (index == 0) {
        int n = read_int(1, 1000000);
        std::vector<int> digits(n);
        for (int& d : digits) d = read_int(0, 9);
        write_all(encode(digits));
    } else {
        int n = read_int(1, 1000000);
        int k = read_int(0, 10000000);
        std::vector<int> bits(k);
        for (int& b : bits) b = read_int(0, 1);
        write_all(decode(n, bits));
    }
    return 0;
}
