#pragma once
// What Graph accepts as an id and as text, checked where a request enters the emulator (the
// Graph surface, the control API and the C++ user actions), so that no thread is made for an id
// Graph would not know and the timeline stays valid UTF-8.

#include <cstddef>
#include <string_view>

#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

/// Page-scoped and Instagram-scoped ids are decimal digits; Graph answers 100/2018001 for others.
inline constexpr std::size_t kMaxIdDigits = 32;
/// The Send API's bound on `message.text`, in characters (code points).
inline constexpr std::size_t kMaxTextChars = 2000;

inline bool isValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdDigits) return false;
  for (char c : id) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

/// Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) without
/// NUL bytes; `chars` receives the number of code points.
inline bool isValidUtf8(std::string_view s, std::size_t* chars = nullptr) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (b == 0) return false;
    if (b < 0x80) {
      len = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;  // overlong
      if (b == 0xED) hi = 0x9F;  // surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;  // overlong
      if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (c < (k == 1 ? lo : 0x80u) || c > (k == 1 ? hi : 0xBFu)) return false;
    }
    i += len;
  }
  if (chars) *chars = n;
  return true;
}

/// Valid UTF-8 of at most `max_chars` code points.
inline bool isValidText(std::string_view s, std::size_t max_chars = kMaxTextChars) {
  std::size_t chars = 0;
  return isValidUtf8(s, &chars) && chars <= max_chars;
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
