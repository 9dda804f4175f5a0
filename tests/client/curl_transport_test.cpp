// CurlTransport on its own: keep-alive reuse, proxy, methods, headers and TLS failures.

#include <set>

#include "catch.hpp"
#include "handover/client/curl_transport.hpp"
#include "recording_server.hpp"

using namespace handover;

TEST_CASE("sequential requests reuse one keep-alive connection") {
  test::RecordingServer server;
  CurlTransport transport;
  for (int i = 0; i < 5; ++i) {
    HttpRequest req;
    req.url = server.baseUrl() + "/ping?i=" + std::to_string(i);
    auto r = transport.send(req);
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  std::set<int> ports;
  for (const auto& r : server.requests()) ports.insert(r.remote_port);
  CHECK(ports.size() == 1);
}

TEST_CASE("methods, headers and bodies travel intact - response headers are kept") {
  test::RecordingServer server;
  server.enqueueJson(201, R"({"ok":1})", {{"X-Business-Use-Case-Usage", "{}"}});
  CurlTransport transport;
  HttpRequest req;
  req.method = HttpMethod::kDelete;
  req.url = server.baseUrl() + "/v26.0/123";
  req.headers = {{"X-Custom", "a b"}, {"Content-Type", "application/json"}};
  req.body = R"({"x":true})";
  auto r = transport.send(req);
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->body == R"({"ok":1})");
  REQUIRE(r->header("x-business-use-case-usage") != nullptr);
  CHECK(*r->header("content-type") == "application/json");
  const auto seen = server.last();
  CHECK(seen.method == "DELETE");
  CHECK(seen.header("X-Custom") == "a b");
  CHECK(seen.body == R"({"x":true})");
  CHECK(seen.header("User-Agent") == "handover-cpp");
  CHECK_FALSE(seen.hasHeader("Expect"));
}

TEST_CASE("the proxy option routes requests through the proxy") {
  test::RecordingServer proxy;
  CurlOptions options;
  options.proxy = proxy.baseUrl();
  CurlTransport transport(options);
  HttpRequest req;
  req.url = "http://graph.handover.invalid/v26.0/me/thread_owner?recipient=1";
  auto r = transport.send(req);
  REQUIRE(r);
  CHECK(r->status == 200);
  // A forward proxy receives the absolute URL.
  CHECK(proxy.last().target == req.url);
}

TEST_CASE("TLS is verified: https to a plain HTTP port fails before sending") {
  test::RecordingServer server;
  CurlTransport transport;
  CHECK(transport.options().verify_tls);
  HttpRequest req;
  req.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  auto r = transport.send(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kTransport);
  CHECK(r.error().request_not_sent);
  CHECK(server.requestCount() == 0);
}

TEST_CASE("a missing CA bundle is a transport error, not a silent fallback") {
  test::RecordingServer server;
  CurlOptions options;
  options.ca_bundle_path = "/nonexistent/handover-ca.pem";
  CurlTransport transport(options);
  HttpRequest req;
  req.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  auto r = transport.send(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kTransport);
  // Named, with what to do, and never sent (so a POST may be retried safely).
  CHECK(r.error().request_not_sent);
  CHECK(r.error().message.find("ca-certificates") != std::string::npos);
  CHECK(r.error().message.find("ca_bundle_path") != std::string::npos);
  CHECK(server.requestCount() == 0);
}

TEST_CASE("a per-request timeout is enforced by the transport") {
  test::RawServer* self = nullptr;
  test::RawServer silent([&self](int, const std::string&) {
    self->waitForStop();
    return true;
  });
  self = &silent;
  CurlTransport transport;
  HttpRequest req;
  req.url = silent.baseUrl() + "/";
  req.timeout = std::chrono::milliseconds(150);
  auto r = transport.send(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kTimeout);
  CHECK_FALSE(r.error().request_not_sent);
}
