#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "catch.hpp"
#include "core/crypto.hpp"
#include "fixture_file.hpp"
#include "handover/webhook/signature.hpp"

using namespace handover;
using namespace handover::webhook;
using handover::detail::hmacSha1Hex;
using handover::detail::hmacSha256Hex;
using handover::test::readFile;

namespace {

const std::string kSecret = "8f1e0c2d4b6a79531f2e3d4c5b6a7988";

struct Vector {
  std::string file, secret, sha256, sha1;
};

std::vector<Vector> fixedVectors() {
  std::ifstream in(handover::test::webhookFixturesDir() + "signatures.txt");
  std::vector<Vector> out;
  Vector v;
  while (in >> v.file >> v.secret >> v.sha256 >> v.sha1) out.push_back(v);
  return out;
}

// Runs the openssl command-line tool; returns its hex digest.
std::string opensslHmac(const char* algo, const std::string& key, const std::string& path) {
  const std::string cmd =
      std::string("openssl dgst -") + algo + " -hmac '" + key + "' -r '" + path + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[256] = {};
  std::string out;
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  REQUIRE(pclose(p) == 0);
  return out.substr(0, out.find(' '));
}

}  // namespace

/// The headers a server would hand over for these values (nullopt: header absent).
HttpHeaders headersOf(std::optional<std::string_view> h256, std::optional<std::string_view> h1) {
  HttpHeaders h;
  if (h256) h.emplace_back("X-Hub-Signature-256", std::string(*h256));
  if (h1) h.emplace_back("X-Hub-Signature", std::string(*h1));
  return h;
}

SignatureOptions withSha1() {
  SignatureOptions o;
  o.allow_sha1 = true;
  return o;
}

TEST_CASE("fixed vectors (computed with the openssl CLI) verify over the raw fixture bytes") {
  const auto vectors = fixedVectors();
  REQUIRE(vectors.size() >= 5);
  for (const auto& v : vectors) {
    CAPTURE(v.file);
    std::string body = handover::test::webhookFixture(v.file);
    CHECK(hmacSha256Hex(v.secret, body) == v.sha256);
    CHECK(hmacSha1Hex(v.secret, body) == v.sha1);
    // Signed only with X-Hub-Signature-256, header name in another case.
    HttpHeaders only256{{"content-type", "application/json"},
                        {"x-hub-signature-256", "sha256=" + v.sha256}};
    auto r = verifySignature(body, only256, v.secret);
    REQUIRE(r);
    CHECK(*r == SignatureAlgorithm::kSha256);
    // Legacy sha1 only.
    HttpHeaders only1{{"X-HUB-SIGNATURE", "sha1=" + v.sha1}};
    CHECK(verifySignature(body, only1, v.secret).error().message.find("sha1_refused") !=
          std::string::npos);  // fails closed by default
    auto r1 = verifySignature(body, only1, v.secret, withSha1());
    REQUIRE(r1);
    CHECK(*r1 == SignatureAlgorithm::kSha1);
    // One flipped bit anywhere in the body breaks it.
    body[body.size() / 2] ^= 0x01;
    CHECK(checkSignature(body, only256, v.secret).failure == SignatureFailure::kMismatch);
  }
}

TEST_CASE("non-ASCII bodies verify over the exact bytes, not a re-encoding") {
  const std::string body = handover::test::webhookFixture("unicode_text.json");
  REQUIRE(body.find("\\u00e9") != std::string::npos);   // Meta's escaped form kept as sent
  REQUIRE(body.find("\xC3\x91") != std::string::npos);  // and raw UTF-8 ("Ñ")
  const std::string sig = "sha256=" + hmacSha256Hex(kSecret, body);
  CHECK(verifySignature(body, headersOf(sig, std::nullopt), kSecret));
  // The same text with the escape decoded is a different byte string: rejected.
  std::string decoded = body;
  decoded.replace(decoded.find("\\u00e9"), 6, "\xC3\xA9");
  CHECK(checkSignature(decoded, headersOf(sig, std::nullopt), kSecret).failure ==
        SignatureFailure::kMismatch);
}

TEST_CASE("HMACs agree with the openssl CLI on random bodies") {
  std::mt19937 rng(Catch::rngSeed());
  char path[] = "/tmp/handover-hmac-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  for (int i = 0; i < 8; ++i) {
    std::string body(rng() % 4096, '\0');
    for (auto& c : body) c = static_cast<char>(rng() & 0xff);
    std::string key(1 + rng() % 48, 'k');
    for (auto& c : key) c = static_cast<char>('a' + rng() % 26);
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(body.data(), static_cast<std::streamsize>(body.size()));
    }
    CAPTURE(i, body.size());
    const std::string want256 = opensslHmac("sha256", key, path);
    const std::string want1 = opensslHmac("sha1", key, path);
    CHECK(hmacSha256Hex(key, body) == want256);
    CHECK(hmacSha1Hex(key, body) == want1);
    CHECK(verifySignature(body, headersOf("sha256=" + want256, std::nullopt), key));
    CHECK(verifySignature(body, headersOf(std::nullopt, "sha1=" + want1), key, withSha1()));
  }
  std::remove(path);
}

TEST_CASE("every rejection has its own reason, and the secret never shows") {
  const std::string body = R"({"object":"page","entry":[]})";
  const std::string good = "sha256=" + hmacSha256Hex(kSecret, body);
  const std::string good1 = "sha1=" + hmacSha1Hex(kSecret, body);
  auto reason = [&](std::optional<std::string_view> h256, std::optional<std::string_view> h1,
                    std::string_view secret = kSecret, SignatureOptions o = withSha1()) {
    return checkSignature(body, headersOf(h256, h1), secret, o).failure;
  };
  CHECK(reason(good, std::nullopt) == SignatureFailure::kNone);
  CHECK(reason(good, std::nullopt, "") == SignatureFailure::kMissingSecret);
  CHECK(reason(std::nullopt, std::nullopt) == SignatureFailure::kMissingHeader);
  CHECK(reason("", std::nullopt) == SignatureFailure::kMalformedHeader);
  CHECK(reason("sha256=", std::nullopt) == SignatureFailure::kMalformedHeader);
  CHECK(reason(good.substr(7), std::nullopt) == SignatureFailure::kMalformedHeader);
  CHECK(reason("sha1=" + good.substr(7), std::nullopt) == SignatureFailure::kMalformedHeader);
  CHECK(reason(good.substr(0, 70) + "zz", std::nullopt) == SignatureFailure::kMalformedHeader);
  CHECK(reason(good + "00", std::nullopt) == SignatureFailure::kWrongLength);
  CHECK(reason(good.substr(0, 40), std::nullopt) == SignatureFailure::kWrongLength);
  CHECK(reason("sha256=" + std::string(64, '0'), std::nullopt) == SignatureFailure::kMismatch);
  // Uppercase hex and prefix are the same digest.
  std::string upper = good;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(reason(upper, std::nullopt) == SignatureFailure::kNone);
  // sha1 only when sha256 is absent, and only when allowed.
  CHECK(reason(std::nullopt, good1) == SignatureFailure::kNone);
  SignatureOptions no_sha1;  // the default
  CHECK(reason(std::nullopt, good1, kSecret, no_sha1) == SignatureFailure::kSha1Refused);
  CHECK(checkSignature(body, headersOf(std::nullopt, good1), kSecret).failure ==
        SignatureFailure::kSha1Refused);
  CHECK(signatureHeaderValue(body, kSecret) == good);
  CHECK(reason(good, good1, kSecret, no_sha1) == SignatureFailure::kNone);
  CHECK(reason("sha256=" + std::string(64, 'a'), good1) == SignatureFailure::kMismatch);
  CHECK(reason("garbage", good1) == SignatureFailure::kMalformedHeader);
  CHECK(reason(std::nullopt, "sha1=abc") == SignatureFailure::kWrongLength);
  // A repeated header is ambiguous: rejected.
  HttpHeaders dup{{"X-Hub-Signature-256", good}, {"x-hub-signature-256", good}};
  CHECK(checkSignature(body, dup, kSecret).failure == SignatureFailure::kDuplicateHeader);
  CHECK(checkSignature(body, HttpHeaders{}, kSecret).failure == SignatureFailure::kMissingHeader);

  std::vector<std::string> names;
  for (auto f : {SignatureFailure::kMissingSecret, SignatureFailure::kMissingHeader,
                 SignatureFailure::kSha1Refused, SignatureFailure::kDuplicateHeader,
                 SignatureFailure::kMalformedHeader, SignatureFailure::kWrongLength,
                 SignatureFailure::kMismatch}) {
    names.push_back(toString(f));
  }
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());

  auto bad =
      verifySignature(body, headersOf("sha256=" + std::string(64, '0'), std::nullopt), kSecret);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().category == ErrorCategory::kSignature);
  CHECK(bad.error().message.find("mismatch") != std::string::npos);
  CHECK(bad.error().toString().find(kSecret) == std::string::npos);
}

TEST_CASE("subscribe handshake echoes the challenge only for the right mode and token") {
  CHECK(verifySubscription("subscribe", "tok", "1158201444", "tok") == std::string("1158201444"));
  CHECK_FALSE(verifySubscription("subscribe", "tok2", "1158201444", "tok"));
  CHECK_FALSE(verifySubscription("subscribe", "to", "1158201444", "tok"));
  CHECK_FALSE(verifySubscription("unsubscribe", "tok", "1158201444", "tok"));
  CHECK_FALSE(verifySubscription("Subscribe", "tok", "1158201444", "tok"));
  CHECK_FALSE(verifySubscription("subscribe", "", "1158201444", ""));  // no token configured
  CHECK_FALSE(verifySubscription("subscribe", "tok", "", "tok"));
}
