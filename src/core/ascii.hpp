#pragma once
// ASCII helpers the library's parsers of HTTP things share (header names, signature prefixes).

#include <string_view>

#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// ASCII case-insensitive equality, for header names and prefixes.
bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept;

}  // namespace detail
HANDOVER_END_NAMESPACE
