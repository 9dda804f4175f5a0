// libFuzzer target for the signature check and the subscribe handshake. The input is split into
// a secret, header values and a body; whatever they are, the check must not crash, must reject
// what it cannot verify, and must accept the body's real signature.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/crypto.hpp"
#include "handover/webhook/signature.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Takes the bytes up to the next '\n' (or the rest).
std::string_view take(std::string_view& in) {
  const auto nl = in.find('\n');
  const std::string_view part = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace handover;
  using namespace handover::webhook;
  using handover::detail::hmacSha1Hex;
  using handover::detail::hmacSha256Hex;
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view secret = take(in);
  const std::string_view h256 = take(in);
  const std::string_view h1 = take(in);
  const std::string_view body = in;
  SignatureOptions options;
  options.allow_sha1 = (mode & 4) != 0;
  const std::optional<std::string_view> o256 =
      (mode & 1) ? std::optional<std::string_view>(h256) : std::nullopt;
  const std::optional<std::string_view> o1 =
      (mode & 2) ? std::optional<std::string_view>(h1) : std::nullopt;

  // A header list as a server would hand it over (either case for the names).
  const auto headersOf = [](std::optional<std::string_view> v256,
                            std::optional<std::string_view> v1) {
    HttpHeaders h;
    if (v256) h.emplace_back("x-hub-signature-256", std::string(*v256));
    if (v1) h.emplace_back("X-Hub-Signature", std::string(*v1));
    return h;
  };
  const SignatureVerdict v = checkSignature(body, headersOf(o256, o1), secret, options);
  if (secret.empty()) check(v.failure == SignatureFailure::kMissingSecret);
  if (!o256 && !o1 && !secret.empty()) check(v.failure == SignatureFailure::kMissingHeader);
  auto r = verifySignature(body, headersOf(o256, o1), secret, options);
  check(r.has_value() == v.ok());
  if (!r) check(r.error().category == ErrorCategory::kSignature);

  if (!secret.empty()) {
    // The genuine signature always passes; one changed digit never does.
    std::string good = signatureHeaderValue(body, secret);
    check(good == "sha256=" + hmacSha256Hex(secret, body));
    check(checkSignature(body, headersOf(good, o1), secret, options).ok());
    good.back() = good.back() == '0' ? '1' : '0';
    check(checkSignature(body, headersOf(good, o1), secret, options).failure ==
          SignatureFailure::kMismatch);
  }

  if (!secret.empty()) {
    // A genuine sha1 value passes exactly when sha1 is allowed (and no sha256 header came).
    const std::string good1 = "sha1=" + hmacSha1Hex(secret, body);
    const SignatureVerdict legacy =
        checkSignature(body, headersOf(std::nullopt, good1), secret, options);
    check(legacy.ok() == options.allow_sha1);
    if (!options.allow_sha1) check(legacy.failure == SignatureFailure::kSha1Refused);
    // sha256 wins over sha1 whatever the sha1 value is.
    const std::string good256 = "sha256=" + hmacSha256Hex(secret, body);
    check(checkSignature(body, headersOf(good256, std::string_view("sha1=00")), secret, options)
              .ok());
  }

  const auto challenge = verifySubscription(h256, h1, body, secret);
  if (challenge) check(h256 == "subscribe" && h1 == secret && *challenge == body);
  return 0;
}
