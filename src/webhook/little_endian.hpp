#pragma once
// Word-at-a-time reads of the parse buffer (keys, numbers) treat byte i of a word as its bits
// 8i..8i+7. Assembling the word from its bytes says so on any host, with no branch per byte
// order: GCC and Clang turn it into one plain load on little-endian targets (every CI stage)
// and a load plus a byte swap on big-endian ones.

#include <cstdint>

#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {

inline std::uint64_t loadLittleEndian64(const char* p) noexcept {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return std::uint64_t{b[0]} | std::uint64_t{b[1]} << 8 | std::uint64_t{b[2]} << 16 |
         std::uint64_t{b[3]} << 24 | std::uint64_t{b[4]} << 32 | std::uint64_t{b[5]} << 40 |
         std::uint64_t{b[6]} << 48 | std::uint64_t{b[7]} << 56;
}

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
