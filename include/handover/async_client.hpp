#pragma once
/// @file
/// `AsyncClient`: thread-control calls for high fan-out (a live-chat platform serving thousands
/// of Pages) without a thread per call. One event-loop thread, owned by the client, drives
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
/// Shutdown: `shutdown()` (and the destructor) stop accepting calls, then complete every
/// accepted call (`kDrain`, each bounded by its deadline) or fail those not finished
/// (`kCancel`); no call is ever left without an answer.
///
/// Thread-safety: every method may be called from any number of threads at once.

#include <chrono>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>

#include "handover/options.hpp"
#include "handover/requests.hpp"
#include "handover/result.hpp"

namespace handover {

/// Options of `AsyncClient`.
struct AsyncClientOptions {
  /// Token, page, API version, base URL, retry policy, deadline, clock (`now`, `jitter`; the
  /// `sleep` hook is unused: waits are timers on the loop). `transport` is ignored: the async
  /// client always speaks libcurl's multi interface.
  ClientOptions client;
  /// TLS, proxy, connect timeout, user agent. `max_pooled_handles` bounds reused easy handles.
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

/// Asynchronous thread-control client over one libcurl multi handle and one loop thread.
class AsyncClient {
 public:
  /// Called once with the outcome, on the client's loop thread. It must not block for long;
  /// it may make new calls on this client (they never block). Exceptions it throws are dropped.
  /// A call refused before it is queued (invalid input, shut down, full with kReject) runs it
  /// on the calling thread before the call returns.
  template <typename T>
  using Callback = std::function<void(const Result<T>&)>;

  /// Starts the loop thread.
  explicit AsyncClient(AsyncClientOptions options);
  /// `shutdown(ShutdownMode::kDrain)`. Never destroy the client from one of its callbacks.
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  /// `Client::passThreadControl`, asynchronously: the future and `done` (when set) get the
  /// same result, with the same errors (`Error::isNotThreadOwner()`...).
  std::future<Result<void>> passThreadControl(const PassThreadControlRequest& r,
                                              Callback<void> done = {});
  /// `Client::takeThreadControl`, asynchronously (#27 without a default app).
  std::future<Result<TakeThreadControlResponse>> takeThreadControl(
      const TakeThreadControlRequest& r, Callback<TakeThreadControlResponse> done = {});
  /// `Client::requestThreadControl`, asynchronously. Success means "request delivered", not
  /// "control gained".
  std::future<Result<RequestDelivered>> requestThreadControl(const RequestThreadControlRequest& r,
                                                             Callback<RequestDelivered> done = {});
  /// `Client::releaseThreadControl`, asynchronously.
  std::future<Result<void>> releaseThreadControl(const ReleaseThreadControlRequest& r,
                                                 Callback<void> done = {});
  /// `Client::extendThreadControl`, asynchronously; a duration outside 1 s .. 7 days fails at
  /// once with kInvalidArgument.
  std::future<Result<void>> extendThreadControl(const ExtendThreadControlRequest& r,
                                                Callback<void> done = {});
  /// `Client::getThreadOwner`, asynchronously; retried like any GET.
  std::future<Result<ThreadOwner>> getThreadOwner(const GetThreadOwnerRequest& r,
                                                  Callback<ThreadOwner> done = {});
  /// `Client::sendText`, asynchronously (10/2018300 when another app owns the thread).
  std::future<Result<SendResponse>> sendText(const SendTextRequest& r,
                                             Callback<SendResponse> done = {});

  /// How `shutdown()` settles the calls already accepted.
  enum class ShutdownMode {
    kDrain,   ///< Finish every accepted call (retries included, within each deadline).
    kCancel,  ///< Fail every call not finished yet with a kTransport error ("shut down").
  };
  /// Stops accepting calls (later calls fail at once), settles every accepted one as `mode`
  /// says, and joins the loop thread. Idempotent; must not be called from a callback.
  void shutdown(ShutdownMode mode = ShutdownMode::kDrain);

  /// Calls accepted and not yet completed.
  std::size_t pending() const;

  /// Callers blocked in a call until a pending one completes (`WhenFull::kBlock`).
  std::size_t waiting() const;

  /// `AsyncClientOptions::client` as given (tokens included: do not print).
  const ClientOptions& options() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace handover
