// Stub for "Guess the Number" (Communication, 1 process, std_io): it talks to the manager on
// stdin/stdout and calls the contestant's guess().
//   manager -> stub: n
//   stub -> manager: "? x"   manager -> stub: -1 | 0 | 1
//   stub -> manager: "! y"   (the answer; the stub then exits)
// Anything else from the manager (or EOF) means the interaction is over: the stub exits with
// code 0 so that the manager's verdict stands.
#include "guess.h"

#include <cstdio>
#include <cstdlib>

int ask(int x) {
    printf("? %d\n", x);
    fflush(stdout);
    int reply;
    if (scanf("%d", &reply) != 1 || reply < -1 || reply > 1) exit(0);
    return reply;
}

int main() {
    int n;
    if (scanf("%d", &n) != 1) return 0;
    int answer = guess(n);
    printf("! %d\n", answer);
    fflush(stdout);
    return 0;
}
