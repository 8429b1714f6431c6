// Model solution: packs every 3 digits (a value < 1000) into 10 bits; a final group of
// 2 digits into 7 bits, of 1 digit into 4 bits. Length <= ceil(10N/3).
#include "relay.h"

#include <cstddef>
#include <vector>

namespace {
const int WIDTH[4] = {0, 4, 7, 10};  // bits for a group of 0..3 digits
}

std::vector<int> encode(std::vector<int> digits) {
    std::vector<int> bits;
    for (size_t i = 0; i < digits.size(); i += 3) {
        int len = digits.size() - i < 3 ? digits.size() - i : 3;
        int value = 0;
        for (int j = 0; j < len; j++) value = value * 10 + digits[i + j];
        for (int b = WIDTH[len] - 1; b >= 0; b--) bits.push_back(value >> b & 1);
    }
    return bits;
}

std::vector<int> decode(int N, std::vector<int> bits) {
    std::vector<int> digits;
    size_t pos = 0;
    for (int i = 0; i < N; i += 3) {
        int len = N - i < 3 ? N - i : 3;
        int value = 0;
        for (int b = 0; b < WIDTH[len] && pos < bits.size(); b++) value = value * 2 + bits[pos++];
        int group[3];
        for (int j = len - 1; j >= 0; j--) group[j] = value % 10, value /= 10;
        for (int j = 0; j < len; j++) digits.push_back(group[j]);
    }
    return digits;
}
