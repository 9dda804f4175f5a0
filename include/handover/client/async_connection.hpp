#pragma once
/// @file
/// `AsyncConnection`: the interface behind `AsyncClient`, one virtual per Graph call, like
/// `Connection` behind `Client`. The production one drives libcurl's multi interface on one loop
/// thread (`makeAsyncConnection`); `testing::FakeAsyncConnection` lets users script results.

#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <utility>
#include "handover/core/export.hpp"

#include "handover/client/graph_calls.hpp"
#include "handover/client/options.hpp"
#include "handover/core/result.hpp"

HANDOVER_BEGIN_NAMESPACE

/// Called once with a call's outcome. For the production connection it runs on the loop
/// thread: it must not block for long; it may make new calls (they never block). Exceptions it
/// throws are dropped. A call refused before it is queued (invalid input, shut down, full with
/// `WhenFull::kReject`) runs it on the calling thread before the call returns.
template <typename T>
using AsyncCallback = std::function<void(const Result<T>&)>;

/// How `shutdown()` settles the calls already accepted.
enum class ShutdownMode {
  kDrain,   ///< Finish every accepted call (retries included, within each deadline).
  kCancel,  ///< Fail every call not finished yet with a kTransport error ("shut down").
};

namespace detail {
/// What an async call answers when its class does not override it: a ready future, and
/// `done` run on the calling thread, like any call refused before it is queued.
template <typename T>
std::future<Result<T>> unimplementedAsyncCall(const char* call, AsyncCallback<T> done) {
  std::promise<Result<T>> promise;
  Result<T> result = unimplementedCall(call, "AsyncConnection");
  const AsyncCallback<T> callback = std::move(done);
  if (callback) {
    try {
      callback(result);
    } catch (...) {  // dropped, as the production connection drops them
    }
  }
  promise.set_value(std::move(result));
  return promise.get_future();
}
}  // namespace detail

/// Options of the production `AsyncConnection`.
struct AsyncClientOptions {
  /// Token, page, API version, base URL, retry policy, deadline, attempt timeout and the clock's
  /// `now` and `jitter`. Two fields have no meaning here and are refused (every call fails with
  /// kInvalidArgument naming the field) rather than ignored: `transport` (the async client
  /// always speaks libcurl's multi interface) and `clock.sleep` (waits are timers on the loop).
  ClientOptions client;
  /// TLS, proxy, connect timeout, user agent; `max_pooled_handles` bounds reused easy handles.
  /// Each attempt is bounded by `client.attempt_timeout`, as in the sync client.
  CurlOptions curl;
  /// Transfers on the wire at once (also the bound on open connections to one host).
  std::size_t max_in_flight = 64;
  /// Calls accepted and not yet completed, in flight or waiting; at least `max_in_flight`.
  std::size_t max_pending = 1024;
  /// What a call does when `max_pending` calls are outstanding.
  enum class WhenFull {
    kBlock,   ///< Wait until a call completes (calls from a completion callback never wait).
    kReject,  ///< Fail at once: kTransport with `request_not_sent` set.
  } when_full = WhenFull::kBlock;  ///< What a call does when full; kBlock by default.
};

/// One method per call; each returns a future and also runs `done` (when set) with the same
/// result. Implementations are safe to call from many threads at once and never leave a call
/// without an answer.
class HANDOVER_EXPORT AsyncConnection {
 public:
  virtual ~AsyncConnection() = default;

  /// @name Graph calls (one per line of HANDOVER_GRAPH_CALLS)
  /// @{
  // Types cannot be parenthesised in a declaration.
  // NOLINTBEGIN(bugprone-macro-parentheses)
#define HANDOVER_DETAIL_VIRTUAL(name_, snake_, Request_, Answer_)            \
  virtual std::future<Result<Answer_>> name_(const Request_& /*request*/,    \
                                             AsyncCallback<Answer_> done) {  \
    return detail::unimplementedAsyncCall<Answer_>(#name_, std::move(done)); \
  }
  /// One virtual per line of `HANDOVER_GRAPH_CALLS`, e.g.
  /// `std::future<Result<ThreadOwner>> getThreadOwner(const GetThreadOwnerRequest&,
  /// AsyncCallback<ThreadOwner>)`; the same validation, retries, deadline and errors as the
  /// synchronous `Connection`. Each has a default body that answers
  /// `ErrorCategory::kUnimplemented` (and runs `done` with it), so a decorator or mock written
  /// today still compiles when a call is added.
  HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_VIRTUAL)
#undef HANDOVER_DETAIL_VIRTUAL
  /// @}
  // NOLINTEND(bugprone-macro-parentheses)

  /// Stops accepting calls (later calls fail at once), settles every accepted one as `mode`
  /// says, and waits for that. Idempotent; must not wait when called from a callback.
  virtual void shutdown(ShutdownMode mode) = 0;
  /// Calls accepted and not yet completed.
  virtual std::size_t pending() const = 0;
  /// Callers blocked in a call until a pending one completes (`WhenFull::kBlock`).
  virtual std::size_t waiting() const = 0;
  /// The options this connection was made with (tokens included: do not print).
  virtual const ClientOptions& options() const = 0;
};

/// The production connection: one libcurl multi handle and one loop thread, started here.
/// Destroying it is `shutdown(ShutdownMode::kDrain)`. Missing options (`access_token`...)
/// surface as kInvalidArgument on each call. Throws std::runtime_error only when libcurl
/// cannot be initialised.
HANDOVER_EXPORT std::shared_ptr<AsyncConnection> makeAsyncConnection(AsyncClientOptions options);

HANDOVER_END_NAMESPACE
