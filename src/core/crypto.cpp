#include "crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

HANDOVER_BEGIN_NAMESPACE
namespace detail {
namespace {

std::string hmacHex(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // HMAC() with a null output buffer is not thread-safe in older OpenSSL; ours is on the stack.
  if (HMAC(md, key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
           &len) == nullptr) {
    throw std::runtime_error("OpenSSL HMAC failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(len) * 2, '\0');
  for (std::size_t i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0x0f];
  }
  return out;
}

}  // namespace

std::string hmacSha256Hex(std::string_view key, std::string_view data) {
  return hmacHex(EVP_sha256(), key, data);
}

std::string hmacSha1Hex(std::string_view key, std::string_view data) {
  return hmacHex(EVP_sha1(), key, data);
}

bool constantTimeEquals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace detail
HANDOVER_END_NAMESPACE
