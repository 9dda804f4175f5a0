#pragma once
// The first layer of the webhook parser: checks over the raw body bytes that RapidJSON is not
// asked to do (its byte-by-byte UTF-8 validation costs a third of a parse; Meta's bodies are
// almost all ASCII) or does not do (it accepts a lone low-surrogate escape and emits bytes that
// are not UTF-8). Each returns the offset of the first offending byte, or nullopt.

#include <cstddef>
#include <optional>
#include <string_view>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {

/// The first byte that does not belong to well-formed UTF-8 (RFC 3629: shortest form, no
/// surrogates, at most U+10FFFF). ASCII is checked eight bytes at a time.
std::optional<std::size_t> firstInvalidUtf8(std::string_view bytes) noexcept;

/// The backslash of the first `\uDC00`..`\uDFFF` escape that does not directly follow a
/// `\uD800`..`\uDBFF` escape. (RapidJSON already refuses a high surrogate without its pair.)
std::optional<std::size_t> firstLoneLowSurrogate(std::string_view json) noexcept;

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
