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

#include "handover/client/connection.hpp"
#include "handover/core/export.hpp"
#include "handover/testing/fake_handlers.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace testing {

/// Each call runs its `on_*` callable; an unset one answers with a kTransport error naming the
/// call. Every call's name is recorded in order.
///
/// Thread-safety: set the callables before sharing the fake; calls may then come from any
/// number of threads (the callables themselves must tolerate that).
class FakeConnection : public Connection, public FakeHandlers {
 public:
  /// What `options()` returns (set `app_id` for `Client::threadOwnership`).
  ClientOptions fake_options;

  /// A fake with default options (empty `app_id`) and no handlers set.
  FakeConnection() = default;
  /// A fake whose `options()` returns `options`; no handlers set.
  explicit FakeConnection(ClientOptions options) : fake_options(std::move(options)) {}

  /// @name Graph calls (one per line of HANDOVER_GRAPH_CALLS)
  /// @{
#define HANDOVER_DETAIL_OVERRIDE(name_, snake_, Request_, Answer_) \
  Result<Answer_> name_(const Request_& r) override {              \
    return answer("FakeConnection", #name_, on_##snake_, r);       \
  }
  /// Each call records its name ("passThreadControl"), then runs its `on_*` handler.
  HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_OVERRIDE)
#undef HANDOVER_DETAIL_OVERRIDE
  /// @}

  /// Returns `fake_options`.
  const ClientOptions& options() const override {
    return fake_options;
  }
};

}  // namespace testing
HANDOVER_END_NAMESPACE
