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
#include "handover/core/export.hpp"

#include "handover/core/result.hpp"
#include "handover/webhook/events.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

/// Limits that bound the work hostile input can cause.
///
/// Memory: a parse holds a copy of the body plus its events; events, event errors and dashboard
/// `changes` items together are capped at `max_events`, so a body of empty items cannot grow
/// the result beyond about `max_events` x `sizeof(Event)` plus the strings it carries.
struct ParseOptions {
  std::size_t max_body_bytes = std::size_t{1} << 20;  ///< Larger bodies are refused before parsing.
  std::size_t max_depth = 64;                         ///< Deepest JSON nesting accepted.
  /// Most events (plus unreadable events and `changes` items) one body may carry. Meta batches
  /// a few dozen at most; more is refused as a whole.
  std::size_t max_events = 10000;
};

/// Parses a webhook body.
///
/// Returns an `ErrorCategory::kParse` error (with `offset`) when the body is not exactly one
/// valid UTF-8 JSON value (any byte after it other than JSON whitespace is refused, a NUL byte
/// included; so are lone surrogate escapes), has a duplicate key in any object the parser
/// reads, is too large, too deep or carries too many events, or its envelope (`object`,
/// `entry[]`) is not the expected shape. A malformed event inside a valid body lands in
/// `Batch::errors`, the others in `Batch::events`; an event of a kind this version does not know
/// becomes `Unknown`. The dashboard's `entry[].changes[]` test payload lands in `Batch::changes`.
HANDOVER_EXPORT Result<Batch> parse(std::string_view body, const ParseOptions& options = {});

/// What `validate` learnt of a body without keeping its events.
struct BodySummary {
  std::size_t events = 0;        ///< Events `parse` would return (`Batch::events`).
  std::size_t event_errors = 0;  ///< Unreadable events and entries (`Batch::errors`).
  std::size_t changes = 0;       ///< Dashboard `changes` items (`Batch::changes`).
  /// The App Dashboard's test payload: `changes` and no event (`Batch::isDashboardTest`).
  bool isDashboardTest() const noexcept { return changes > 0 && events == 0; }
};

/// Decides what `parse` decides, without building events: the same error for exactly the
/// bodies `parse` refuses (one pass of the same state machine, every event read into one
/// scratch event), else counts. For a server's HTTP side, which must choose 400 or 200 before
/// queueing the raw body that a worker will `parse`.
HANDOVER_EXPORT Result<BodySummary> validate(std::string_view body,
                                             const ParseOptions& options = {});

}  // namespace webhook
HANDOVER_END_NAMESPACE
