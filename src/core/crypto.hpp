#pragma once
/// @file
/// The few cryptographic helpers the SDK needs, over OpenSSL's libcrypto. Internal: users sign
/// test bodies with webhook::signatureHeaderValue; the client computes `appsecret_proof` itself.

#include <string>
#include <string_view>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// Lowercase hex of HMAC-SHA256(key, data): webhook signatures and `appsecret_proof`.
std::string hmacSha256Hex(std::string_view key, std::string_view data);

/// Lowercase hex of HMAC-SHA1(key, data): the legacy `X-Hub-Signature` header.
std::string hmacSha1Hex(std::string_view key, std::string_view data);

/// `appsecret_proof` for a token: HMAC-SHA256 keyed by the app secret, over the token.
inline std::string appSecretProof(std::string_view access_token, std::string_view app_secret) {
  return hmacSha256Hex(app_secret, access_token);
}

/// Equality whose running time depends only on the lengths, not on where the inputs differ.
bool constantTimeEquals(std::string_view a, std::string_view b) noexcept;

}  // namespace detail
HANDOVER_END_NAMESPACE
