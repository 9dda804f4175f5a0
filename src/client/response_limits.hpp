#pragma once
// The one cap on a Graph answer, shared by both engines' downloads and the JSON parse, so a body
// that would be refused is never downloaded first.

#include <cstddef>

#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// A Graph answer larger than this aborts its transfer and is never parsed: the largest answer
/// of any call in the table (a thread owner, a receivers list) is a few kilobytes.
inline constexpr std::size_t kMaxResponseBytes = 4u << 20;

}  // namespace detail
HANDOVER_END_NAMESPACE
