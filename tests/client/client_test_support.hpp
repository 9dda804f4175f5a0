#pragma once
// Shared fixtures of the client tests: credentials, an independent HMAC, a client factory whose
// connection checks every error it returns for leaked secrets, and a fake clock.

#include <openssl/evp.h>
#include <openssl/params.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "catch.hpp"
#include "handover/client/client.hpp"
#include "handover/client/curl_transport.hpp"
#include "secret_scan.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace test {

inline const std::string kToken = "EAAGtestPAGEtoken0123456789abcdefXYZ";
inline const std::string kSecret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
inline const std::string kPageId = "112233445566778";
inline const std::string kPsid = "6543210987654321";

/// HMAC-SHA256 via OpenSSL 3's EVP_MAC, written independently of the library's HMAC() call.
inline std::string independentHmacSha256Hex(const std::string& key, const std::string& data) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0),
                         OSSL_PARAM_construct_end()};
  unsigned char out[64];
  size_t out_len = 0;
  REQUIRE(EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                       params) == 1);
  REQUIRE(EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) ==
          1);
  REQUIRE(EVP_MAC_final(ctx, out, &out_len, sizeof out) == 1);
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  std::string hex;
  char buf[3];
  for (size_t i = 0; i < out_len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", out[i]);
    hex += buf;
  }
  return hex;
}

inline const std::string& expectedProof() {
  static const std::string proof = independentHmacSha256Hex(kSecret, kToken);
  return proof;
}

/// Texts of every error the guarded connections returned in this process.
inline std::vector<std::string>& errorLog() {
  static std::vector<std::string> log;
  return log;
}
inline std::mutex& errorLogMutex() {
  static std::mutex m;
  return m;
}

inline bool containsSecret(const std::string& text) {
  return text.find(kToken) != std::string::npos || text.find(kSecret) != std::string::npos ||
         text.find(expectedProof()) != std::string::npos;
}

/// Options for a client talking to `base_url` with the test credentials.
inline ClientOptions testOptions(const std::string& base_url, const std::string& page_id = "me",
                                 bool with_secret = true) {
  ClientOptions o;
  o.access_token = kToken;
  if (with_secret) o.app_secret = kSecret;
  o.app_id = "777000111222333";
  o.page_id = page_id;
  o.base_url = base_url;
  o.deadline = std::chrono::seconds(10);
  o.attempt_timeout = std::chrono::seconds(5);
  // No test waits for real backoff: sleeps are recorded by FakeClock or skipped.
  o.clock.sleep = [](std::chrono::milliseconds) {};
  CurlOptions curl;
  curl.connect_timeout = std::chrono::seconds(2);
  o.transport = std::make_shared<CurlTransport>(curl);
  return o;
}

/// A client over a secret-checking connection.
/// Each error also goes to `errorLog()`, and a leak FAILs the test (client tests call from the
/// main thread; other threads are covered by the suite-wide scan, which aborts).
inline Client guardedClient(ClientOptions options) {
  auto log = [](const Error& e) {
    const std::string text = errorText(e);
    {
      std::lock_guard<std::mutex> lock(errorLogMutex());
      errorLog().push_back(text);
    }
    if (containsSecret(text)) {
      FAIL("a secret leaked into an error (text withheld so it is not printed)");
    }
  };
  return Client(std::make_shared<ScanningConnection>(makeConnection(std::move(options)), log));
}

/// A manual clock: `sleep` advances it and records the request, so backoff takes no real time.
struct FakeClock {
  std::mutex mutex;
  std::chrono::steady_clock::time_point now_value{std::chrono::hours(1000)};
  std::vector<std::chrono::milliseconds> sleeps;
  std::vector<std::chrono::milliseconds> jitter_bounds;

  void install(ClientOptions& o) {
    o.clock.now = [this] {
      std::lock_guard<std::mutex> lock(mutex);
      return now_value;
    };
    o.clock.sleep = [this](std::chrono::milliseconds d) {
      std::lock_guard<std::mutex> lock(mutex);
      sleeps.push_back(d);
      now_value += d;
    };
    // Deterministic "jitter": the full bound, recorded, so tests can check the exponential curve.
    o.clock.jitter = [this](std::chrono::milliseconds bound) {
      std::lock_guard<std::mutex> lock(mutex);
      jitter_bounds.push_back(bound);
      return bound;
    };
  }
  void advance(std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> lock(mutex);
    now_value += d;
  }
};

}  // namespace test
HANDOVER_END_NAMESPACE
