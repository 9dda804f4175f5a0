#pragma once
/// @file
/// `FakeHandlers`: what `FakeConnection` and `FakeAsyncConnection` share: one settable callable
/// per Graph call, the log of calls made, and the answer of a call with no callable set.

#include <algorithm>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "handover/client/graph_calls.hpp"
#include "handover/core/error.hpp"
#include "handover/core/export.hpp"
#include "handover/core/result.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace testing {

/// Thread-safety: set the callables before sharing the fake; calls may then come from any number
/// of threads (the callables themselves must tolerate that).
class FakeHandlers {
 public:
  /// The callable behind one call: receives the request as the client passed it.
  template <typename Request, typename Response>
  using CallHandler = std::function<Result<Response>(const Request&)>;

  /// @name Graph calls (one per line of HANDOVER_GRAPH_CALLS)
  /// @{
#define HANDOVER_DETAIL_HANDLER(name_, snake_, Request_, Answer_) \
  CallHandler<Request_, Answer_> on_##snake_;
  /// One `on_<snake_name>` handler per call of `HANDOVER_GRAPH_CALLS`
  /// (`on_pass_thread_control`, `on_get_thread_owner`, ...), run on every call of that name.
  HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_HANDLER)
#undef HANDOVER_DETAIL_HANDLER
  /// @}

  /// Names of the calls made so far, in order ("passThreadControl", ...).
  std::vector<std::string> calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  /// How many times the call named `name` was made.
  std::size_t callCount(std::string_view name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<std::size_t>(std::count(calls_.begin(), calls_.end(), name));
  }

 protected:
  FakeHandlers() = default;
  ~FakeHandlers() = default;
  FakeHandlers(const FakeHandlers&) = delete;
  FakeHandlers& operator=(const FakeHandlers&) = delete;

  /// Records `name`, then runs `handler` (a kTransport error naming the fake and the call when
  /// unset).
  template <typename Request, typename Response>
  Result<Response> answer(const char* fake, const char* name,
                          const CallHandler<Request, Response>& handler, const Request& request) {
    record(name);
    if (handler) return handler(request);
    Error e;
    e.category = ErrorCategory::kTransport;
    e.message = std::string(fake) + ": no handler set for " + name;
    return e;
  }

  /// Adds `name` to the log.
  void record(const char* name) {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.emplace_back(name);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> calls_;
};

}  // namespace testing
HANDOVER_END_NAMESPACE
