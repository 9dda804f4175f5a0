#include "handover/webhook/signature.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <string>

#include "../core/ascii.hpp"
#include "../core/crypto.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

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

constexpr std::size_t kMaxDigest = 32;  // SHA-256; SHA-1 has 20

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `<prefix>=<hex>` to the `size` bytes it spells, or the reason it is not that. Decoding the
// header (instead of hex-encoding our digest) keeps the check free of allocations.
SignatureFailure decode(std::string_view value, std::string_view prefix, std::size_t size,
                        unsigned char* out) {
  if (value.size() <= prefix.size() ||
      !handover::detail::equalsIgnoreCase(value.substr(0, prefix.size()), prefix)) {
    return SignatureFailure::kMalformedHeader;
  }
  const std::string_view digits = value.substr(prefix.size());
  for (char c : digits) {
    if (hexDigit(c) < 0) return SignatureFailure::kMalformedHeader;
  }
  if (digits.size() != 2 * size) return SignatureFailure::kWrongLength;
  for (std::size_t i = 0; i < size; ++i) {
    out[i] = static_cast<unsigned char>(hexDigit(digits[2 * i]) * 16 + hexDigit(digits[2 * i + 1]));
  }
  return SignatureFailure::kNone;
}

// A thread's keyed HMAC context for the last (algorithm, secret) it checked: an app checks
// every delivery with one secret, and setting up the context (fetching the digest, hashing the
// key into the inner and outer pads) cost more than hashing a typical body.
class KeyedMac {
 public:
  KeyedMac() = default;
  KeyedMac(const KeyedMac&) = delete;
  KeyedMac& operator=(const KeyedMac&) = delete;
  ~KeyedMac() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
    OPENSSL_cleanse(secret_.data(), secret_.size());
  }

  // The MAC of `body` into `out` (at least EVP_MAX_MD_SIZE bytes); its length, 0 on failure.
  std::size_t digest(const char* md, std::string_view secret, std::string_view body,
                     unsigned char* out) {
    if (!ready(md, secret)) return 0;
    std::size_t len = 0;
    if (EVP_MAC_init(ctx_, nullptr, 0, nullptr) != 1 ||  // the key set before is kept
        EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(body.data()), body.size()) !=
            1 ||
        EVP_MAC_final(ctx_, out, &len, EVP_MAX_MD_SIZE) != 1) {
      forget();
      return 0;
    }
    return len;
  }

 private:
  bool ready(const char* md, std::string_view secret) {
    if (ctx_ != nullptr && md_ == md && secret.size() == secret_.size() &&
        CRYPTO_memcmp(secret.data(), secret_.data(), secret.size()) == 0) {
      return true;
    }
    forget();
    if (mac_ == nullptr) mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac_ == nullptr || (ctx_ = EVP_MAC_CTX_new(mac_)) == nullptr) return false;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(md), 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                     params) != 1) {
      forget();
      return false;
    }
    md_ = md;
    secret_.assign(secret.data(), secret.size());
    return true;
  }

  void forget() {
    EVP_MAC_CTX_free(ctx_);
    ctx_ = nullptr;
    md_ = nullptr;
    OPENSSL_cleanse(secret_.data(), secret_.size());
    secret_.clear();
  }

  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
  const char* md_ = nullptr;  // one of the literals below: compared by address
  std::string secret_;
};

constexpr const char* kSha256 = "SHA256";
constexpr const char* kSha1 = "SHA1";

// The HMAC of the body equals the decoded header value, compared in constant time.
bool digestMatches(const char* md, std::string_view secret, std::string_view body,
                   const unsigned char* expected, std::size_t size) {
  thread_local KeyedMac mac;
  unsigned char digest[EVP_MAX_MD_SIZE];
  if (mac.digest(md, secret, body, digest) != size) return false;  // fail closed
  return CRYPTO_memcmp(digest, expected, size) == 0;
}

std::optional<std::string_view> single(const HttpHeaders& headers, std::string_view name,
                                       bool& duplicate) {
  std::optional<std::string_view> found;
  for (const auto& [k, v] : headers) {
    if (!handover::detail::equalsIgnoreCase(k, name)) continue;
    if (found) duplicate = true;
    found = v;
  }
  return found;
}

SignatureVerdict checkValues(std::string_view raw_body,
                             std::optional<std::string_view> sha256_header,
                             std::optional<std::string_view> sha1_header,
                             std::string_view app_secret, const SignatureOptions& options) {
  SignatureVerdict v;
  if (app_secret.empty()) {
    v.failure = SignatureFailure::kMissingSecret;
    return v;
  }
  unsigned char given[kMaxDigest];
  if (sha256_header) {
    v.algorithm = SignatureAlgorithm::kSha256;
    v.failure = decode(*sha256_header, "sha256=", 32, given);
    if (v.failure != SignatureFailure::kNone) return v;
    if (!digestMatches(kSha256, app_secret, raw_body, given, 32)) {
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
  v.failure = decode(*sha1_header, "sha1=", 20, given);
  if (v.failure != SignatureFailure::kNone) return v;
  if (!digestMatches(kSha1, app_secret, raw_body, given, 20)) {
    v.failure = SignatureFailure::kMismatch;
  }
  return v;
}

}  // namespace

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
  return checkValues(raw_body, sha256, sha1, app_secret, options);
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

std::string signatureHeaderValue(std::string_view raw_body, std::string_view app_secret) {
  return "sha256=" + handover::detail::hmacSha256Hex(app_secret, raw_body);
}

std::optional<std::string> verifySubscription(std::string_view mode, std::string_view verify_token,
                                              std::string_view challenge,
                                              std::string_view expected_token) {
  // Evaluate every condition so the timing does not reveal which one failed.
  const bool mode_ok = mode == "subscribe";
  const bool token_ok =
      !expected_token.empty() && handover::detail::constantTimeEquals(verify_token, expected_token);
  if (!mode_ok || !token_ok || challenge.empty()) return std::nullopt;
  return std::string(challenge);
}

}  // namespace webhook
HANDOVER_END_NAMESPACE
