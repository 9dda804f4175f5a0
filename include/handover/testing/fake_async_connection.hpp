#pragma once
/// @file
/// `FakeAsyncConnection`: an `AsyncConnection` whose every call runs a callable the test sets,
/// so code using `AsyncClient` can be tested without HTTP or threads. No test framework needed.
///
/// @code
///   auto fake = std::make_shared<handover::testing::FakeAsyncConnection>();
///   fake->on_get_thread_owner = [](const handover::GetThreadOwnerRequest&) {
///     return handover::Result<handover::ThreadOwner>(handover::ThreadOwner{"42", {}});
///   };
///   handover::AsyncClient client(fake);
///   assert(client.getThreadOwner({"123"}).get()->isOwnedBy("42"));
///   assert(fake->callCount("getThreadOwner") == 1);
/// @endcode

#include <algorithm>
#include <cstddef>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "handover/client/async_connection.hpp"
#include "handover/core/export.hpp"
#include "handover/testing/fake_handlers.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace testing {

/// Each call records its name, runs its `on_*` callable on the calling thread, then runs the
/// callback and returns a ready future with the same result. An unset callable answers with a
/// kTransport error naming the call. After `shutdown()` every call fails with a kTransport
/// error whose `request_not_sent` is true, as the real connection's do.
///
/// Thread-safety: set the callables before sharing the fake; calls may then come from any
/// number of threads (the callables themselves must tolerate that).
class FakeAsyncConnection : public AsyncConnection, public FakeHandlers {
 public:
  /// What `options()` returns.
  ClientOptions fake_options;

  /// A fake with default options and no handlers set.
  FakeAsyncConnection() = default;
  /// A fake whose `options()` returns `options`; no handlers set.
  explicit FakeAsyncConnection(ClientOptions options) : fake_options(std::move(options)) {}

  /// @name Graph calls (one per line of HANDOVER_GRAPH_CALLS)
  /// @{
#define HANDOVER_DETAIL_OVERRIDE(name_, snake_, Request_, Answer_)                              \
  std::future<Result<Answer_>> name_(const Request_& r, AsyncCallback<Answer_> done) override { \
    return run(#name_, on_##snake_, r, done);                                                   \
  }
  /// Each call records its name ("passThreadControl"), then runs its `on_*` handler.
  HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_OVERRIDE)
#undef HANDOVER_DETAIL_OVERRIDE
  /// @}

  /// Later calls fail at once; there is never anything in flight to settle.
  void shutdown(ShutdownMode) override {
    std::lock_guard<std::mutex> lock(mutex_);
    shut_down_ = true;
  }
  /// Always 0: every call completes before it returns.
  std::size_t pending() const override {
    return 0;
  }
  /// Always 0: no call ever waits for room.
  std::size_t waiting() const override {
    return 0;
  }
  /// Returns `fake_options`.
  const ClientOptions& options() const override {
    return fake_options;
  }

 private:
  template <typename Request, typename Response>
  std::future<Result<Response>> run(const char* name, const CallHandler<Request, Response>& handler,
                                    const Request& request, const AsyncCallback<Response>& done) {
    bool shut_down = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shut_down = shut_down_;
    }
    Result<Response> result =
        shut_down ? refused<Response>(name) : answer("FakeAsyncConnection", name, handler, request);
    if (done) {
      try {
        done(result);
      } catch (...) {  // NOLINT(bugprone-empty-catch): dropped, as the real connection does
      }
    }
    std::promise<Result<Response>> promise;
    promise.set_value(std::move(result));
    return promise.get_future();
  }

  /// After `shutdown()`: recorded, never run, as the real connection refuses it.
  template <typename Response>
  Result<Response> refused(const char* name) {
    record(name);
    Error e;
    e.category = ErrorCategory::kTransport;
    e.message = std::string("FakeAsyncConnection: ") + name + ": the client is shut down";
    e.request_not_sent = true;
    return e;
  }

  mutable std::mutex mutex_;
  bool shut_down_ = false;
};

}  // namespace testing
HANDOVER_END_NAMESPACE
