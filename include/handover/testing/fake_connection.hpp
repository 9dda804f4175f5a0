#pragma once
/// @file
/// `FakeConnection`: a `Connection` whose every call runs a callable the test sets, so code
/// using `Client` can be tested without HTTP at all. No test framework needed.
///
/// @code
///   auto fake = std::make_shared<handover::testing::FakeConnection>();
///   fake->on_get_thread_owner = [](const handover::GetThreadOwnerRequest&) {
///     return handover::Result<handover::ThreadOwner>(handover::ThreadOwner{"42", {}});
///   };
///   handover::Client client(fake);
///   assert(client.getThreadOwner("123")->isOwnedBy("42"));
///   assert(fake->callCount("getThreadOwner") == 1);
/// @endcode

#include <algorithm>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "handover/connection.hpp"
#include "handover/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace testing {

/// Each call runs its `on_*` callable; an unset one answers with a kTransport error naming the
/// call. Every call's name is recorded in order.
///
/// Thread-safety: set the callables before sharing the fake; calls may then come from any
/// number of threads (the callables themselves must tolerate that).
class FakeConnection : public Connection {
 public:
  /// The callable behind one call: receives the request as the client built it.
  template <typename Request, typename Response>
  using Handler = std::function<Result<Response>(const Request&)>;

  /// One `on_<snake_name>` handler per call of `HANDOVER_GRAPH_CALLS`
  /// (`on_pass_thread_control`, `on_get_thread_owner`, ...), run on every call of that name.
#define HANDOVER_DETAIL_HANDLER(name_, snake_, Request_, Answer_) \
  Handler<Request_, Answer_> on_##snake_;
  HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_HANDLER)
#undef HANDOVER_DETAIL_HANDLER

  /// What `options()` returns (set `app_id` for `Client::threadOwnership`).
  ClientOptions fake_options;

  /// A fake with default options (empty `app_id`) and no handlers set.
  FakeConnection() = default;
  /// A fake whose `options()` returns `options`; no handlers set.
  explicit FakeConnection(ClientOptions options) : fake_options(std::move(options)) {}

  /// Each call records its name ("passThreadControl"), then runs its `on_*` handler.
#define HANDOVER_DETAIL_OVERRIDE(name_, snake_, Request_, Answer_) \
  Result<Answer_> name_(const Request_& r) override {              \
    return run(#name_, on_##snake_, r);                            \
  }
  HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_OVERRIDE)
#undef HANDOVER_DETAIL_OVERRIDE

  /// Returns `fake_options`.
  const ClientOptions& options() const override {
    return fake_options;
  }

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

 private:
  template <typename Request, typename Response>
  Result<Response> run(const char* name, const Handler<Request, Response>& handler,
                       const Request& request) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_.emplace_back(name);
    }
    if (handler) return handler(request);
    Error e;
    e.category = ErrorCategory::kTransport;
    e.message = std::string("FakeConnection: no handler set for ") + name;
    return e;
  }

  mutable std::mutex mutex_;
  std::vector<std::string> calls_;
};

}  // namespace testing
HANDOVER_END_NAMESPACE
