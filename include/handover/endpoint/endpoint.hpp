#pragma once
/// @file
/// `Endpoint`: the whole inbound webhook pipeline as one component, independent of any HTTP
/// framework. An adapter (handover/endpoint/httplib_adapter.hpp, or your own) hands it the GET
/// handshake's three parameters and each POST's headers and raw body, and sends back the
/// `EndpointResponse` it returns.
///
/// @code
///   handover::webhook::EndpointOptions options;
///   options.app_secret = secret;
///   options.verify_token = verify_token;
///   handover::webhook::Endpoint endpoint(options, std::move(router), client);
///   // in the HTTP framework's POST handler:
///   auto answer = endpoint.handlePost(headers, raw_body);  // 200 once the body is queued
/// @endcode
///
/// A POST is answered 200 only once its verified body is in the queue; handlers run later on
/// the endpoint's own worker threads, never on the HTTP thread. Each event is de-duplicated
/// (so Meta's redeliveries and our own retries run a handler once), fed to the tracker when
/// there is one, then dispatched through the router. A body whose handlers failed is retried
/// after a delay and dead-lettered after the queue's `max_deliveries`.

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include "handover/core/export.hpp"

#include "handover/client/client.hpp"
#include "handover/core/http_transport.hpp"
#include "handover/endpoint/queue.hpp"
#include "handover/tracker/dedup.hpp"
#include "handover/tracker/thread_tracker.hpp"
#include "handover/webhook/parser.hpp"
#include "handover/webhook/router.hpp"
#include "handover/webhook/signature.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

/// What the HTTP framework sends back.
struct EndpointResponse {
  int status = 200;                         ///< HTTP status.
  std::string content_type = "text/plain";  ///< `Content-Type`.
  std::string body;                         ///< Response body.
  HttpHeaders headers;                      ///< Extra headers (`Retry-After` on a 503).
};

/// Why a request was not accepted (a label of `handover_webhook_rejected_total`).
enum class Rejection {
  kHandshake,         ///< GET with a wrong mode or verify token: 403.
  kBadSignature,      ///< Missing, malformed or wrong signature: 403.
  kTooLarge,          ///< Body over `ParseOptions::max_body_bytes`: 413.
  kUnparsable,        ///< Not a webhook body (JSON error, wrong shape): 400.
  kQueueFull,         ///< The queue is at its bound: 503 with Retry-After.
  kQueueUnavailable,  ///< The queue's store is unreachable: 503 with Retry-After.
  kStopping,          ///< `stop()` has begun: 503 with Retry-After.
  /// A `Content-Encoding` other than identity: 415. Meta sends none, and nothing may be
  /// inflated before its signature is checked over the bytes on the wire.
  kUnsupportedEncoding,
  /// Framing a proxy in front could read otherwise (two different `Content-Length` values,
  /// `Transfer-Encoding` with `Content-Length`, a length that is not a decimal number): 400,
  /// before a byte of the body is read (`refuseBeforeBody`).
  kBadFraming,
  /// The queue stored the body on its primary, but not on as many replicas as its options ask
  /// for, in time (`redis::RedisOptions::wait_replicas`): 503 with Retry-After.
  kNotReplicated,
};

/// How many `Rejection` values there are.
inline constexpr std::size_t kRejectionKinds =
    static_cast<std::size_t>(Rejection::kNotReplicated) + 1;

/// "handshake", "bad_signature", "too_large", "unparsable", "queue_full", "queue_unavailable",
/// "stopping" or "unsupported_encoding".
HANDOVER_EXPORT const char* toString(Rejection r) noexcept;

/// Counters since construction, and the queue as it is now.
struct EndpointStats {
  std::size_t received = 0;  ///< POSTs received.
  /// POSTs (and handshakes) rejected, by `Rejection` value.
  std::array<std::size_t, kRejectionKinds> rejected{};
  std::size_t queued = 0;           ///< Bodies queued (answered 200).
  std::size_t dashboard_tests = 0;  ///< Of those, the App Dashboard's test payload.
  std::size_t handled = 0;          ///< Events whose handlers all succeeded.
  std::size_t failed = 0;           ///< Events whose handlers failed (or that were unreadable).
  std::size_t duplicates = 0;       ///< Events skipped as already handled.
  std::size_t retried = 0;          ///< Bodies handed back to the queue after a failure.
  std::size_t dead_lettered = 0;    ///< Bodies given up after `max_deliveries`.
  std::size_t queue_depth = 0;      ///< Bodies waiting now.
  std::size_t in_flight = 0;        ///< Bodies a worker holds now.
  /// Age of the oldest waiting body, when one waits.
  std::optional<std::chrono::milliseconds> oldest_queued_age;

  /// The counter of one rejection reason.
  std::size_t rejectedFor(Rejection r) const noexcept {
    return rejected[static_cast<std::size_t>(r)];
  }
};

/// What the log hook hears about.
enum class EndpointEventKind {
  kRejected,       ///< A request was rejected (`rejection` says why).
  kDashboardTest,  ///< The App Dashboard's test payload was received (and queued).
  /// A handler failed, or an event of a body was unreadable; not emitted when the router has
  /// an `onFailure` observer, which reports it already.
  kHandlerFailed,
  kRetried,       ///< A body was handed back to the queue.
  kDeadLettered,  ///< A body was given up.
  kQueueError,    ///< The queue failed on a worker (it backs off and tries again).
  kSlowBatch,     ///< A body's handling took longer than `handler_deadline`.
};

/// One log line's worth. Never holds a secret, a token or a signature.
struct EndpointEvent {
  EndpointEventKind kind = EndpointEventKind::kRejected;  ///< What happened.
  std::optional<Rejection> rejection;                     ///< For kRejected.
  std::string message;                                    ///< Human-readable detail.
};

/// Whether the endpoint skips events it has already handled.
enum class Deduplication {
  kOn,   ///< Each event's `dedupKey` is claimed and completed through the `Deduplicator`.
  kOff,  ///< Every delivered event is dispatched, redeliveries included (at least once): for
         ///< handlers that are idempotent themselves, or a test that must see what was sent.
};

/// Options of `Endpoint`.
struct EndpointOptions {
  std::string app_secret;      ///< Signatures are checked with it.
  std::string verify_token;    ///< The token typed in the App Dashboard (GET handshake).
  ParseOptions parse;          ///< Body size cap, depth, event bound.
  SignatureOptions signature;  ///< sha256 only by default.
  /// Where verified bodies wait; empty: a `MemoryQueue` with its defaults (not durable).
  std::shared_ptr<Queue> queue;
  /// kOff: no `Deduplicator` is used (one passed to the constructor is ignored), and a body
  /// with a failed handler is delivered again whole.
  Deduplication deduplication = Deduplication::kOn;
  /// Worker threads running the handlers. One keeps the order in which bodies were queued.
  std::size_t workers = 2;
  /// Bodies a worker takes at once (`Queue::popBatch`) and handles together: one
  /// de-duplication store call for all their claims and one for their completions, each body
  /// still acknowledged, retried or dead-lettered on its own. A queue that hands out one body
  /// at a time (`MemoryQueue`) makes this 1. 0 is taken as 1.
  std::size_t worker_batch = 8;
  /// A body whose handling takes longer is reported (kSlowBatch). With a `RedisStreamQueue`,
  /// also the lease after which another consumer may take the body over.
  std::chrono::milliseconds handler_deadline{std::chrono::seconds(30)};
  /// First wait before a failed body is delivered again; doubled per delivery, capped at 1 min.
  std::chrono::milliseconds retry_delay{std::chrono::seconds(1)};
  /// `Retry-After` of a 503, in seconds.
  std::chrono::seconds retry_after{5};
  /// A log line per rejection, failure, retry and dead letter (called on any thread).
  std::function<void(const EndpointEvent&)> on_event;
};

/// What `stop()` did.
struct StopReport {
  bool drained = false;  ///< The queue emptied before the deadline.
  std::size_t left = 0;  ///< Bodies still queued (a `MemoryQueue` loses them at exit).
};

/// The webhook pipeline: verify, queue, then on workers de-duplicate, track, dispatch.
/// Thread-safe: `handleGet` and `handlePost` may run on any number of HTTP threads.
class HANDOVER_EXPORT Endpoint {
 public:
  /// Dispatches through the client `resolver` picks per entry (a `Client` converts: one Page).
  /// `dedup`: empty, a `Deduplicator` over a private `MemoryStore` (one process); pass one over
  /// a `RedisStore` for a fleet. `tracker`: fed every new event before dispatch, when set.
  Endpoint(EndpointOptions options, Router router, ClientResolver resolver,
           std::shared_ptr<tracker::Deduplicator> dedup = {},
           std::shared_ptr<tracker::ThreadTracker> tracker = {});
  /// Stops (with a 10 s drain) if `stop()` was not called.
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  /// The subscribe handshake: 200 with the challenge, or 403.
  EndpointResponse handleGet(std::string_view mode, std::string_view verify_token,
                             std::string_view challenge);
  /// What a POST with these headers gets before its body is read, else nullopt; counted. For
  /// adapters, with every header as received: 415 for a `Content-Encoding` other than identity
  /// (a framework would inflate the body while reading it; `handlePost` runs this check too),
  /// 400 for ambiguous framing (`Rejection::kBadFraming`), 413 when `Content-Length` already
  /// says the body is over the cap.
  std::optional<EndpointResponse> refuseBeforeBody(const HttpHeaders& headers);
  /// One delivery: 415 for a `Content-Encoding` (see `refuseBeforeBody`), 403 bad
  /// signature, 413 too large, 400 unparsable, 503 (Retry-After) when the queue is full,
  /// unreachable or the endpoint stopping, else 200 once the body is queued.
  EndpointResponse handlePost(const HttpHeaders& headers, std::string_view raw_body);

  /// Stops accepting (POSTs answer 503), lets the workers finish what is queued until the queue
  /// is empty or `deadline` passes, then stops them. Returns within the deadline plus the
  /// longest running handler. Idempotent.
  StopReport stop(std::chrono::milliseconds deadline = std::chrono::seconds(10));

  /// The body cap (`EndpointOptions::parse.max_body_bytes`): adapters stop reading one byte past
  /// it, so the endpoint answers 413 without the excess ever being held.
  std::size_t maxBodyBytes() const noexcept;
  /// Counters, and the queue as it is now.
  EndpointStats stats() const;
  /// The same in the Prometheus text exposition format (`handover_webhook_*`).
  std::string metricsText() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace webhook
HANDOVER_END_NAMESPACE
