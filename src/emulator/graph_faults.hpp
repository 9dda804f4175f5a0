#pragma once
// Injected Graph faults (handover/emulator/faults.hpp): the next K matching calls answer an
// error, per-token call budgets answer throttling codes, and Pages refuse the handover APIs.
// Pure and synchronous like the World; the emulator calls it under the world's lock.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "handover/core/error.hpp"
#include "handover/emulator/faults.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

/// What an injected fault makes of a call.
struct GraphFaultAnswer {
  bool close_connection = false;  ///< Close without answering; `error` is unused then.
  Error error;
  std::vector<std::pair<std::string, std::string>> headers;  ///< Retry-After, BUC usage...
};

/// The call a fault is matched against.
struct GraphCall {
  std::string method;
  std::string edge;  ///< The path's edge, or the node for a node call.
  std::string path;  ///< The request path, "/v19.0/me/messages".
  std::string app_id;
  std::string token;
  std::string page_id;
};

class GraphFaults {
 public:
  /// Replaces every rule; budgets and counts start afresh.
  void set(const Faults& faults);
  /// What is left of the rules (counts as they now stand), for `GET /_emulator/faults`.
  void describe(Faults& into) const;
  /// The injected answer for an authenticated call, if any: the first matching next-K rule
  /// (one of its count is spent), else an exhausted rate limit. `now_ms` is the emulator clock.
  std::optional<GraphFaultAnswer> intercept(const GraphCall& call, std::int64_t now_ms);

 private:
  std::optional<GraphFaultAnswer> throttle(const GraphCall& call, std::int64_t now_ms);

  std::vector<GraphFault> rules_;
  std::vector<RateLimit> limits_;
  std::vector<std::string> disabled_pages_;
  struct Window {
    std::int64_t start_ms = 0;
    std::size_t used = 0;
  };
  std::map<std::pair<std::size_t, std::string>, Window> windows_;  // (limit, token)
};

/// True when `rule` ("/me/messages" or "/v19.0/me/messages") names the request path `path`.
bool pathMatches(const std::string& rule, const std::string& path);

/// The error a fault kind answers with (protocol.md §3).
GraphFaultAnswer faultAnswer(const GraphFault& fault);
/// The throttling error of `code` with the wait left (`Retry-After` and, for the BUC codes,
/// `X-Business-Use-Case-Usage`).
GraphFaultAnswer throttleAnswer(int code, std::chrono::milliseconds wait);

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
