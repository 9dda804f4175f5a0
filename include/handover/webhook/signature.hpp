#pragma once
/// @file
/// Webhook authenticity: the `X-Hub-Signature-256` check and the GET subscribe handshake.
///
/// @code
///   auto ok = handover::webhook::verifySignature(raw_body, headers, app_secret);
///   if (!ok) return 403;  // ok.error().message says why; it never contains the secret
/// @endcode

#include <optional>
#include <string>
#include <string_view>
#include "handover/core/export.hpp"

#include "handover/core/http_transport.hpp"
#include "handover/core/result.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

/// The HMAC-SHA256 signature header Meta sends (matched case-insensitively).
inline constexpr std::string_view kSignature256Header = "X-Hub-Signature-256";
/// The legacy HMAC-SHA1 signature header, used only as `SignatureOptions::allow_sha1` allows.
inline constexpr std::string_view kSignatureSha1Header = "X-Hub-Signature";

/// Which header authenticated the body.
enum class SignatureAlgorithm { kSha256, kSha1 };

/// Why a body was rejected. Every failure is distinct; there is no "unknown".
enum class SignatureFailure {
  kNone,             ///< Accepted.
  kMissingSecret,    ///< No app secret configured: nothing can be verified.
  kMissingHeader,    ///< Neither signature header is present.
  kSha1Refused,      ///< Only the legacy sha1 header is present and sha1 is disabled.
  kDuplicateHeader,  ///< The header appears more than once.
  kMalformedHeader,  ///< Not `sha256=<hex>` / `sha1=<hex>` (wrong prefix, non-hex digits).
  kWrongLength,      ///< The hex digest has the wrong number of digits.
  kMismatch,         ///< Well-formed, but not the HMAC of this body under this secret.
};

/// Stable name: "missing_secret", "missing_header", "sha1_refused", "duplicate_header",
/// "malformed_header", "wrong_length", "mismatch" ("none" for kNone).
HANDOVER_EXPORT const char* toString(SignatureFailure failure) noexcept;

/// Settings of the check.
struct SignatureOptions {
  /// Accept the legacy `X-Hub-Signature: sha1=...` when `X-Hub-Signature-256` is absent. Off:
  /// Meta sends `X-Hub-Signature-256` on every delivery, so a body with only sha1 is refused
  /// (kSha1Refused) unless you ask for it. The sha1 header is never consulted when the sha256
  /// one is present.
  bool allow_sha1 = false;
};

/// Outcome of `checkSignature`.
struct SignatureVerdict {
  SignatureFailure failure = SignatureFailure::kNone;  ///< kNone when accepted, else why not.
  SignatureAlgorithm algorithm = SignatureAlgorithm::kSha256;  ///< Meaningful when accepted.
  /// The body is authentic: process it.
  bool ok() const noexcept { return failure == SignatureFailure::kNone; }
  /// Same as `ok()`.
  explicit operator bool() const noexcept { return ok(); }
};

/// Checks the signature header in `headers` (names case-insensitive; a repeated header
/// rejects) against the HMAC of the exact raw body bytes, in constant time. Hex digits are
/// accepted in either case. A framework that hands over single header values: pass
/// `{{"X-Hub-Signature-256", value}}`.
HANDOVER_EXPORT SignatureVerdict checkSignature(std::string_view raw_body,
                                                const HttpHeaders& headers,
                                                std::string_view app_secret,
                                                const SignatureOptions& options = {});

/// `checkSignature` as a `Result`: the algorithm used, or an `ErrorCategory::kSignature` error
/// whose message names the `SignatureFailure`. Fails closed.
HANDOVER_EXPORT Result<SignatureAlgorithm> verifySignature(std::string_view raw_body,
                                                           const HttpHeaders& headers,
                                                           std::string_view app_secret,
                                                           const SignatureOptions& options = {});

/// The `X-Hub-Signature-256` value Meta would send for `raw_body` ("sha256=<64 hex digits>"),
/// for tests that post signed bodies to a webhook.
HANDOVER_EXPORT std::string signatureHeaderValue(std::string_view raw_body,
                                                 std::string_view app_secret);

/// The GET handshake (`hub.mode`, `hub.verify_token`, `hub.challenge`): the challenge to answer
/// with status 200 when `mode` is "subscribe" and the token equals `expected_token` (compared in
/// constant time); nullopt otherwise (answer 403). An empty expected token or an empty
/// challenge never succeeds. Answer with `Content-Type: text/plain`.
HANDOVER_EXPORT std::optional<std::string> verifySubscription(std::string_view mode,
                                                              std::string_view verify_token,
                                                              std::string_view challenge,
                                                              std::string_view expected_token);

}  // namespace webhook
HANDOVER_END_NAMESPACE
