#pragma once
// Numbers of a webhook body, as RapidJSON hands them over (raw text, so ids stay exact): the
// parser's number layer. Timestamps and ids are decimal integers of up to 19 digits; the common
// ones (up to 16 digits) are decoded eight digits at a time (SWAR), longer ones digit by digit
// with an exact overflow check. tests/webhook/parse_numbers_test.cpp covers both paths.

#include <cstddef>
#include <cstdint>

#include "little_endian.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {

inline bool allDigits(const char* s, std::size_t n) {
  if (n == 0) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// Eight ASCII digits, first in the lowest byte, to their value (SWAR: a handful of multiplies
// instead of a loop with a branch per digit); false if a byte is not a digit.
inline bool eightDigits(std::uint64_t w, std::uint64_t& out) noexcept {
  // A digit byte is 0x3N with N+6 still below 0x10. A carry out of a byte needs a byte >= 0xFA,
  // which already fails its own test.
  constexpr std::uint64_t kHigh = 0xF0F0F0F0F0F0F0F0ULL;
  if (((w & kHigh) | (((w + 0x0606060606060606ULL) & kHigh) >> 4)) != 0x3333333333333333ULL) {
    return false;
  }
  w -= 0x3030303030303030ULL;
  w = w * 10 + (w >> 8);
  w = (((w & 0x000000FF000000FFULL) * 0x000F424000000064ULL) +
       (((w >> 16) & 0x000000FF000000FFULL) * 0x0000271000000001ULL)) >>
      32;
  out = w & 0xFFFFFFFFULL;
  return true;
}

// k (1..8) digits at p, which has 8 readable bytes: placed last in the word, '0's before.
inline bool fewDigits(const char* p, std::size_t k, std::uint64_t& out) noexcept {
  std::uint64_t w = loadLittleEndian64(p);
  if (k < 8) w = (w << (8 * (8 - k))) | (0x3030303030303030ULL >> (8 * k));
  return eightDigits(w, out);
}

inline constexpr std::uint64_t kPow10[9] = {1,      10,      100,      1000,     10000,
                                            100000, 1000000, 10000000, 100000000};

// `s` is a number in the parse buffer: 16 bytes from it are readable.
inline bool toInt64(const char* s, std::size_t n, std::int64_t& out) {
  const bool negative = n > 0 && s[0] == '-';
  if (negative) {
    ++s;
    --n;
  }
  if (n == 0) return false;
  std::uint64_t v = 0;
  if (n <= 16) {  // epoch milliseconds have 13 digits; 16 never overflow
    std::uint64_t hi = 0, lo = 0;
    if (n <= 8) {
      if (!fewDigits(s, n, v)) return false;
    } else {
      if (!fewDigits(s, 8, hi) || !fewDigits(s + 8, n - 8, lo)) return false;
      v = hi * kPow10[n - 8] + lo;
    }
    out = negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
    return true;
  }
  // 18 digits never overflow; only longer numbers pay for the exact check.
  const std::size_t fast = n < 18 ? n : 18;
  for (std::size_t i = 0; i < fast; ++i) {
    const auto d = static_cast<std::uint64_t>(static_cast<unsigned char>(s[i]) - '0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  const std::uint64_t limit =
      negative ? std::uint64_t{1} << 63 : static_cast<std::uint64_t>(INT64_MAX);
  for (std::size_t i = fast; i < n; ++i) {
    const auto d = static_cast<std::uint64_t>(static_cast<unsigned char>(s[i]) - '0');
    if (d > 9 || v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  out = negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
  return true;
}

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
