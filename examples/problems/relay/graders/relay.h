#ifndef RELAY_H
#define RELAY_H

#include <vector>

// Process 0: receives the secret, N decimal digits (each 0..9), and returns the message: a
// sequence of bits (each 0 or 1) of length at most L (L = 4N in subtask 1, ceil(10N/3) in
// subtask 2).
std::vector<int> encode(std::vector<int> digits);

// Process 1: receives N and the message produced by encode() and returns the N digits.
std::vector<int> decode(int N, std::vector<int> bits);

#endif
