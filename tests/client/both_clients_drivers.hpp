#pragma once
// The two drivers of the both-clients suites: `Client` over libcurl's easy interface and
// `AsyncClient` over curl_multi, each with one `call(request)` per line of the call table, and
// the options both start from (a loopback `RecordingServer`, fast backoff).

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "client_test_support.hpp"
#include "handover/client/async_client.hpp"
#include "recording_server.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace test {

using namespace std::chrono_literals;

inline ClientOptions baseOptions(const RecordingServer& server) {
  ClientOptions o;
  o.access_token = kToken;
  o.app_secret = kSecret;
  o.page_id = kPageId;
  o.base_url = server.baseUrl();
  o.retry.initial_backoff = 1ms;
  o.retry.max_backoff = 5ms;
  o.deadline = 10s;
  o.attempt_timeout = 5s;
  SecretRegistry::instance().add(o);
  return o;
}

/// `Client` over libcurl's easy interface; every call's error scanned for secrets.
struct SyncDriver {
  static constexpr const char* kName = "Client";
  explicit SyncDriver(ClientOptions o) : client(withTransport(std::move(o))) {}
  static ClientOptions withTransport(ClientOptions o) {
    CurlOptions curl;
    curl.connect_timeout = 2s;
    o.transport = std::make_shared<CurlTransport>(curl);
    return o;
  }
#define HANDOVER_TEST_CALL(name_, snake_, Request_, Answer_) \
  Result<Answer_> call(const Request_& r) {                  \
    return scanned(client.name_(r), kName);                  \
  }
  HANDOVER_GRAPH_CALLS(HANDOVER_TEST_CALL)
#undef HANDOVER_TEST_CALL
  Client client;
};

/// `AsyncClient` over curl_multi; the callback must see exactly what the future holds.
struct AsyncDriver {
  static constexpr const char* kName = "AsyncClient";
  explicit AsyncDriver(ClientOptions o) : client(asyncOptions(std::move(o))) {}
  static AsyncClientOptions asyncOptions(ClientOptions o) {
    AsyncClientOptions a;
    a.client = std::move(o);
    // The sync client's engine and sleeper: the async client refuses both.
    a.client.transport = nullptr;
    a.client.clock.sleep = nullptr;
    a.curl.connect_timeout = 2s;
    return a;
  }
#define HANDOVER_TEST_CALL(name_, snake_, Request_, Answer_)                    \
  Result<Answer_> call(const Request_& r) {                                     \
    int callbacks = 0;                                                          \
    std::string from_callback;                                                  \
    auto f = client.name_(r, [&](const Result<Answer_>& got) {                  \
      ++callbacks;                                                              \
      from_callback = got ? "ok" : got.error().toString();                      \
    });                                                                         \
    Result<Answer_> out = scanned(f.get(), kName);                              \
    CHECK(callbacks == 1);                                                      \
    CHECK(from_callback == (out ? std::string("ok") : out.error().toString())); \
    return out;                                                                 \
  }
  HANDOVER_GRAPH_CALLS(HANDOVER_TEST_CALL)
#undef HANDOVER_TEST_CALL
  AsyncClient client;
};

}  // namespace test
HANDOVER_END_NAMESPACE
