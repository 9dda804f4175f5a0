#include "handover/webhook/signature.hpp"

#include <string>

#include "handover/crypto.hpp"

namespace handover::webhook {

const char* toString(SignatureFailure failure) noexcept {
  switch (failure) {
    case SignatureFailure::kNone:
      return "none";
    case SignatureFailure::kMissingSecret:
      return "missing_secret";
    case SignatureFailure::kMissingHeader:
      return "missing_header";
    case SignatureFailure::kSha1Refused:
      return "sha1_refused";
    case SignatureFailure::kDuplicateHeader:
      return "duplicate_header";
    case SignatureFailure::kMalformedHeader:
      return "malformed_header";
    case SignatureFailure::kWrongLength:
      return "wrong_length";
    case SignatureFailure::kMismatch:
      return "mismatch";
  }
  return "mismatch";
}

namespace {

// `<prefix>=<hex>` to lowercase hex of `hex_len` digits, or the reason it is not that.
SignatureFailure normalise(std::string_view value, std::string_view prefix, std::size_t hex_len,
                           std::string& hex) {
  if (value.size() <= prefix.size() || !equalsIgnoreCase(value.substr(0, prefix.size()), prefix)) {
    return SignatureFailure::kMalformedHeader;
  }
  const std::string_view digits = value.substr(prefix.size());
  hex.resize(digits.size());
  for (std::size_t i = 0; i < digits.size(); ++i) {
    char c = digits[i];
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return SignatureFailure::kMalformedHeader;
    }
    hex[i] = c;
  }
  if (digits.size() != hex_len) return SignatureFailure::kWrongLength;
  return SignatureFailure::kNone;
}

std::optional<std::string_view> single(const HttpHeaders& headers, std::string_view name,
                                       bool& duplicate) {
  std::optional<std::string_view> found;
  for (const auto& [k, v] : headers) {
    if (!equalsIgnoreCase(k, name)) continue;
    if (found) duplicate = true;
    found = v;
  }
  return found;
}

}  // namespace

SignatureVerdict checkSignature(std::string_view raw_body,
                                std::optional<std::string_view> sha256_header,
                                std::optional<std::string_view> sha1_header,
                                std::string_view app_secret, const SignatureOptions& options) {
  SignatureVerdict v;
  if (app_secret.empty()) {
    v.failure = SignatureFailure::kMissingSecret;
    return v;
  }
  std::string given;
  if (sha256_header) {
    v.algorithm = SignatureAlgorithm::kSha256;
    v.failure = normalise(*sha256_header, "sha256=", 64, given);
    if (v.failure != SignatureFailure::kNone) return v;
    if (!constantTimeEquals(given, hmacSha256Hex(app_secret, raw_body))) {
      v.failure = SignatureFailure::kMismatch;
    }
    return v;
  }
  if (!sha1_header) {
    v.failure = SignatureFailure::kMissingHeader;
    return v;
  }
  v.algorithm = SignatureAlgorithm::kSha1;
  if (!options.allow_sha1) {
    v.failure = SignatureFailure::kSha1Refused;
    return v;
  }
  v.failure = normalise(*sha1_header, "sha1=", 40, given);
  if (v.failure != SignatureFailure::kNone) return v;
  if (!constantTimeEquals(given, hmacSha1Hex(app_secret, raw_body))) {
    v.failure = SignatureFailure::kMismatch;
  }
  return v;
}

SignatureVerdict checkSignature(std::string_view raw_body, const HttpHeaders& headers,
                                std::string_view app_secret, const SignatureOptions& options) {
  bool duplicate = false;
  const auto sha256 = single(headers, kSignature256Header, duplicate);
  const auto sha1 = single(headers, kSignatureSha1Header, duplicate);
  if (duplicate) {
    SignatureVerdict v;
    v.failure = SignatureFailure::kDuplicateHeader;
    return v;
  }
  return checkSignature(raw_body, sha256, sha1, app_secret, options);
}

namespace {

Result<SignatureAlgorithm> toResult(const SignatureVerdict& v) {
  if (v.ok()) return v.algorithm;
  Error e;
  e.category = ErrorCategory::kSignature;
  e.message = std::string("webhook signature rejected: ") + toString(v.failure);
  return e;
}

}  // namespace

Result<SignatureAlgorithm> verifySignature(std::string_view raw_body, const HttpHeaders& headers,
                                           std::string_view app_secret,
                                           const SignatureOptions& options) {
  return toResult(checkSignature(raw_body, headers, app_secret, options));
}

Result<SignatureAlgorithm> verifySignature(std::string_view raw_body,
                                           std::optional<std::string_view> sha256_header,
                                           std::optional<std::string_view> sha1_header,
                                           std::string_view app_secret,
                                           const SignatureOptions& options) {
  return toResult(checkSignature(raw_body, sha256_header, sha1_header, app_secret, options));
}

std::optional<std::string> verifySubscription(std::string_view mode, std::string_view verify_token,
                                              std::string_view challenge,
                                              std::string_view expected_token) {
  // Evaluate every condition so the timing does not reveal which one failed.
  const bool mode_ok = mode == "subscribe";
  const bool token_ok = !expected_token.empty() && constantTimeEquals(verify_token, expected_token);
  if (!mode_ok || !token_ok || challenge.empty()) return std::nullopt;
  return std::string(challenge);
}

}  // namespace handover::webhook
