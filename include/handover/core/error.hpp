#pragma once
/// @file
/// The error type every fallible call of the SDK returns, and the exception `Result::value()`
/// throws. Errors never carry access tokens, app secrets or `appsecret_proof` values.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE

/// Where an error came from. Users branch on this first, then on the Graph code.
enum class ErrorCategory {
  kTransport,        ///< The request did not complete: connect refused, reset, TLS, truncated body.
  kTimeout,          ///< A per-attempt timeout or the call's overall deadline expired.
  kHttp,             ///< A non-2xx status without a Graph error body (proxy page, HTML, 502...).
  kApi,              ///< The Graph API answered with an `{"error":{...}}` body.
  kParse,            ///< A body (response or webhook) is not the JSON we expect.
  kInvalidArgument,  ///< The caller's input was rejected before anything was sent.
  kSignature,        ///< A webhook signature is missing, malformed or wrong.
  /// A 3xx answer. Redirects are never followed (the token would go to another host), so a
  /// redirect means a wrong `base_url` or a proxy in the way; never retried.
  kRedirect,
  /// A `tracker::Store` (Redis, memory) failed: unreachable, refused a command, bad reply.
  kStore,
  /// A `Connection` or `AsyncConnection` has no body for this call: a decorator or mock
  /// written before the call joined the table, which inherits the default. Never retried.
  kUnimplemented,
  /// Refused locally: the tracker knows another responder owns the WhatsApp thread, so Meta
  /// would refuse a Service message from this app (`ThreadTracker::mayServiceSend`).
  kThreadOwnedElsewhere,
};

/// Stable lowercase name of a category ("transport", "api", ...).
HANDOVER_EXPORT const char* toString(ErrorCategory category) noexcept;

/// One failure, with everything the Graph API said about it.
///
/// Graph fields are zero/empty when absent: Graph codes and subcodes are never 0.
struct HANDOVER_EXPORT Error {
  ErrorCategory category = ErrorCategory::kTransport;  ///< Where it failed; branch on this first.
  std::string message;               ///< Human-readable; for kApi the Graph `message` verbatim.
  int http_status = 0;               ///< 0 when no HTTP response was received.
  int code = 0;                      ///< Graph `error.code`.
  int subcode = 0;                   ///< Graph `error.error_subcode`.
  std::string type;                  ///< Graph `error.type`, e.g. "OAuthException".
  std::string user_title;            ///< Graph `error.error_user_title`.
  std::string user_message;          ///< Graph `error.error_user_msg`.
  std::string fbtrace_id;            ///< Graph `error.fbtrace_id` (quote it to Meta support).
  std::optional<bool> is_transient;  ///< Graph `error.is_transient` when present.
  /// How long the server asked us to wait (`Retry-After`, or the estimated time to regain
  /// access in `X-Business-Use-Case-Usage`).
  std::optional<std::chrono::milliseconds> retry_after;
  /// True only when the transport proves the request never left this process (DNS failure,
  /// connection refused): a POST may then be retried without risking a double effect.
  bool request_not_sent = false;
  /// For kParse errors on a body: the byte offset where parsing failed.
  std::optional<std::size_t> offset;

  /// An error of `category` saying `message`, every other field empty: for fakes and for
  /// your own code's failures (`Error::make(ErrorCategory::kInvalidArgument, "no user")`).
  static Error make(ErrorCategory category, std::string message) {
    Error e;
    e.category = category;
    e.message = std::move(message);
    return e;
  }

  /// Another app controls the thread (10 / 2018300): the Send API refused in exclusive mode.
  bool isAnotherAppControllingThread() const noexcept { return code == 10 && subcode == 2018300; }
  /// The caller is not the thread owner (pass/release/extend by a non-owner, IG 100/2534037).
  bool isNotThreadOwner() const noexcept;
  /// Throttled: codes 4, 17, 32, 341, 613, 80001, 80002, 80006, or HTTP 429.
  bool isRateLimited() const noexcept;
  /// The access token is invalid or expired (190): re-authenticate, never retry.
  bool isInvalidToken() const noexcept { return code == 190; }
  /// Permission denied: code 10 (not 2018300) or 200-299.
  bool isPermissionDenied() const noexcept {
    return (code == 10 && subcode != 2018300) || (code >= 200 && code <= 299);
  }
  /// `take_thread_control` refused because Conversation Routing has no default app (#27).
  bool isTakeNotSupportedWithoutDefaultApp() const noexcept { return code == 27; }
  /// WhatsApp: `take` refused because this app is not the number's escalation partner
  /// (`(#100)` with subcode 2494191; also matched as the code).
  bool isTakeNotPermitted() const noexcept { return code == 2494191 || subcode == 2494191; }
  /// Refused locally: another responder owns the WhatsApp thread (kThreadOwnedElsewhere).
  bool isThreadOwnedElsewhere() const noexcept {
    return category == ErrorCategory::kThreadOwnedElsewhere;
  }
  /// WhatsApp Calling: a call action by a responder that is not the Call primary (138038).
  bool isNotCallPrimary() const noexcept { return code == 138038 || subcode == 138038; }
  /// The legacy Handover Protocol APIs are disabled on this Page (Conversation Routing on).
  bool isHandoverProtocolDisabled() const noexcept;
  /// Worth retrying later: transport failures, timeouts, store failures, 5xx, throttling,
  /// transient Graph errors.
  bool isRetryable() const noexcept;

  /// One line: category, HTTP status, code/subcode, message, fbtrace id.
  std::string toString() const;
};

/// Thrown by `Result<T>::value()` on an error result.
class HANDOVER_EXPORT Exception : public std::runtime_error {
 public:
  /// Wraps `error`; `what()` is `error.toString()`.
  explicit Exception(Error error);
  /// The error that was thrown, with every Graph field.
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

namespace detail {
/// Builds an invalid-argument error (the library's own validation; users write
/// `Error{ErrorCategory::kInvalidArgument, "message"}`).
inline Error invalidArgument(std::string message) {
  return Error::make(ErrorCategory::kInvalidArgument, std::move(message));
}
/// What a connection's call answers when its class does not override it.
inline Error unimplementedCall(const char* call, const char* interface_name) {
  return Error::make(ErrorCategory::kUnimplemented,
                     std::string(call) + " is not implemented by this " + interface_name +
                         " (it does not override the call)");
}
}  // namespace detail

HANDOVER_END_NAMESPACE
