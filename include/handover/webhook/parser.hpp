#pragma once
/// @file
/// `parse`: a webhook POST body to a typed `Batch`, in one SAX pass.
///
/// @code
///   auto batch = handover::webhook::parse(raw_body);
///   if (!batch) return 400;  // batch.error().offset: where the JSON broke
///   for (const auto& e : batch->events) { ... }
///   for (const auto& bad : batch->errors) { log(bad.message); }  // per-event problems
/// @endcode
///
/// Thread-safety: `parse` is reentrant.

#include <cstddef>
#include <string_view>

#include "handover/result.hpp"
#include "handover/webhook/events.hpp"

namespace handover::webhook {

/// Limits that bound the work hostile input can cause.
struct ParseOptions {
  std::size_t max_body_bytes = std::size_t{1} << 20;  ///< Larger bodies are refused before parsing.
  std::size_t max_depth = 64;                         ///< Deepest JSON nesting accepted.
};

/// Parses a webhook body.
///
/// Returns an `ErrorCategory::kParse` error (with `offset`) when the body is not valid UTF-8
/// JSON, is too large or too deep, or its envelope (`object`, `entry[]`) is not the expected
/// shape. A malformed event inside a valid body lands in `Batch::errors`, the others in
/// `Batch::events`; an event of a kind this version does not know becomes `Unknown`.
/// The dashboard's `entry[].changes[]` test payload lands in `Batch::changes`.
Result<Batch> parse(std::string_view body, const ParseOptions& options = {});

}  // namespace handover::webhook
