#ifndef GUESS_H
#define GUESS_H

// Implemented by the contestant: find the hidden number, which is in [1, n], and return it.
int guess(int n);

// Provided by the stub: compares x (1 <= x <= n) with the hidden number.
// Returns 0 if x is the hidden number, 1 if the hidden number is larger than x,
// -1 if it is smaller.
int ask(int x);

#endif
