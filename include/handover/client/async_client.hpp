#pragma once
/// @file
/// `AsyncClient`: thread-control calls for high fan-out (a live-chat platform serving thousands
/// of Pages) without a thread per call. A cheap-to-copy value over a shared `AsyncConnection`,
/// as `Client` is over `Connection`: the production connection's one event-loop thread drives
/// libcurl's multi interface; calls return a `std::future` and may also take a callback.
///
/// @code
///   handover::AsyncClientOptions opts;
///   opts.client.access_token = token;
///   opts.max_in_flight = 64;
///   handover::AsyncClient client(opts);
///   auto done = client.passThreadControl({psid, std::string(handover::kPageInboxAppId), ""});
///   client.takeThreadControl({other_psid, ""},
///   [](handover::Result<handover::TakeThreadControlResponse> r) {
///     if (!r) log(r.error().toString());  // runs on the client's loop thread: keep it short
///   });
///   if (auto r = done.get(); !r) std::cerr << r.error().toString() << "\n";
/// @endcode
///
/// Semantics match `Client`: the same validation, request bodies, `appsecret_proof`, retry policy
/// (bounded attempts, backoff with jitter, `Retry-After`, POSTs retried only when never sent
/// unless opted in), overall deadline and typed errors, with no secret in any error.
///
/// Back-pressure: at most `max_in_flight` transfers are on the wire; at most `max_pending` calls
/// are accepted and not yet completed. A call made while `max_pending` are outstanding blocks
/// until one completes (or, with `WhenFull::kReject`, fails at once with a kTransport error whose
/// `request_not_sent` is true). Calls made from a completion callback never block.
///
/// Shutdown: `shutdown()` (and dropping the last copy) stop accepting calls, then complete every
/// accepted call (`kDrain`, each bounded by its deadline) or fail those not finished
/// (`kCancel`); no call is ever left without an answer. Never drop the last copy of a client
/// from inside one of its callbacks (the loop thread cannot join itself).
///
/// Every call of `Client` is here (one per line of `HANDOVER_GRAPH_CALLS`), built and read by
/// the same call table, so both clients send the same requests and return the same errors.
///
/// Thread-safety: every method may be called from any number of threads at once.

#include <cstddef>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include "handover/core/export.hpp"

#include "handover/client/async_connection.hpp"

HANDOVER_BEGIN_NAMESPACE

/// Asynchronous Graph API client: every call of `Client`, with futures and callbacks.
class HANDOVER_EXPORT AsyncClient {
 public:
  /// The callback type of every call (see `AsyncCallback`).
  template <typename T>
  using Callback = AsyncCallback<T>;
  /// How `shutdown()` settles accepted calls.
  using ShutdownMode = handover::ShutdownMode;

  /// A client over the production connection made from `options` (starts its loop thread).
  explicit AsyncClient(AsyncClientOptions options)
      : connection_(makeAsyncConnection(std::move(options))) {}
  /// A client over any connection (a fake in tests, a decorator...).
  explicit AsyncClient(std::shared_ptr<AsyncConnection> connection)
      : connection_(std::move(connection)) {}

  /// @name Graph calls (one per line of HANDOVER_GRAPH_CALLS)
  /// @{
#define HANDOVER_DETAIL_METHOD(name_, snake_, Request_, Answer_)                       \
  std::future<Result<Answer_>> name_(const Request_& r, Callback<Answer_> done = {}) { \
    return connection_->name_(r, std::move(done));                                     \
  }
  /// One method per line of `HANDOVER_GRAPH_CALLS`, e.g.
  /// `std::future<Result<void>> passThreadControl(const PassThreadControlRequest&,
  /// Callback<void> done = {})`: `Client`'s call, asynchronously. The future and `done` (when
  /// set) get the same result, with the same errors (`Error::isNotThreadOwner()`...).
  HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_METHOD)
#undef HANDOVER_DETAIL_METHOD
  /// @}

  /// Pass to the Page Inbox (263902037430900) so a human answers on Messenger.
  std::future<Result<void>> passThreadControlToPageInbox(std::string recipient,
                                                         std::string metadata = {},
                                                         Callback<void> done = {}) {
    return passThreadControl(
        PassThreadControlRequest{std::move(recipient), std::string(kPageInboxAppId),
                                 std::move(metadata)},
        std::move(done));
  }

  /// Stops accepting calls (later calls fail at once), settles every accepted one as `mode`
  /// says, and joins the loop thread. Idempotent; must not be called from a callback. Copies
  /// share the connection: this shuts it down for all of them.
  void shutdown(ShutdownMode mode = ShutdownMode::kDrain) {
    connection_->shutdown(mode);
  }

  /// Calls accepted and not yet completed.
  std::size_t pending() const {
    return connection_->pending();
  }

  /// Callers blocked in a call until a pending one completes (`WhenFull::kBlock`).
  std::size_t waiting() const {
    return connection_->waiting();
  }

  /// The connection's options (tokens included: do not print).
  const ClientOptions& options() const {
    return connection_->options();
  }
  /// The connection this client and its copies share.
  const std::shared_ptr<AsyncConnection>& connection() const noexcept {
    return connection_;
  }

 private:
  std::shared_ptr<AsyncConnection> connection_;
};

HANDOVER_END_NAMESPACE
