#include "input_checks.hpp"

#include <cstdint>
#include <cstring>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {
namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

bool isContinuation(unsigned char c) noexcept {
  return (c & 0xC0) == 0x80;
}

// Length of the well-formed sequence starting at a lead byte >= 0x80 (Unicode Table 3-7), or 0.
std::size_t sequenceLength(const unsigned char* p, std::size_t left) noexcept {
  const unsigned char c = p[0];
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && isContinuation(p[1]) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3) return 0;
    // E0 needs A0..BF (no overlongs); ED needs 80..9F (no surrogates).
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    return p[1] >= lo && p[1] <= hi && isContinuation(p[2]) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4) return 0;
    // F0 needs 90..BF (no overlongs); F4 needs 80..8F (nothing above U+10FFFF).
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    return p[1] >= lo && p[1] <= hi && isContinuation(p[2]) && isContinuation(p[3]) ? 4 : 0;
  }
  return 0;  // a stray continuation byte, C0/C1 (overlong), or F5..FF
}

int hexValue(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of `\uXXXX` at `at` (the backslash), or -1 when it is not one.
long escapedUnit(std::string_view s, std::size_t at) noexcept {
  if (at + 6 > s.size() || s[at + 1] != 'u') return -1;
  long v = 0;
  for (std::size_t i = at + 2; i < at + 6; ++i) {
    const int h = hexValue(s[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

}  // namespace

std::optional<std::size_t> firstInvalidUtf8(std::string_view bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    // Runs of ASCII, a word at a time: the common case for Meta's bodies.
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + i, sizeof w);
      if ((w & kHighBits) != 0) break;
      i += 8;
    }
    // The high byte lies within the next eight (or the tail is shorter than a word).
    while (i < n && p[i] < 0x80) ++i;
    if (i >= n) break;
    const std::size_t len = sequenceLength(p + i, n - i);
    if (len == 0) return i;
    i += len;
  }
  return std::nullopt;
}

std::optional<std::size_t> firstLoneLowSurrogate(std::string_view json) noexcept {
  std::size_t after_high = std::string_view::npos;  // where a high surrogate escape ended
  std::size_t i = 0;
  while (i < json.size()) {
    const void* hit = std::memchr(json.data() + i, '\\', json.size() - i);
    if (hit == nullptr) break;
    i = static_cast<std::size_t>(static_cast<const char*>(hit) - json.data());
    const long unit = escapedUnit(json, i);
    if (unit >= 0xDC00 && unit <= 0xDFFF && after_high != i) return i;
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      after_high = i + 6;
    }
    i += unit >= 0 ? 6 : 2;  // `\\` and `\"` take their second byte with them
  }
  return std::nullopt;
}

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
